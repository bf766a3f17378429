"""A twenty-minute lecture streams through extract_audio and pocketsphinx in bounded memory.

Runs bench/long_lecture.py (the hour-long acceptance run with Whisper base uses the same code) on the
pocketsphinx engine with most of the twenty minutes silent, so decoding stays cheap while the audio
path (decoding, Silero VAD, has_speech, windows read from the WAV) still handles the full length.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("pocketsphinx")


def test_twenty_minute_lecture_in_bounded_memory() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "long_lecture.py"), "--minutes", "20",
                          "--engine", "pocketsphinx", "--speech-share", "0.02", "--speech-seconds", "10", "--json"],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["audio_s"] == pytest.approx(1200.0, abs=0.5)
    assert r["engine"] == "pocketsphinx:trading"
    # Ten seconds of speech every 500 s: three copies in twenty minutes.
    assert 0.015 < r["speech_ratio"] < 0.05
    assert r["words"] >= 30 and r["segments"] >= 3
    assert r["peak_rss_mb"] < 2048
    # The 16 kHz WAV is 37 MB (73 MB as float32): holding it whole anywhere would show here.
    assert r["wav_mb"] > 36
    assert r["growth_mb"] < 32

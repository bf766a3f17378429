"""Small real media made once per test session: a spoken lesson video with exact subtitles, speech with a gap."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from reelquant.media.audio import extract_audio
from reelquant.media.synth import make_lesson_video, synthesize_speech

LESSON_SCRIPT = (
    "Welcome to a short lesson on moving averages. "
    "When the fast average crosses above the slow average, we buy the stock. "
    "We place a stop loss three percent below the entry price."
)


@pytest.fixture(scope="session")
def lesson(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A three-slide lesson mp4 plus the SRT of when each slide's speech really plays."""
    root = tmp_path_factory.mktemp("lesson")
    srt = root / "lesson.srt"
    mp4 = make_lesson_video(LESSON_SCRIPT, root / "lesson.mp4", "Test lesson", subtitles_out=srt)
    return {"video": mp4, "srt": srt, "dir": root}


def _read16(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


@pytest.fixture(scope="session")
def speech_with_gap(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two Festival sentences at 16 kHz with exactly two seconds of digital silence between them."""
    root = tmp_path_factory.mktemp("gap")
    parts = []
    for i, text in enumerate(["The trend is your friend until it ends.", "Always use a stop loss."]):
        raw = synthesize_speech(text, root / f"raw{i}.wav")
        parts.append(_read16(Path(extract_audio(raw, root / f"s{i}.wav").path)))
    gap = np.zeros(2 * 16000, dtype=np.int16)
    pcm = np.concatenate([parts[0], gap, parts[1]])
    out = root / "gap.wav"
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.tobytes())
    first = len(parts[0]) / 16000
    return {"wav": out, "gap": (first, first + 2.0), "duration": len(pcm) / 16000}

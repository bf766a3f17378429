"""has_speech on real decoded tracks: a spoken lesson (also under music or noise 10 dB down), digital silence,
music and steady noise alone, each in a real mp4."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from reelquant.media.audio import AudioInfo, extract_audio, has_speech
from reelquant.media.background import make_background, mix_background
from reelquant.media.synth import write_silent_video

RATE = 16000


def _mux(wav: Path, out: Path) -> Path:
    """An H.264/AAC mp4 of a plain picture with `wav` as its sound."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=navy:s=160x90:r=2", "-i", str(wav),
                    "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(out)], check=True)
    return out


def test_spoken_lesson_has_speech(lesson: dict, tmp_path: Path) -> None:
    ok, why = has_speech(extract_audio(lesson["video"], tmp_path / "a.wav"))
    assert ok, why
    assert "region" in why


def test_silent_video_is_no_speech(tmp_path: Path) -> None:
    info = extract_audio(write_silent_video(tmp_path / "silent.mp4", duration_s=4.0), tmp_path / "a.wav")
    assert info.regions == [] and info.sound_ratio == 0.0
    ok, why = has_speech(info)
    assert not ok and why.startswith("no speech") and "silent" in why
    assert why.endswith("drop a video whose sound has someone speaking, or a .srt/.vtt beside it.")


def _white_noise(seconds: float, out: Path) -> Path:
    pcm = 3200 * np.random.default_rng(1).standard_normal(int(seconds * RATE))
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.clip(pcm, -32768, 32767).astype("<i2").tobytes())
    return out


@pytest.mark.parametrize("kind", ["music", "noise"])
def test_music_or_noise_only_is_no_speech(kind: str, tmp_path: Path) -> None:
    if kind == "music":
        wav = make_background("music", 60 * RATE, RATE, tmp_path / "music.wav")
    else:
        wav = _white_noise(60.0, tmp_path / "noise.wav")
    info = extract_audio(_mux(wav, tmp_path / f"{kind}.mp4"), tmp_path / "a.wav")
    # The voice detector itself hears nobody; the loudness says it was not silence.
    assert sum(e - s for s, e in info.regions) < 1.0, info.regions
    assert info.sound_ratio > 0.9
    ok, why = has_speech(info)
    assert not ok, why
    assert why.startswith("no speech") and "music or noise" in why
    assert why.endswith("drop a video with a spoken lesson, or a .srt/.vtt beside it.")


@pytest.mark.parametrize("kind", ["music", "noise"])
def test_speech_under_a_background_10_db_down_has_speech(kind: str, lesson: dict, tmp_path: Path) -> None:
    clean = extract_audio(lesson["video"], tmp_path / "clean.wav")
    mixed = mix_background(clean.path, tmp_path / f"{kind}.wav", kind, snr_db=10.0)
    info = extract_audio(_mux(mixed.path, tmp_path / f"{kind}.mp4"), tmp_path / "mixed.wav")
    ok, why = has_speech(info)
    assert ok, why
    # The background between sentences is not taken for speech, and no sentence is lost under it.
    assert info.speech_ratio < clean.speech_ratio + 0.1, (info.regions, clean.regions)
    heard = sum(max(0.0, min(e, z) - max(s, a)) for s, e in clean.regions for a, z in info.regions)
    assert heard > 0.9 * sum(e - s for s, e in clean.regions), (info.regions, clean.regions)


def test_thresholds_on_region_lists() -> None:
    talk = AudioInfo(path="x", duration_s=120.0, sample_rate=RATE, speech_ratio=0.8,
                     regions=[(i * 6.0, i * 6.0 + 4.8) for i in range(20)])
    assert has_speech(talk)[0]
    # A short clip that is one sentence is still speech: continuous but shorter than a minute of music.
    assert has_speech(AudioInfo("x", 4.0, RATE, 0.9, [(0.2, 3.8)]))[0]
    # A lone cough in ten minutes is not a lesson.
    ok, why = has_speech({"duration_s": 600.0, "regions": [(10.0, 10.6)]})
    assert not ok and "silent" in why
    # Sparse but real speech: ten one-second remarks in ten minutes.
    assert has_speech({"duration_s": 600.0, "regions": [(i * 60.0, i * 60.0 + 1.5) for i in range(10)]})[0]
    # Two long unbroken stretches in five minutes: a soundtrack.
    ok, why = has_speech({"duration_s": 300.0, "regions": [(0.0, 140.0), (150.0, 300.0)]})
    assert not ok and "without a pause" in why and why.endswith("drop a .srt/.vtt beside the video.")
    # Fluent talk: ten minutes of 50-second stretches, each pause under half a second, is speech.
    fluent = [(i * 50.4, i * 50.4 + 50.0) for i in range(12)]
    assert has_speech({"duration_s": 605.0, "regions": fluent})[0]

"""has_speech on real decoded tracks: a spoken lesson, digital silence, music and steady noise in real mp4s."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from reelquant.media.audio import AudioInfo, extract_audio, has_speech
from reelquant.media.synth import write_silent_video

RATE = 16000


def _mux(pcm: np.ndarray, out: Path) -> Path:
    """An H.264/AAC mp4 of a plain picture with `pcm` (float, 16 kHz) as its sound."""
    wav = out.with_suffix(".wav")
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(pcm, -1, 1) * 32000).astype("<i2").tobytes())
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=navy:s=160x90:r=2", "-i", str(wav),
                    "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(out)], check=True)
    return out


def _music(seconds: float, seed: int = 0) -> np.ndarray:
    """Plucked notes every quarter second over a sustained chord that changes every two seconds."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    notes = np.array([261.6, 293.7, 329.6, 349.2, 392.0, 440.0, 493.9])
    root = notes[(t // 2).astype(int) % 7]
    x = 0.12 * (np.sin(2 * np.pi * root * t) + np.sin(2 * np.pi * 1.5 * root * t))
    step = RATE // 4
    for k in range(len(t) // step):
        tt = np.arange(min(int(0.6 * RATE), len(t) - k * step)) / RATE
        x[k * step:k * step + tt.size] += 0.3 * np.sin(2 * np.pi * rng.choice(notes) * 2 * tt) * np.exp(-6 * tt)
    return x


def test_spoken_lesson_has_speech(lesson: dict, tmp_path: Path) -> None:
    ok, why = has_speech(extract_audio(lesson["video"], tmp_path / "a.wav"))
    assert ok, why
    assert "region" in why


def test_silent_video_is_no_speech(tmp_path: Path) -> None:
    info = extract_audio(write_silent_video(tmp_path / "silent.mp4", duration_s=4.0), tmp_path / "a.wav")
    ok, why = has_speech(info)
    assert not ok and why.startswith("no speech") and "silent" in why


@pytest.mark.parametrize("kind", ["music", "noise"])
def test_music_or_noise_only_is_no_speech(kind: str, tmp_path: Path) -> None:
    pcm = _music(60.0) if kind == "music" else 0.1 * np.random.default_rng(1).standard_normal(60 * RATE)
    info = extract_audio(_mux(pcm, tmp_path / f"{kind}.mp4"), tmp_path / "a.wav")
    ok, why = has_speech(info)
    assert not ok, why
    assert why.startswith("no speech") and "music or noise" in why


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
    assert not has_speech({"duration_s": 300.0, "regions": [(0.0, 140.0), (150.0, 300.0)]})[0]

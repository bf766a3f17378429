"""Silero VAD as reelquant runs it, frame for frame against faster-whisper's own, on real synthesized speech."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from faster_whisper.vad import get_speech_timestamps, get_vad_model

from reelquant.media.audio import (
    VAD_FRAME,
    VAD_FRAME_S,
    VAD_RATE,
    extract_audio,
    speech_probabilities,
    speech_regions,
)
from reelquant.media.synth import synthesize_speech


def _write(pcm: np.ndarray, path: Path, rate: int = VAD_RATE) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())
    return path


def _floats(pcm: np.ndarray) -> np.ndarray:
    return pcm.astype(np.float32) / 32768.0


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Silence, a Festival sentence, silence, another sentence: 16 kHz, a length that is not whole frames."""
    root = tmp_path_factory.mktemp("vad")
    parts = [np.zeros(int(0.7 * VAD_RATE), dtype=np.int16)]
    for i, text in enumerate(["Buy when the fast average crosses the slow one.", "Sell at the next close."]):
        raw = synthesize_speech(text, root / f"raw{i}.wav")
        with wave.open(extract_audio(raw, root / f"s{i}.wav").path, "rb") as w:
            parts.append(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"))
        parts.append(np.zeros(int(1.2 * VAD_RATE), dtype=np.int16))
    pcm = np.concatenate(parts)
    # faster-whisper zeroes the last 64 samples of the final frame it is given (its context slice is a view
    # of the audio); ending 300 samples into a frame puts those samples in its zero padding, where ours are
    # zeros too, so every frame can be compared.
    pcm = pcm[: (pcm.size // VAD_FRAME) * VAD_FRAME - VAD_FRAME + 300]
    return {"wav": _write(pcm, root / "spoken.wav"), "pcm": pcm}


def _reference(pcm: np.ndarray) -> np.ndarray:
    """Per-frame probabilities exactly as faster_whisper.vad.get_speech_timestamps computes them."""
    audio = _floats(pcm)
    padded = np.pad(audio, (0, VAD_FRAME - audio.shape[0] % VAD_FRAME))
    return np.asarray(get_vad_model()(padded), dtype=np.float32).reshape(-1)


@pytest.mark.parametrize("window_s", [60.0, 1.0, 0.7])
def test_probabilities_equal_faster_whispers_across_window_boundaries(spoken: dict, window_s: float) -> None:
    ours = speech_probabilities(spoken["wav"], window_s=window_s)
    ref = _reference(spoken["pcm"])
    assert ours.shape == ref.shape == (int(np.ceil(spoken["pcm"].size / VAD_FRAME)),)
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    # Real speech and real silence, both heard: the comparison covers both sides of the threshold.
    assert ref.max() > 0.9 and ref[: int(0.5 / VAD_FRAME_S)].max() < 0.1


def test_regions_agree_with_faster_whispers_timestamps(spoken: dict) -> None:
    ours = speech_regions(spoken["wav"], min_speech_s=0.15, min_silence_s=0.3, pad_s=0.1)
    theirs = get_speech_timestamps(_floats(spoken["pcm"]), threshold=0.5, min_speech_duration_ms=150,
                                   min_silence_duration_ms=300, speech_pad_ms=100)
    assert len(ours) == len(theirs) == 2, (ours, theirs)
    for (start, end), t in zip(ours, theirs, strict=True):
        # Same probabilities, same hysteresis (0.5 up, 0.35 down), same bridging and padding: to the frame.
        assert start == pytest.approx(t["start"] / VAD_RATE, abs=VAD_FRAME_S)
        assert end == pytest.approx(t["end"] / VAD_RATE, abs=VAD_FRAME_S)


def test_a_wav_not_at_16k_is_refused_with_what_to_do(tmp_path: Path) -> None:
    wav = _write(np.zeros(22050, dtype=np.int16), tmp_path / "cd.wav", rate=22050)
    with pytest.raises(ValueError, match="16000 Hz; convert it with extract_audio first"):
        speech_probabilities(wav)

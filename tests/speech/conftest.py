"""Real speech for the engine tests: Festival sentences resampled to 16 kHz mono, with a pause between them."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from reelquant.media.audio import extract_audio
from reelquant.media.synth import synthesize_speech

SENTENCES = [
    "The moving average crosses above the price and we buy.",
    "Sell when the market drops below the low of the last ten days.",
]


@pytest.fixture(scope="session")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """16 kHz WAV of SENTENCES with 1.5 s of silence between them, and the reference text."""
    root = tmp_path_factory.mktemp("spoken")
    parts = []
    for i, text in enumerate(SENTENCES):
        info = extract_audio(synthesize_speech(text, root / f"raw{i}.wav"), root / f"s{i}.wav")
        with wave.open(info.path, "rb") as w:
            parts.append(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"))
    pcm = np.concatenate([parts[0], np.zeros(24000, dtype=np.int16), parts[1]])
    out = root / "spoken.wav"
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.tobytes())
    return {"wav": out, "text": " ".join(SENTENCES), "duration": len(pcm) / 16000,
            "boundary": len(parts[0]) / 16000 + 0.75}

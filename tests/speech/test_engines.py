import re
import wave
from pathlib import Path

import numpy as np
import pytest

from reelquant.speech.engines import (
    EngineUnavailableError,
    PocketsphinxEngine,
    SidecarEngine,
    TranscriptionEngine,
    TranscriptionError,
    select_engine,
)
from reelquant.speech.wer import word_error_rate, word_errors

SRT = "1\n00:00:00,500 --> 00:00:02,000\nBuy the breakout.\n\n2\n00:00:02,500 --> 00:00:04,000\nSell the close.\n"


def test_word_error_rate() -> None:
    assert word_error_rate("buy the close now", "buy the close now") == 0.0
    assert word_error_rate("buy the close now", "buy a close") == 0.5
    assert word_errors("Long-only, twenty day!", "long only twenty a day") == (1, 4)


@pytest.fixture(scope="module")
def sphinx() -> PocketsphinxEngine:
    return PocketsphinxEngine()


def test_pocketsphinx_transcribes_festival_speech(sphinx: PocketsphinxEngine, spoken: dict) -> None:
    assert isinstance(sphinx, TranscriptionEngine)
    transcript = sphinx.transcribe(spoken["wav"])
    assert transcript.engine == "pocketsphinx"
    assert transcript.duration_s == pytest.approx(spoken["duration"], abs=0.01)
    wer = word_error_rate(spoken["text"], transcript.text)
    assert wer < 0.35, (wer, transcript.text)

    words = [w for seg in transcript.segments for w in seg.words]
    assert len(words) >= 15
    assert all(0.0 <= w.start < w.end <= spoken["duration"] for w in words)
    assert all(a.start <= b.start and a.end <= b.start + 1e-6 for a, b in zip(words, words[1:], strict=False))
    assert not any(re.search(r"[<\[(]", w.text) for w in words)
    assert all(0.0 <= (w.confidence or 0.0) <= 1.0 for w in words)
    # The pause between the two sentences separates segments.
    assert len(transcript.segments) >= 2
    assert not any(s.start < spoken["boundary"] < s.end for s in transcript.segments)
    assert all(seg.text == " ".join(w.text for w in seg.words) for seg in transcript.segments)


def _write16(path: Path, pcm: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.astype(np.int16).tobytes())
    return path


def test_pocketsphinx_loads_its_model_once(spoken: dict, tmp_path: Path) -> None:
    engine = PocketsphinxEngine()
    quiet = _write16(tmp_path / "quiet.wav", np.zeros(16000))
    silent = engine.transcribe(quiet)
    assert silent.segments == [] and silent.warnings == ["no speech was found in the audio"]
    # Silence needs no decoding, so the model is not loaded yet.
    assert engine._decoder is None
    with wave.open(str(spoken["wav"]), "rb") as w:
        head = np.frombuffer(w.readframes(32000), dtype="<i2")
    short = _write16(tmp_path / "short.wav", np.concatenate([head, np.zeros(8000)]))
    first = engine.transcribe(short)
    decoder = engine._decoder
    assert decoder is not None and first.segments
    again = engine.transcribe(short)
    assert engine._decoder is decoder
    assert again.text == first.text


def test_pocketsphinx_refuses_wrong_sample_rate(tmp_path: Path) -> None:
    wav = tmp_path / "cd.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(np.zeros(4410 * 2, dtype=np.int16).tobytes())
    with pytest.raises(TranscriptionError, match="needs 16 kHz mono"):
        PocketsphinxEngine().transcribe(wav)


def test_pocketsphinx_reports_a_missing_model(tmp_path: Path) -> None:
    ok, why = PocketsphinxEngine(model_dir=tmp_path).available()
    assert not ok and "model is missing" in why


def test_sidecar_engine(tmp_path: Path) -> None:
    video = tmp_path / "lesson.mp4"
    video.write_bytes(b"\0")
    engine = SidecarEngine()
    with pytest.raises(EngineUnavailableError, match="no subtitle file"):
        engine.transcribe(tmp_path / "none.wav", video)
    (tmp_path / "lesson.en.srt").write_text(SRT)
    transcript = engine.transcribe(tmp_path / "none.wav", video)
    assert transcript.engine == "sidecar" and transcript.model == "lesson.en.srt"
    assert transcript.text == "Buy the breakout. Sell the close."
    assert transcript.duration_s == 4.0


def test_auto_prefers_the_sidecar(tmp_path: Path) -> None:
    video = tmp_path / "lesson.mp4"
    (tmp_path / "lesson.srt").write_text(SRT)
    engine, reason = select_engine("auto", video, [PocketsphinxEngine(), SidecarEngine()])
    assert engine.name == "sidecar" and "lesson.srt" in reason


def test_auto_takes_the_first_available_engine(tmp_path: Path) -> None:
    video = tmp_path / "lesson.mp4"
    broken = PocketsphinxEngine(model_dir=tmp_path / "nowhere")
    broken.name = "broken"
    working = PocketsphinxEngine()
    engine, reason = select_engine("auto", video, [SidecarEngine(), broken, working])
    assert engine is working
    assert reason.startswith("auto: pocketsphinx is the first available engine")
    assert "sidecar (no .srt/.vtt next to the video)" in reason and "broken (" in reason


def test_auto_with_nothing_available(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailableError, match="no transcription engine can run"):
        select_engine("auto", tmp_path / "x.mp4", [SidecarEngine(), PocketsphinxEngine(model_dir=tmp_path)])


def test_named_engine_selection(tmp_path: Path) -> None:
    video = tmp_path / "lesson.mp4"
    engines = [SidecarEngine(), PocketsphinxEngine()]
    engine, reason = select_engine("pocketsphinx", video, engines)
    assert engine is engines[1] and "configured" in reason
    with pytest.raises(EngineUnavailableError, match="unknown transcription engine 'whisper'"):
        select_engine("whisper", video, engines)
    with pytest.raises(EngineUnavailableError, match="no .srt/.vtt sits next to"):
        select_engine("sidecar", video, engines)

"""FasterWhisperEngine through its real loading path, on a tiny Whisper with random weights built here.

The tokenizer is the real multilingual Whisper BPE, rebuilt from the `multilingual.tiktoken` ranks
that ship inside the openai-whisper package; the weights are random, so the text is junk and only
the structure (times, words, order, language) is checked.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from reelquant.speech.engines import EngineUnavailableError
from reelquant.speech.whisper import FasterWhisperEngine
from tests.speech.random_whisper import build_random_whisper, whisper_tokenizer

pytest.importorskip("faster_whisper")
pytest.importorskip("ctranslate2")
pytest.importorskip("transformers")


@pytest.fixture(scope="session")
def tiny_whisper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("whisper") is None:
        pytest.skip("the openai-whisper package (source of the Whisper tokenizer ranks) is not installed")
    return build_random_whisper(tmp_path_factory.mktemp("tiny_whisper"))


def test_tokenizer_matches_whisper_ids() -> None:
    if importlib.util.find_spec("whisper") is None:
        pytest.skip("the openai-whisper package (source of the Whisper tokenizer ranks) is not installed")
    # Known ids of the multilingual Whisper vocabulary: BPE pieces, then the special-token block.
    tok, _ = whisper_tokenizer()
    assert tok.encode(" Buy when the RSI crosses above 30.").ids == [19146, 562, 264, 497, 20262, 28467, 3673,
                                                                      2217, 13]
    assert tok.token_to_id("<|endoftext|>") == 50257
    assert tok.token_to_id("<|notimestamps|>") == 50363
    assert tok.get_vocab_size() == 51865


def test_missing_models_say_why(tmp_path: Path) -> None:
    ok, why = FasterWhisperEngine(tmp_path).available()
    assert not ok and "model.bin" in why
    # A name that is neither packaged, local nor cached is fetched from the hub: where there is no hub,
    # loading it fails with one sentence that names the offline choices.
    engine = FasterWhisperEngine("no-such-whisper-model")
    ok, why = engine.available()
    assert ok and "model hub" in why and "base" in why
    with pytest.raises(EngineUnavailableError, match="could not load 'no-such-whisper-model'.*base or tiny.en"):
        engine._get_pipeline()
    with pytest.raises(EngineUnavailableError, match="faster_whisper cannot run"):
        FasterWhisperEngine(tmp_path).transcribe(Path("unused.wav"))


def test_tiny_model_loads_once_and_returns_timed_words(tiny_whisper: Path, spoken: dict) -> None:
    engine = FasterWhisperEngine(tiny_whisper, batch_size=4, cpu_threads=1)
    ok, why = engine.available()
    assert ok, why
    tr = engine.transcribe(spoken["wav"])
    assert tr.engine == "faster_whisper"
    assert tr.duration_s == pytest.approx(spoken["duration"], abs=0.01)
    assert tr.language and tr.language.isalpha()
    assert tr.segments, "the pipeline produced no segments"
    assert [s.id for s in tr.segments] == list(range(len(tr.segments)))
    previous = 0.0
    words = 0
    for seg in tr.segments:
        assert 0.0 <= seg.start <= seg.end <= spoken["duration"] + 1e-6
        assert seg.start >= previous - 1e-6
        previous = seg.start
        for w in seg.words:
            assert seg.start - 1e-6 <= w.start <= w.end <= seg.end + 1e-6
            assert w.text and w.confidence is not None and 0.0 <= w.confidence <= 1.0
        assert [w.start for w in seg.words] == sorted(w.start for w in seg.words)
        words += len(seg.words)
    assert words > 0
    engine.transcribe(spoken["wav"])
    assert engine.loads == 1


def test_auto_prefers_a_usable_whisper_over_pocketsphinx(tiny_whisper: Path, tmp_path: Path) -> None:
    from reelquant.speech.engines import PocketsphinxEngine, SidecarEngine, select_engine
    from reelquant.speech.whisper import WhisperXEngine

    video = tmp_path / "lesson.mp4"
    video.write_bytes(b"")
    # Given in the wrong order on purpose: auto ranks engines itself.
    engines = [PocketsphinxEngine(), FasterWhisperEngine(tiny_whisper), WhisperXEngine("tiny"), SidecarEngine()]
    chosen, reason = select_engine("auto", video, engines)
    if WhisperXEngine("tiny").available()[0]:
        assert chosen.name == "whisperx"
    else:
        assert chosen.name == "faster_whisper"
        assert "whisperx (" in reason and reason.index("sidecar") < reason.index("whisperx")
    engines[1] = FasterWhisperEngine(tmp_path)  # a folder with no model in it
    chosen, reason = select_engine("auto", video, engines)
    assert chosen.name in {"pocketsphinx", "whisperx"}
    assert "faster_whisper (" in reason or chosen.name == "whisperx"
    (tmp_path / "lesson.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n", encoding="utf-8")
    assert select_engine("auto", video, engines)[0].name == "sidecar"

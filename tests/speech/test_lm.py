"""The trading language model for pocketsphinx: its corpus, its ARPA text, and the engine option."""

import math
import re
from pathlib import Path

import pocketsphinx
import pytest

from reelquant.indicators import REGISTRY
from reelquant.speech import lm as lm_module
from reelquant.speech.engines import PocketsphinxEngine
from reelquant.speech.lm import (
    MAX_PHRASE_WORDS,
    _backoff_prob,
    _grammar,
    _pronunciations,
    build_arpa,
    default_cache_dir,
    export_english_bigrams,
    interpolate,
    load_ngram_model,
    model_key,
    read_arpa,
    registry_phrases,
    spoken_number,
    spoken_numbers,
    spoken_words,
    trading_corpus,
    trading_language_model,
    trading_model_recipe,
    vocabulary_phrases,
    write_arpa,
)
from reelquant.speech.wer import word_error_rate
from reelquant.text.lexicon import load_lexicon, registry_terms
from reelquant.text.numbers import spell_number

from ..text.lessons import OWN_LESSONS, SAMPLE_LESSONS, SHARED_LESSONS, lesson_names

ENGLISH_MODEL = Path(pocketsphinx.get_model_path()) / "en-us"


def _read_arpa(text: str) -> tuple[list[dict], list[dict]]:
    probs: list[dict] = [{}, {}, {}]
    bows: list[dict] = [{}, {}, {}]
    n = 0
    for line in text.splitlines():
        if m := re.fullmatch(r"\\(\d)-grams:", line):
            n = int(m.group(1))
            continue
        parts = line.split("\t")
        if n and len(parts) >= 2:
            gram = tuple(parts[1].split())
            probs[n - 1][gram] = 10 ** float(parts[0])
            if len(parts) == 3:
                bows[n - 1][gram] = 10 ** float(parts[2])
    return probs, bows


def _p(gram: tuple[str, ...], probs: list[dict], bows: list[dict]) -> float:
    if gram in probs[len(gram) - 1]:
        return probs[len(gram) - 1][gram]
    return bows[len(gram) - 2].get(gram[:-1], 1.0) * _p(gram[1:], probs, bows)


def test_arpa_model_is_a_distribution_after_every_history() -> None:
    sentences = ["we buy when the rsi drops below thirty", "we sell when the rsi rises above seventy",
                 "we buy when the close crosses above the average"]
    general = {"the": -1.2, "market": -3.0, "money": -3.1, "we": -2.0}
    probs, bows = _read_arpa(build_arpa(sentences, general, general_weight=0.3))
    vocab = [g[0] for g in probs[0] if g[0] != "<s>"]
    assert {"market", "money", "rsi"} <= set(vocab)
    for history in [("<s>",), ("we",), ("we", "buy"), ("the", "rsi"), ("the", "market"), ("<s>", "we")]:
        total = sum(_p((*history, w), probs, bows) for w in vocab)
        assert math.isclose(total, 1.0, rel_tol=1e-3), (history, total)
    assert _p(("the", "rsi", "drops"), probs, bows) > _p(("the", "rsi", "money"), probs, bows)


# ---------------------------------------------------------------- the corpus


def _scripts() -> list[Path]:
    return [folder / f"{name}.txt" for folder in (SHARED_LESSONS, OWN_LESSONS, SAMPLE_LESSONS)
            for name in lesson_names(folder)]


def _windows(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_spoken_numbers() -> None:
    assert [spell_number(n) for n in (7, 14, 20, 55, 200, 126)] == [
        "seven", "fourteen", "twenty", "fifty five", "two hundred", "one hundred twenty six"
    ]
    assert [spoken_number(x) for x in (14, 2.5, 0.02, -80, 0.2)] == [
        "fourteen", "two point five", "point zero two", "minus eighty", "point two"
    ]
    assert spoken_numbers(1.5) == ["one point five", "one and a half"]
    assert spoken_numbers(0.5) == ["point five"] and spoken_numbers(20) == ["twenty"]
    assert spoken_words("The 200-day SMA, 2.5% below & 52 week high") == (
        "the two hundred day sma two point five percent below fifty two week high")


def test_corpus_names_every_registry_indicator() -> None:
    corpus = set(trading_corpus())
    for decl in REGISTRY.values():
        for word in (*decl.words, *decl.family_words):
            assert spoken_words(word) in corpus, (decl.name, word)
        # Each indicator with a window is said with it, its default among the numbers ("the twenty day simple
        # moving average", taught as runs of at most MAX_PHRASE_WORDS words).
        if "window" in decl.param_names:
            default = spoken_number(decl.defaults["window"])
            name = spoken_words(decl.words[0]).removeprefix("the ").split()
            said = [f"{default} {unit} {' '.join(name)}".split() for unit in ("day", "period", "bar")]
            assert any(" ".join(words[:MAX_PHRASE_WORDS]) in corpus for words in said), decl.name
            assert any(" ".join(words[-MAX_PHRASE_WORDS:]) in corpus for words in said), decl.name


def test_vocabulary_is_the_registrys_words_and_the_lexicon_files_terms() -> None:
    corpus = set(trading_corpus())
    phrases = vocabulary_phrases()
    registry_ids = {t.id for t in registry_terms()}
    for decl in REGISTRY.values():
        for word in (*decl.words, *decl.family_words):
            spoken = spoken_words(word)
            assert spoken in phrases and spoken in corpus, word
    # An indicator's misheard forms are for reading other recognizers' transcripts, not for this one to
    # produce (unless a misheard spelling says the same words as a proper one: "e. m. a." and "e m a").
    assert "parabolic czar" not in phrases and "on balanced volume" not in phrases
    assert not any("parabolic czar" in p for p in corpus)
    assert "parabolic czar" in load_lexicon().by_alias
    for term in load_lexicon().terms:
        if term.id not in registry_ids:
            for alias in term.aliases:
                assert spoken_words(alias) in phrases, alias


def test_corpus_holds_no_sentence_of_any_lesson() -> None:
    """No six words in a row of any labeled lesson (numbers spoken, as the corpus has them) are a run of the
    corpus, and the corpus's longest phrases only rarely say what a lesson says, and then only a registry or
    lexicon phrase with a number ("twenty day simple moving average")."""
    corpus = trading_corpus()
    assert len(corpus) > 5000
    scripts = _scripts()
    assert len(scripts) >= 17
    lesson_words = [spoken_words(path.read_text(encoding="utf-8")).split() for path in scripts]
    corpus_runs = set().union(*(_windows(p.split(), 6) for p in corpus))
    for path, words in zip(scripts, lesson_words, strict=True):
        copied = _windows(words, 6) & corpus_runs
        assert not copied, (path.name, sorted(copied)[:3])
    longest = {tuple(p.split()) for p in corpus if len(p.split()) == MAX_PHRASE_WORDS}
    said = set().union(*(_windows(words, MAX_PHRASE_WORDS) for words in lesson_words))
    assert len(longest) > 1000
    assert len(longest & said) < 0.02 * len(longest), sorted(longest & said)


def test_corpus_words_come_from_the_registry_the_lexicon_and_the_rule_readers_vocabulary() -> None:
    """Every word of the corpus is a registry or lexicon word, a parameter's name, one of the rule reader's
    words the corpus takes (comparisons, units, lookbacks, settings, conditions), a spoken number, or one
    of the few words the phrases are joined with."""
    from reelquant.text.rules import vocab

    known: set[str] = set()
    for phrase in vocabulary_phrases():
        known.update(phrase.split())
    for decl in REGISTRY.values():
        for p in decl.params:
            known.update(spoken_words(" ".join((p.name, *p.aliases))).split())
    for words in _grammar().values():
        known.update(w for phrase in words for w in phrase.split())
    known |= vocab.ABOVE | vocab.BELOW | {spell_number(n) for n in range(100)} | {"hundred", "point", "minus", "plus"}
    known |= {lm_module._USE, lm_module._BACK, *lm_module._POSSESSIVES}
    known |= {w for verbs in lm_module._MOTION.values() for w in verbs} | set(lm_module._SUBJECTS)
    known |= set(lm_module._ACTS) | set(lm_module._ORDER_VERBS)
    glue = {"the", "a", "of", "and", "with", "in", "row", "times", "percent", "settings", "high", "low", "on",
            "line"}
    unknown = {w for p in trading_corpus() for w in p.split()} - known
    assert unknown <= glue, sorted(unknown - glue)


def _english_dictionary() -> Path:
    return ENGLISH_MODEL / "cmudict-en-us.dict"


def test_every_registry_word_can_be_pronounced() -> None:
    """Each word of each indicator is in the English dictionary, among the extra pronunciations, or
    derived from how the registry spells it out; only some misheard family spellings cannot be."""
    pron = _pronunciations(_english_dictionary())
    assert pron["cci"] == [" ".join([pron["c"][0], pron["c"][0], pron["i"][0]])]
    assert pron["supertrend"] == [pron["super"][0] + " " + pron["trend"][0]]
    assert pron["emas"] == [p + " Z" for p in pron["ema"]]
    for decl in REGISTRY.values():
        for word in decl.words:
            tokens = spoken_words(word).split()
            # Abbreviations only written, never said, need no pronunciation.
            missing = [t for t in tokens if t not in pron and t not in ("lwma", "avg")]
            assert not missing, (word, missing)
        if decl.family_words:
            assert all(t in pron for t in decl.family_words[0].split()), decl.family


def test_model_key_follows_the_registry_and_the_rule_readers_words(monkeypatch) -> None:
    before = model_key()
    assert model_key() == before
    monkeypatch.setattr(lm_module, "registry_phrases", lambda: [*registry_phrases(), "new oscillator"])
    assert model_key() != before
    monkeypatch.undo()
    from reelquant.text.rules import vocab

    monkeypatch.setattr(vocab, "LOOKBACK", vocab.LOOKBACK | {"trailing"})
    assert model_key() != before


def test_unknown_language_model_is_refused_in_one_sentence() -> None:
    with pytest.raises(ValueError, match="use 'default' or 'trading'"):
        PocketsphinxEngine(language_model="finance")


# ---------------------------------------------------------------- estimation


def _model(tmp_path, name: str, sentences: list[str], general: dict[str, float]) -> list[dict]:
    path = tmp_path / f"{name}.arpa"
    path.write_text(build_arpa(sentences, general, general_weight=0.3))
    return read_arpa(path)


def test_interpolation_is_the_weighted_mix_and_stays_a_distribution(tmp_path) -> None:
    vocab = ["we", "buy", "sell", "when", "the", "rsi", "drops", "rises", "below", "above", "thirty", "seventy",
             "market", "is", "open", "today", "back", "welcome"]
    general = {w: -1.5 - 0.1 * i for i, w in enumerate(vocab)} | {"</s>": -1.0}
    domain = _model(tmp_path, "domain", ["we buy when the rsi drops below thirty",
                                         "we sell when the rsi rises above seventy"], general)
    english = _model(tmp_path, "english", ["welcome back the market is open today",
                                           "the market is open when we buy"], general)
    mixed = interpolate(domain, english, domain_weight=0.3)
    for words in (["the", "rsi"], ["welcome", "back"], ["rsi", "drops"], ["market", "is"], ["we", "buy", "when"]):
        expected = 0.3 * _backoff_prob(domain, words) + 0.7 * _backoff_prob(english, words)
        assert math.isclose(_backoff_prob(mixed, words), expected, rel_tol=1e-6), words
    # Each side alone is sure of its own phrase and not of the other's; the mix keeps both.
    assert _backoff_prob(mixed, ["welcome", "back"]) > 5 * _backoff_prob(domain, ["welcome", "back"])
    assert _backoff_prob(mixed, ["rsi", "drops"]) > 5 * _backoff_prob(english, ["rsi", "drops"])
    words = [w for w in mixed[0] if w != "<s>"]
    for history in (["<s>"], ["we"], ["the"], ["welcome"], ["market"], ["we", "buy"], ["the", "market"]):
        total = sum(_backoff_prob(mixed, [*history, w]) for w in words)
        assert math.isclose(total, 1.0, rel_tol=1e-3), (history, total)


def test_arpa_round_trip(tmp_path) -> None:
    grams = _model(tmp_path, "d", ["we buy the dip", "we sell the rip"], {"we": -1.0, "the": -1.2})
    write_arpa(grams, tmp_path / "again.arpa")
    again = read_arpa(tmp_path / "again.arpa")
    for n in range(3):
        assert set(again[n]) == set(grams[n])
        for key, (p, bow) in grams[n].items():
            assert math.isclose(again[n][key][0], p, rel_tol=1e-3, abs_tol=1e-12)
            if n < 2:
                assert math.isclose(again[n][key][1], bow, rel_tol=1e-3), key


def test_english_export_refuses_a_model_it_cannot_read(tmp_path) -> None:
    (tmp_path / "en-us.lm.bin").write_bytes(b"not a language model")
    with pytest.raises(RuntimeError, match="could not be exported"):
        export_english_bigrams(tmp_path, tmp_path / "out.arpa")


# ---------------------------------------------------------------- the built model


@pytest.fixture(scope="module")
def built_model() -> tuple[Path, Path]:
    # The cache the engine itself uses, so the build (a minute or two) happens once per machine.
    return trading_language_model(default_cache_dir(), ENGLISH_MODEL)


def test_trading_model_carries_english_bigrams_and_trading_phrases(built_model) -> None:
    lm_path, dic = built_model
    recipe = trading_model_recipe(lm_path)
    assert recipe["kind"] == "interpolated", recipe
    assert recipe["english_bigrams"] > 1_000_000
    mixed, log, _config = load_ngram_model(lm_path)
    english, _english_log, _english_config = load_ngram_model(ENGLISH_MODEL / "en-us.lm.bin")
    domain = read_arpa(lm_path.with_name("domain.arpa"))

    def p(lm, word: str, *history: str) -> float:  # pocketsphinx takes the word first, then its history
        return log.exp(lm.prob([word, *reversed(history)]))  # both models use the default log base

    # Ordinary English context the trading phrases alone lack ...
    assert p(mixed, "back", "welcome") > 5 * _backoff_prob(domain, ["welcome", "back"])
    # ... and trading phrases the English model finds unlikely.
    assert p(mixed, "average", "moving") > p(english, "average", "moving")
    assert p(mixed, "drops", "rsi") > 10 * p(english, "drops", "rsi")
    assert p(mixed, "rsi", "period", "fourteen") > 10 * p(english, "rsi", "period", "fourteen")
    pronounced = {line.split(" ", 1)[0] for line in dic.read_text().splitlines()}
    assert {"macd", "rsi", "bollinger", "welcome", "average", "supertrend", "keltner", "psar", "cci", "vwap",
            "adx", "parabolic", "williams"} <= pronounced


def test_trading_model_decodes_festival_speech(built_model, spoken: dict) -> None:
    """Festival speaking two rule sentences: the trading model hears them, word times and all."""
    lm_path = built_model[0]
    engine = PocketsphinxEngine(language_model="trading", lm_cache_dir=lm_path.parent.parent)
    heard = engine.transcribe(spoken["wav"])
    assert "trading language model interpolated" in heard.model
    assert word_error_rate(spoken["text"], heard.text) < 0.25, heard.text
    words = [w for seg in heard.segments for w in seg.words]
    assert {"moving", "average", "crosses", "above"} <= {w.text for w in words}, heard.text
    assert all(0 <= w.start < w.end <= spoken["duration"] for w in words)


def test_trading_model_hears_a_lesson_better_than_the_english_model(built_model, tmp_path) -> None:
    from reelquant.media.audio import extract_audio

    repo = Path(__file__).resolve().parents[2]
    audio = extract_audio(repo / "samples" / "ema_crossover_stop.mp4", tmp_path / "a.wav")
    said = (repo / "samples" / "ema_crossover_stop.txt").read_text()
    lm_path = built_model[0]
    trading = PocketsphinxEngine(language_model="trading", lm_cache_dir=lm_path.parent.parent)
    english = PocketsphinxEngine(language_model="default")
    heard_trading = trading.transcribe(Path(audio.path))
    heard_english = english.transcribe(Path(audio.path))
    assert "interpolated" in heard_trading.model
    assert word_error_rate(said, heard_trading.text) < word_error_rate(said, heard_english.text)
    assert word_error_rate(said, heard_trading.text) < 0.2


def test_cold_build_is_shared_by_concurrent_callers(tmp_path) -> None:
    """Two runs starting at once on a fresh machine: one build, both get it, nothing half-written is left."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: trading_language_model(tmp_path, ENGLISH_MODEL), range(2)))
    assert results[0] == results[1]
    lm_path, dic = results[0]
    assert trading_model_recipe(lm_path)["kind"] == "interpolated"
    assert trading_model_recipe(lm_path)["english_bigrams"] > 1_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([lm_path.parent.name, lm_path.parent.name + ".lock"])
    assert sorted(p.name for p in lm_path.parent.iterdir()) == ["domain.arpa", "recipe.json", "trading.dict",
                                                                "trading.lm.bin"]

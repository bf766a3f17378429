"""The trading language model for pocketsphinx: its corpus, its ARPA text, and the engine option."""

import math
import re

import pytest

from reelquant.indicators import REGISTRY
from reelquant.speech import lm as lm_module
from reelquant.speech.engines import PocketsphinxEngine
from reelquant.speech.lm import (
    _backoff_prob,
    _pronunciations,
    build_arpa,
    default_cache_dir,
    export_english_bigrams,
    interpolate,
    lesson_corpus,
    load_ngram_model,
    model_key,
    read_arpa,
    registry_phrases,
    trading_language_model,
    trading_model_recipe,
    vocabulary_phrases,
    write_arpa,
)
from reelquant.text.lexicon import load_lexicon, registry_terms
from reelquant.text.numbers import spell_number

from .lessons import OWN_LESSONS, SAMPLE_LESSONS, SHARED_LESSONS, lesson_names


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


def _mostly_slots(sentence: str) -> bool:
    """Whether a template makes `sentence` with most of its words from the slots (registry words, numbers,
    actions), so that it can equal a lesson's sentence by coincidence rather than by copying."""
    for template in lm_module._TEMPLATES:
        literal = re.sub(r"\{\w+\}", " ", template).split()
        pattern = r"\s*".join(".+" if part.startswith("{") else re.escape(part)
                               for part in re.split(r"(\{\w+\})|\s+", template) if part)
        if re.fullmatch(pattern, sentence) and len(literal) < len(sentence.split()) / 2:
            return True
    return False


def test_corpus_is_made_from_templates_not_from_labeled_lessons() -> None:
    n = 6000  # as the build uses
    corpus = lesson_corpus(sentences=n)
    generated, phrases = set(corpus[:n]), set(corpus[n:])
    assert len(generated) > 2000
    assert "we use the relative strength index" in phrases
    scripts = [folder / f"{name}.txt" for folder in (SHARED_LESSONS, OWN_LESSONS, SAMPLE_LESSONS)
               for name in lesson_names(folder)]
    assert len(scripts) >= 17
    coincidences = []
    for path in scripts:
        script = path.read_text().lower()
        for sentence in re.split(r"[.!?]\s*", script):
            words = " ".join(re.sub(r"[^a-z' ]", " ", sentence).split())
            if len(words.split()) >= 6:
                assert words not in phrases, words
                if words in generated:
                    assert _mostly_slots(words), words
                    coincidences.append(words)
    # A generic template fill ("the trend filter is the two hundred day simple moving average") may equal
    # a lesson's sentence; many would mean the templates copy lessons.
    assert len(coincidences) <= 3, coincidences


def _english_dictionary():
    from pathlib import Path

    import pocketsphinx

    return Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"


def test_vocabulary_is_the_registrys_words_and_the_lexicon_files_terms() -> None:
    corpus = set(lesson_corpus(sentences=10))
    phrases = vocabulary_phrases()
    registry_ids = {t.id for t in registry_terms()}
    for decl in REGISTRY.values():
        for word in (*decl.words, *decl.family_words):
            spoken = " ".join(re.sub(r"[^a-z' ]", " ", word.replace("%", " percent ")).split())
            assert spoken in phrases and f"we use the {spoken}" in corpus, word
    # An indicator's misheard forms are for reading other recognizers' transcripts, not for this one to
    # produce (unless a misheard spelling says the same words as a proper one: "e. m. a." and "e m a").
    assert "parabolic czar" not in phrases and "on balanced volume" not in phrases
    assert "parabolic czar" in load_lexicon().by_alias
    for term in load_lexicon().terms:
        if term.id not in registry_ids:
            for alias in term.aliases:
                assert " ".join(re.sub(r"[^a-z' ]", " ", alias).split()) in phrases, alias


def test_every_registry_word_can_be_pronounced() -> None:
    """Each word of each indicator is in the English dictionary, among the extra pronunciations, or
    derived from how the registry spells it out; only some misheard family spellings cannot be."""
    pron = _pronunciations(_english_dictionary())
    assert pron["cci"] == [" ".join([pron["c"][0], pron["c"][0], pron["i"][0]])]
    assert pron["supertrend"] == [pron["super"][0] + " " + pron["trend"][0]]
    assert pron["emas"] == [p + " Z" for p in pron["ema"]]
    for decl in REGISTRY.values():
        for word in decl.words:
            tokens = re.sub(r"[^a-z' ]", " ", word.replace("%", " percent ")).split()
            # Abbreviations only written, never said, need no pronunciation.
            missing = [t for t in tokens if t not in pron and t not in ("lwma", "avg")]
            assert not missing, (word, missing)
        if decl.family_words:
            assert all(t in pron for t in decl.family_words[0].split()), decl.family


def test_model_key_follows_the_registrys_words(monkeypatch) -> None:
    before = model_key()
    assert model_key() == before
    monkeypatch.setattr(lm_module, "registry_phrases", lambda: [*registry_phrases(), "new oscillator"])
    assert model_key() != before


def test_spoken_numbers() -> None:
    assert [spell_number(n) for n in (7, 14, 20, 55, 200, 126)] == [
        "seven", "fourteen", "twenty", "fifty five", "two hundred", "one hundred twenty six"
    ]


def test_unknown_language_model_is_refused_in_one_sentence() -> None:
    with pytest.raises(ValueError, match="use 'default' or 'trading'"):
        PocketsphinxEngine(language_model="finance")


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


@pytest.fixture(scope="module")
def built_model() -> tuple:
    from pathlib import Path

    import pocketsphinx

    model = Path(pocketsphinx.get_model_path()) / "en-us"
    # The cache the engine itself uses, so the build (under a minute) happens once per machine.
    lm, dic = trading_language_model(default_cache_dir(), model)
    return lm, dic, model


def test_trading_model_carries_english_bigrams_and_trading_phrases(built_model) -> None:
    lm_path, dic, model = built_model
    recipe = trading_model_recipe(lm_path)
    assert recipe["kind"] == "interpolated", recipe
    assert recipe["english_bigrams"] > 1_000_000
    mixed, log, _config = load_ngram_model(lm_path)
    english, _english_log, _english_config = load_ngram_model(model / "en-us.lm.bin")
    domain = read_arpa(lm_path.with_name("domain.arpa"))

    def p(lm, word: str, *history: str) -> float:  # pocketsphinx takes the word first, then its history
        return log.exp(lm.prob([word, *reversed(history)]))  # both models use the default log base

    # Ordinary English context the template model alone lacks ...
    assert p(mixed, "back", "welcome") > 5 * _backoff_prob(domain, ["welcome", "back"])
    # ... and trading phrases the English model finds unlikely.
    assert p(mixed, "average", "moving") > p(english, "average", "moving")
    assert p(mixed, "drops", "rsi") > 10 * p(english, "drops", "rsi")
    pronounced = {line.split(" ", 1)[0] for line in dic.read_text().splitlines()}
    assert {"macd", "rsi", "bollinger", "welcome", "average", "supertrend", "keltner", "psar", "cci", "vwap",
            "adx", "parabolic", "williams"} <= pronounced


def test_trading_model_hears_a_lesson_better_than_the_english_model(built_model, tmp_path) -> None:
    from pathlib import Path

    from reelquant.media.audio import extract_audio
    from reelquant.speech.wer import word_error_rate

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
    from pathlib import Path

    import pocketsphinx

    model = Path(pocketsphinx.get_model_path()) / "en-us"
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: trading_language_model(tmp_path, model), range(2)))
    assert results[0] == results[1]
    lm_path, dic = results[0]
    assert trading_model_recipe(lm_path)["kind"] == "interpolated"
    assert trading_model_recipe(lm_path)["english_bigrams"] > 1_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([lm_path.parent.name, lm_path.parent.name + ".lock"])
    assert sorted(p.name for p in lm_path.parent.iterdir()) == ["domain.arpa", "recipe.json", "trading.dict",
                                                                "trading.lm.bin"]

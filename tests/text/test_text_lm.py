"""The trading language model for pocketsphinx: its corpus, its ARPA text, and the engine option."""

import math
import re

import pytest

from reelquant.speech.engines import PocketsphinxEngine
from reelquant.speech.lm import build_arpa, lesson_corpus, spoken_number

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


def test_corpus_is_made_from_templates_not_from_labeled_lessons() -> None:
    corpus = set(lesson_corpus(sentences=3000))
    assert len(corpus) > 1000
    assert "we use the relative strength index" in corpus
    scripts = [folder / f"{name}.txt" for folder in (SHARED_LESSONS, OWN_LESSONS, SAMPLE_LESSONS)
               for name in lesson_names(folder)]
    assert len(scripts) >= 17
    for path in scripts:
        script = path.read_text().lower()
        for sentence in re.split(r"[.!?]\s*", script):
            words = " ".join(re.sub(r"[^a-z' ]", " ", sentence).split())
            if len(words.split()) >= 6:
                assert words not in corpus, words


def test_spoken_numbers() -> None:
    assert [spoken_number(n) for n in (7, 14, 20, 55, 200, 126)] == [
        "seven", "fourteen", "twenty", "fifty five", "two hundred", "one hundred twenty six"
    ]


def test_unknown_language_model_is_refused_in_one_sentence() -> None:
    with pytest.raises(ValueError, match="use 'default' or 'trading'"):
        PocketsphinxEngine(language_model="finance")

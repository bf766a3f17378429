"""Word error rate: word-level edit distance between what was said and what was heard.

Both texts first go through Whisper's English text normalizer (the one its published WERs use), clause by
clause, so that casing, punctuation, spelling variants and the way a number is written do not count as
errors: "200-day" and "two hundred day", "1.5" and "one point five", "20%" and "twenty percent" are the same
words.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Loaded under this name so that the openai-whisper package's own __init__ (which imports torch) never runs.
_NORMALIZERS_MODULE = "_reelquant_whisper_normalizers"
_INSTALL_HINT = "pip install openai-whisper --no-deps more-itertools regex"
_CLAUSE_END = re.compile(r"(?<=[,;:.!?])\s+")
# "%R", "%K": a percent sign that names a line, not a number's unit (the normalizer would drop it)
_NAMED_PERCENT = re.compile(r"(?<!\d)%(?=[A-Za-z])")


class NormalizerUnavailableError(RuntimeError):
    """Whisper's English text normalizer cannot be loaded."""


@functools.cache
def english_normalizer() -> Callable[[str], str]:
    """Whisper's EnglishTextNormalizer, read from the installed openai-whisper package without importing it whole."""
    spec = importlib.util.find_spec("whisper")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    folder = next((Path(loc) / "normalizers" for loc in locations if (Path(loc) / "normalizers" / "english.py")
                   .is_file()), None)
    if folder is None:
        raise NormalizerUnavailableError(
            "word error rates need Whisper's English text normalizer, and the openai-whisper package that "
            f"carries it is not installed; install it with `{_INSTALL_HINT}`.")
    module_spec = importlib.util.spec_from_file_location(_NORMALIZERS_MODULE, folder / "__init__.py",
                                                         submodule_search_locations=[str(folder)])
    if module_spec is None or module_spec.loader is None:
        raise NormalizerUnavailableError(f"{folder} is not a loadable package; reinstall with `{_INSTALL_HINT}`.")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[_NORMALIZERS_MODULE] = module
    try:
        module_spec.loader.exec_module(module)
    except ImportError as exc:
        del sys.modules[_NORMALIZERS_MODULE]
        raise NormalizerUnavailableError(
            f"Whisper's English text normalizer needs the {exc.name or 'missing'} package, which is not "
            f"installed; install it with `{_INSTALL_HINT}`.") from exc
    return module.EnglishTextNormalizer()


def normalized_words(text: str) -> list[str]:
    """The words of `text` after Whisper's English normalization: lower case, numbers as digits
    ("two hundred day" -> "200", "day"), no punctuation, hyphenated words split, fillers ("um") dropped,
    letters spelled one by one joined ("plus d i" -> "plus", "di").

    Each clause (up to a comma, full stop or other mark followed by a space) is normalized on its own, so
    that numbers the punctuation keeps apart stay apart: "twelve, twenty six and nine" is 12 26 and 9, as
    "12, 26 and 9" is, where the normalizer over the whole text would read the year-like 1226.
    """
    normalize = english_normalizer()
    text = _NAMED_PERCENT.sub("percent ", text)
    return [word for clause in _CLAUSE_END.split(text) for word in _join_spelled(normalize(clause).split())]


def _join_spelled(words: list[str]) -> list[str]:
    """Letters said one by one are one word: "d i" is "di", as "ATR" and "A.T.R." are the same "atr"."""
    out: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        out += ["".join(run)] if len(run) > 1 else run
        run = []
        if word:
            out.append(word)
    return out


def align_words(reference: str, hypothesis: str) -> list[tuple[str | None, str | None]]:
    """A least-edit alignment of the normalized words: (said, heard) pairs, with None on the side that
    lacks the word (a deletion is (word, None), an insertion (None, word)); equal pairs are correct words."""
    ref, hyp = normalized_words(reference), normalized_words(hypothesis)
    cost = [list(range(len(hyp) + 1))]
    for i, r in enumerate(ref, start=1):
        prev, row = cost[-1], [i]
        for j, h in enumerate(hyp, start=1):
            row.append(min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (r != h)))
        cost.append(row)
    pairs: list[tuple[str | None, str | None]] = []
    i, j = len(ref), len(hyp)
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            pairs.append((ref[i - 1], hyp[j - 1]))
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            pairs.append((ref[i - 1], None))
            i -= 1
        else:
            pairs.append((None, hyp[j - 1]))
            j -= 1
    return pairs[::-1]


@dataclass(frozen=True)
class WordScore:
    """One alignment of what was said against what was heard, summed up."""

    edits: int  # substituted + deleted + inserted words
    words: int  # words in the reference
    spans: list[tuple[str, str]]  # misheard_spans: each run of wrong words as (said, heard)

    @property
    def rate(self) -> float:
        """Word errors per reference word (0.0 is perfect; can exceed 1.0 when much is inserted)."""
        return self.edits / max(self.words, 1)


def word_score(reference: str, hypothesis: str) -> WordScore:
    """Edits, reference words and misheard spans from a single alignment (align_words)."""
    pairs = align_words(reference, hypothesis)
    spans: list[tuple[str, str]] = []
    said: list[str] = []
    heard: list[str] = []
    for r, h in [*pairs, ("", "")]:
        if r == h:
            if said or heard:
                spans.append((" ".join(said), " ".join(heard)))
                said, heard = [], []
            continue
        if r is not None:
            said.append(r)
        if h is not None:
            heard.append(h)
    return WordScore(sum(r != h for r, h in pairs), sum(r is not None for r, _ in pairs), spans)


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, words in the reference), by Levenshtein distance over words."""
    score = word_score(reference, hypothesis)
    return score.edits, score.words


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word errors per reference word (0.0 is perfect; can exceed 1.0 when much is inserted)."""
    return word_score(reference, hypothesis).rate


def misheard_spans(reference: str, hypothesis: str) -> list[tuple[str, str]]:
    """Each run of wrong words between two correct ones, as (what was said, what was heard); either side is
    "" for a pure deletion or insertion. "nine ema" heard as "9e2a" is one span, not two errors apart."""
    return word_score(reference, hypothesis).spans

"""Word error rate: word-level edit distance between what was said and what was heard."""

from __future__ import annotations

import re


def normalized_words(text: str) -> list[str]:
    """Lower-case words and numbers; hyphens split words ("long-only" is two words), other punctuation goes."""
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, words in the reference), by Levenshtein distance over words."""
    ref, hyp = normalized_words(reference), normalized_words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1], len(ref)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word errors per reference word (0.0 is perfect; can exceed 1.0 when much is inserted)."""
    edits, n = word_errors(reference, hypothesis)
    return edits / max(n, 1)

"""Find every trading term of the lexicon in a transcript, with the seconds at which it was said."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd

from reelquant.speech.transcript import Segment, Transcript
from reelquant.text.lexicon import Term, load_lexicon

KEYWORD_COLUMNS: list[str] = ["term", "canonical_id", "category", "surface", "start_s", "end_s", "segment_id"]


@lru_cache(maxsize=1)
def _matcher() -> tuple[Any, Any]:
    """A blank English tokenizer and a case-insensitive phrase matcher over every alias, built once."""
    # Imported here: spacy (and the torch it pulls in) costs seconds, which code-location loads, sensor
    # ticks and runs that never look for keywords should not pay.
    import spacy
    from spacy.matcher import PhraseMatcher

    nlp = spacy.blank("en")
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    for term in load_lexicon().terms:
        matcher.add(term.id, [nlp.make_doc(alias) for alias in term.aliases])
    return nlp, matcher


def match_terms(text: str) -> list[tuple[Term, int, int]]:
    """(term, start char, end char) for every lexicon term in the text; the longest alias wins on overlap."""
    nlp, matcher = _matcher()
    lexicon = load_lexicon()
    doc = nlp.make_doc(text)
    matches = matcher(doc)
    labels = {(s, e): nlp.vocab.strings[m] for m, s, e in matches}
    from spacy.util import filter_spans

    spans = filter_spans([doc[s:e] for _, s, e in matches])
    return [(lexicon.by_id[labels[(sp.start, sp.end)]], sp.start_char, sp.end_char) for sp in spans]


def _segment_text_and_word_spans(seg: Segment) -> tuple[str, list[tuple[int, int, float, float]]]:
    """The text to match and, when the segment has words, each word's character span and times."""
    if not seg.words:
        return seg.text, []
    parts: list[str] = []
    spans: list[tuple[int, int, float, float]] = []
    pos = 0
    for word in seg.words:
        token = word.text.strip()
        if not token:
            continue
        if parts:
            pos += 1
        spans.append((pos, pos + len(token), float(word.start), float(word.end)))
        parts.append(token)
        pos += len(token)
    return " ".join(parts), spans


def _times(
    seg: Segment, text: str, spans: list[tuple[int, int, float, float]], start: int, end: int
) -> tuple[float, float]:
    if spans:
        inside = [s for s in spans if s[0] < end and s[1] > start]
        if inside:
            return inside[0][2], inside[-1][3]
    # No word times: place the hit proportionally to its character offset within the segment.
    length = max(len(text), 1)
    dur = float(seg.end) - float(seg.start)
    return float(seg.start) + dur * start / length, float(seg.start) + dur * end / length


def find_keyword_hits(transcript: Transcript) -> pd.DataFrame:
    """One row per trading-term hit (longest match wins where aliases overlap), in time order."""
    rows: list[dict[str, Any]] = []
    for seg in transcript.segments:
        text, spans = _segment_text_and_word_spans(seg)
        if not text.strip():
            continue
        for term, start, end in match_terms(text):
            start_s, end_s = _times(seg, text, spans, start, end)
            rows.append(
                {
                    "term": term.name,
                    "canonical_id": term.id,
                    "category": term.category,
                    "surface": text[start:end],
                    "start_s": round(start_s, 3),
                    "end_s": round(end_s, 3),
                    "segment_id": int(seg.id),
                }
            )
    frame = pd.DataFrame(rows, columns=KEYWORD_COLUMNS)
    return frame.astype(
        {
            "term": str,
            "canonical_id": str,
            "category": str,
            "surface": str,
            "start_s": float,
            "end_s": float,
            "segment_id": int,
        }
    )

"""Cut a transcript into overlapping windows of whole sentences, each with its start and end time, for search."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reelquant.speech.transcript import Transcript

_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*$")


@dataclass
class _Token:
    text: str
    start: float
    end: float


@dataclass
class _Sentence:
    tokens: list[_Token]

    @property
    def start(self) -> float:
        return self.tokens[0].start

    @property
    def end(self) -> float:
        return self.tokens[-1].end

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.tokens)


def _segment_tokens(start: float, end: float, text: str, words: list[Any]) -> list[_Token]:
    if words:
        return [_Token(w.text.strip(), float(w.start), float(w.end)) for w in words if w.text.strip()]
    # Without word times, spread the segment's span over its words in proportion to their length.
    parts = text.split()
    total = sum(len(p) + 1 for p in parts)
    tokens, offset = [], 0
    for p in parts:
        t0 = start + (end - start) * offset / total
        offset += len(p) + 1
        tokens.append(_Token(p, t0, start + (end - start) * offset / total))
    return tokens


def _sentences(transcript: Transcript, max_words: int) -> list[_Sentence]:
    segments = sorted(transcript.segments, key=lambda s: (s.start, s.id))
    # Engines without punctuation (pocketsphinx) cut segments at pauses: those are the best sentence proxy.
    punctuated = any(_SENTENCE_END.search(tok) for s in segments for tok in s.text.split())
    sentences: list[_Sentence] = []
    current: list[_Token] = []

    def close() -> None:
        nonlocal current
        if current:
            sentences.append(_Sentence(current))
            current = []

    for seg in segments:
        for tok in _segment_tokens(seg.start, seg.end, seg.text, seg.words):
            current.append(tok)
            if _SENTENCE_END.search(tok.text) or len(current) >= max_words:
                close()
        if not punctuated:
            close()
    close()
    return sentences


def chunk_transcript(
    transcript: Transcript, video_id: str, max_words: int = 60, overlap_sentences: int = 1
) -> list[dict[str, Any]]:
    """Sentence windows of at most `max_words` words; consecutive windows share `overlap_sentences` sentences.

    A sentence longer than `max_words` is split. Each chunk is {"video_id", "segment_id", "start_s", "end_s",
    "text"}; segment_id is the window's index, so the same transcript always yields the same ids.
    """
    if max_words < 1:
        raise ValueError(f"max_words must be at least 1, got {max_words}; pass a positive word budget.")
    if overlap_sentences < 0:
        raise ValueError(f"overlap_sentences must be 0 or more, got {overlap_sentences}; pass a count of sentences.")
    sentences = _sentences(transcript, max_words)
    chunks: list[dict[str, Any]] = []
    i = 0
    while i < len(sentences):
        j, words = i, 0
        while j < len(sentences) and (j == i or words + len(sentences[j].tokens) <= max_words):
            words += len(sentences[j].tokens)
            j += 1
        window = sentences[i:j]
        chunks.append({
            "video_id": video_id,
            "segment_id": len(chunks),
            "start_s": round(window[0].start, 3),
            "end_s": round(max(s.end for s in window), 3),
            "text": " ".join(s.text for s in window),
        })
        if j >= len(sentences):
            break
        # Step back for the overlap but always move forward, and drop overlap that would leave no room for the
        # next new sentence: a window holding only repeated sentences adds nothing to search.
        nxt = max(j - overlap_sentences, i + 1)
        while nxt < j and sum(len(s.tokens) for s in sentences[nxt : j + 1]) > max_words:
            nxt += 1
        i = nxt
    return chunks

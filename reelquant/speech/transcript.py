"""The transcript data model shared by every engine: segments and words with times in seconds."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Word:
    text: str
    start: float
    end: float
    confidence: float | None = None


@dataclass
class Segment:
    id: int
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)


@dataclass
class Transcript:
    """What an engine heard. `engine`/`model`/`reason` say who made it and why that engine."""

    segments: list[Segment]
    engine: str
    model: str = ""
    language: str = "en"
    duration_s: float = 0.0
    reason: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def word_count(self) -> int:
        return sum(len(s.words) if s.words else len(s.text.split()) for s in self.segments)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        segments = [
            Segment(
                id=s["id"], start=s["start"], end=s["end"], text=s["text"],
                words=[Word(**w) for w in s.get("words", [])],
            )
            for s in data["segments"]
        ]
        rest = {k: v for k, v in data.items() if k != "segments"}
        return cls(segments=segments, **rest)


def transcript_from_text(text: str, words_per_second: float = 2.5) -> Transcript:
    """A transcript of a written script: one segment per sentence or line, word times spread evenly."""
    if words_per_second <= 0:
        raise ValueError("words_per_second must be positive; pass a speaking rate such as 2.5.")
    pieces = [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n+", text) if p.strip()]
    step = 1.0 / words_per_second
    t = 0.0
    segments: list[Segment] = []
    for i, piece in enumerate(pieces):
        words = []
        for w in piece.split():
            words.append(Word(text=w, start=round(t, 3), end=round(t + step * 0.9, 3)))
            t += step
        segments.append(Segment(id=i, start=words[0].start, end=words[-1].end, text=piece, words=words))
    return Transcript(segments=segments, engine="text", duration_s=round(t, 3), reason="written script")

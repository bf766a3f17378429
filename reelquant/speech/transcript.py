"""The transcript data model shared by every engine: segments and words with times in seconds."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
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
    # How sure the engine was of `language` (0-1), when it detected it rather than being told.
    language_probability: float | None = None
    # The English rendering of a lesson spoken in another language (Whisper's translate task), with its own
    # times; empty for English lessons. Rules are read from it; search and subtitles keep `segments`.
    translation: list[Segment] = field(default_factory=list)
    # Words whose times the engine did not give and that were placed between their neighbours.
    interpolated_words: int = 0
    # The trading words the recognizer was primed with (reelquant.speech.hotwords), "" when none.
    hotwords: str = ""

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def word_count(self) -> int:
        return sum(len(s.words) if s.words else len(s.text.split()) for s in self.segments)

    @property
    def is_english(self) -> bool:
        return (self.language or "en").lower().split("-")[0] == "en"

    def english(self) -> Transcript:
        """What the rule reader, keyword spotter and features read: the translation of a lesson spoken in
        another language, or the transcript itself when it is English (or no translation was made)."""
        if self.is_english or not self.translation:
            return self
        return replace(self, segments=self.translation, translation=[], language="en",
                       reason=f"{self.reason}; translated from {self.language}".lstrip("; "))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        rest = {k: v for k, v in data.items() if k not in ("segments", "translation")}
        return cls(segments=_segments(data["segments"]), translation=_segments(data.get("translation") or []), **rest)


def _segments(rows: list[dict[str, Any]]) -> list[Segment]:
    return [Segment(id=s["id"], start=s["start"], end=s["end"], text=s["text"],
                    words=[Word(**w) for w in s.get("words", [])]) for s in rows]


def fill_word_times(times: list[tuple[float, float] | None], start: float, end: float) -> list[tuple[float, float]]:
    """Times for every word of a segment from [start, end]: a word the engine left without times (None) is
    placed between its timed neighbours (or the segment's edges), runs of untimed words sharing that gap."""
    out: list[tuple[float, float]] = []
    i, n = 0, len(times)
    while i < n:
        if times[i] is not None:
            out.append(times[i])
            i += 1
            continue
        j = i
        while j < n and times[j] is None:
            j += 1
        left = out[-1][1] if out else start
        right = times[j][0] if j < n else end
        right = max(right, left)
        step = (right - left) / (j - i)
        out.extend((left + k * step, left + (k + 1) * step) for k in range(j - i))
        i = j
    return out


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

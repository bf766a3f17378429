"""Read and write SRT / WebVTT subtitles and find a subtitle file dropped next to a video."""

from __future__ import annotations

import re
from pathlib import Path

from reelquant.speech.transcript import Segment, Transcript, Word

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{1,3})"
_CUE = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")

SIDECAR_SUFFIXES: tuple[str, ...] = (".srt", ".vtt", ".en.srt", ".en.vtt")


class SubtitleError(ValueError):
    """A subtitle file that holds no readable cues."""


def _seconds(h: str | None, m: str, s: str, ms: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000.0


def _spread_words(text: str, start: float, end: float) -> list[Word]:
    tokens = text.split()
    if not tokens:
        return []
    step = (end - start) / len(tokens)
    return [
        Word(text=t, start=round(start + i * step, 3), end=round(start + (i + 1) * step, 3))
        for i, t in enumerate(tokens)
    ]


def _parse_cues(text: str, kind: str) -> list[Segment]:
    segments: list[Segment] = []
    previous_lines: list[str] = []
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff"))
    for block in blocks:
        lines = [ln for ln in block.split("\n") if ln.strip()]
        for i, line in enumerate(lines):
            m = _CUE.match(line)
            if not m:
                continue
            g = m.groups()
            start, end = _seconds(*g[:4]), _seconds(*g[4:])
            cue_lines = [_TAG.sub("", ln).strip() for ln in lines[i + 1:]]
            cue_lines = [ln for ln in cue_lines if ln]
            # Rolling captions (YouTube auto subtitles) repeat the previous cue's last line first.
            while cue_lines and previous_lines and cue_lines[0] == previous_lines[-1]:
                cue_lines = cue_lines[1:]
            body = " ".join(cue_lines).strip()
            if cue_lines:
                previous_lines = cue_lines
            if body and end > start:
                segments.append(Segment(id=len(segments), start=round(start, 3), end=round(end, 3),
                                        text=body, words=_spread_words(body, start, end)))
            break
    if not segments:
        raise SubtitleError(f"the {kind} text holds no timed cues; check that the file is a valid {kind} file.")
    return segments


def parse_srt(text: str) -> list[Segment]:
    """Segments from SRT text; words get times spread evenly over their cue."""
    return _parse_cues(text, "SRT")


def parse_vtt(text: str) -> list[Segment]:
    """Segments from WebVTT text (header, NOTE/STYLE blocks, cue settings and tags ignored)."""
    return _parse_cues(text, "WebVTT")


def parse_subtitle_file(path: str | Path) -> list[Segment]:
    """Segments from a .srt or .vtt file, chosen by its content header or suffix."""
    path = Path(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() == ".vtt" or text.lstrip("\ufeff").startswith("WEBVTT"):
        return parse_vtt(text)
    return parse_srt(text)


def _stamp(t: float, sep: str) -> str:
    ms = int(round(max(t, 0.0) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_srt(transcript: Transcript) -> str:
    """The transcript as SRT text, one cue per segment."""
    cues = [
        f"{i}\n{_stamp(s.start, ',')} --> {_stamp(s.end, ',')}\n{s.text.strip()}\n"
        for i, s in enumerate((s for s in transcript.segments if s.text.strip()), start=1)
    ]
    return "\n".join(cues)


def to_vtt(transcript: Transcript) -> str:
    """The transcript as WebVTT text, one cue per segment."""
    cues = [
        f"{_stamp(s.start, '.')} --> {_stamp(s.end, '.')}\n{s.text.strip()}\n"
        for s in transcript.segments if s.text.strip()
    ]
    return "WEBVTT\n\n" + "\n".join(cues)


def find_sidecar(video: str | Path) -> Path | None:
    """The subtitle file dropped beside `video` (`stem.srt`, `stem.vtt`, `stem.en.srt`, `stem.en.vtt`), if any."""
    video = Path(video)
    for suffix in SIDECAR_SUFFIXES:
        candidate = video.with_name(video.stem + suffix)
        if candidate.is_file() and candidate.stat().st_size > 0:
            return candidate
    return None

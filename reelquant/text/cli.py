"""`reelquant extract FILE... [--json]`: the strategy specs a lesson teaches, from its script, subtitles or transcript.

A file is a plain-text script (.txt), a subtitle file (.srt, .vtt), or a transcript JSON the pipeline wrote
(the `transcript` asset's value, or a report.json holding one). Each file's specs are printed as one readable
line per spec, or with --json as `{file: [StrategySpec v2 dict, ...]}`. A file that cannot be read is named
on stderr with what to do, the others are still processed, and the exit code is 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from reelquant.speech.transcript import Segment, Transcript, Word
from reelquant.strategy.spec import StrategySpec

TEXT_SUFFIXES: tuple[str, ...] = (".txt",)
SUBTITLE_SUFFIXES: tuple[str, ...] = (".srt", ".vtt")
TRANSCRIPT_SUFFIXES: tuple[str, ...] = (".json",)
_KINDS = "a .txt script, an .srt or .vtt subtitle file, or a transcript .json written by the pipeline"


class InputError(ValueError):
    """A file that cannot be read as a lesson; the message names it and says what to do."""


def transcript_from_json(data: Any, path: Path) -> Transcript:
    """A Transcript from the transcript asset's dict (Transcript.to_dict) or a report.json that holds one."""
    if isinstance(data, dict) and "segments" not in data and isinstance(data.get("transcript"), dict):
        data = data["transcript"]  # report.json: the transcript is one of its keys
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise InputError(f"{path} holds no transcript segments; give the transcript JSON the pipeline wrote "
                         f"(a JSON object with a list of segments) or a report.json.")
    try:
        segments, translation = (_json_segments(data.get(key) or []) for key in ("segments", "translation"))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path} has a segment without start, end and text ({exc}); give the transcript "
                         f"JSON the pipeline wrote.") from None
    return Transcript(segments=segments, engine=str(data.get("engine") or "file"), model=str(data.get("model") or ""),
                      language=str(data.get("language") or "en"), duration_s=float(data.get("duration_s") or 0.0),
                      translation=translation)


def _json_segments(rows: list[dict[str, Any]]) -> list[Segment]:
    return [Segment(id=int(s.get("id", i)), start=float(s["start"]), end=float(s["end"]), text=str(s["text"]),
                    words=[Word(**w) for w in s.get("words") or []]) for i, s in enumerate(rows)]


def read_transcript(path: str | Path) -> Transcript:
    """The lesson in a file as a Transcript, or an InputError naming the file and saying what to do."""
    from reelquant.speech.subtitles import SubtitleError, parse_subtitle_file
    from reelquant.speech.transcript import transcript_from_text

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (*TEXT_SUFFIXES, *SUBTITLE_SUFFIXES, *TRANSCRIPT_SUFFIXES):
        raise InputError(f"{path} has an unknown file type {suffix or '(no extension)'!r}; give {_KINDS}.")
    if not path.is_file():
        raise InputError(f"{path} does not exist; check the path.")
    try:
        if suffix in SUBTITLE_SUFFIXES:
            segments = parse_subtitle_file(path)
            return Transcript(segments=segments, engine="sidecar", model=path.name, duration_s=segments[-1].end)
        text = path.read_text(encoding="utf-8")
    except SubtitleError as exc:
        raise InputError(f"{path} cannot be read: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} cannot be read ({exc}); give a readable UTF-8 file.") from None
    if suffix in TRANSCRIPT_SUFFIXES:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} is not valid JSON ({exc}); give the transcript JSON the pipeline wrote.") from None
        return transcript_from_json(data, path)
    if not text.strip():
        raise InputError(f"{path} is empty; give a lesson script with the rules in it.")
    return transcript_from_text(text)


def extract_file(path: str | Path) -> list[StrategySpec]:
    """The specs of the lesson in one file (reelquant.text.rules.extract_specs over its transcript)."""
    from reelquant.text.rules import extract_specs

    # A lesson spoken in another language is read from its English translation.
    return list(extract_specs(read_transcript(path).english()))


def format_specs(path: str, specs: list[StrategySpec]) -> str:
    """A file's specs as readable lines: its path, then one numbered line per spec."""
    lines = [f"{path}"]
    if not specs:
        lines.append("  no spec")
    for i, spec in enumerate(specs, start=1):
        name = f"{spec.name}: " if spec.name else ""
        lines.append(f"  {i}. {name}{spec.summary()}")
    return "\n".join(lines)


def cmd_extract(args: argparse.Namespace) -> int:
    """Extract every file of `args.files`; 0 when all were read, 2 when any could not be."""
    results: dict[str, list[dict[str, Any]]] = {}
    failed = False
    for name in args.files:
        try:
            specs = extract_file(name)
        except InputError as exc:
            print(f"reelquant extract: {exc}", file=sys.stderr)
            failed = True
            continue
        if args.json:
            results[name] = [s.to_dict() for s in specs]
        else:
            print(format_specs(name, specs))
    if args.json:
        print(json.dumps(results, indent=2))
    return 2 if failed else 0


def register(subparsers: Any) -> None:
    """Add `extract FILE... [--json]` to the reelquant command."""
    p = subparsers.add_parser(
        "extract",
        help="print the strategy specs taught in lesson scripts, subtitles or transcripts",
        description=f"Read each FILE ({_KINDS}) and print the StrategySpecs it teaches.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help=_KINDS)
    p.add_argument("--json", action="store_true", help="print {file: [spec, ...]} as StrategySpec v2 JSON")
    p.set_defaults(func=cmd_extract)


def main(argv: list[str] | None = None) -> int:
    """`extract` on its own, as `reelquant extract` runs it."""
    parser = argparse.ArgumentParser(prog="reelquant")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["extract", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())

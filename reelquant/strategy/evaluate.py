"""Score the rule extractor against a folder of labeled lessons (NAME.txt + NAME.spec.json).

Three ways to hear a lesson: its written script (`text`), a Festival-voiced video with an SRT made from
the script at the real sentence times (`sidecar`), and pocketsphinx's transcript of that video (`asr`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from reelquant.speech.transcript import Transcript
from reelquant.strategy.scoring import score_many, score_spec, spec_items
from reelquant.strategy.spec import StrategySpec

MODES: tuple[str, ...] = ("text", "sidecar", "asr")


class EvaluationError(ValueError):
    """The label folder or mode cannot be evaluated; the message says what to do."""


def labeled_lessons(label_dir: str | Path) -> list[tuple[str, str, StrategySpec]]:
    """(name, script text, labeled spec) for every NAME.txt that has a NAME.spec.json beside it."""
    folder = Path(label_dir)
    if not folder.is_dir():
        raise EvaluationError(f"{folder} is not a folder; give a folder of NAME.txt and NAME.spec.json files.")
    out = []
    for script in sorted(folder.glob("*.txt")):
        label_path = script.with_suffix(".spec.json")
        if not label_path.is_file():
            continue
        try:
            label = StrategySpec.from_dict(json.loads(label_path.read_text(encoding="utf-8")))
        except ValueError as exc:
            raise EvaluationError(f"{label_path} is not a valid StrategySpec v1 ({exc}); fix the label.") from exc
        out.append((script.stem, script.read_text(encoding="utf-8"), label))
    if not out:
        raise EvaluationError(f"{folder} holds no NAME.txt with a NAME.spec.json beside it; add labeled lessons.")
    return out


def lesson_video(text: str, cache_dir: str | Path, voice: str = "festival") -> tuple[Path, Path]:
    """The Festival-voiced video of a script and its SRT sidecar, made once per script text and voice."""
    from reelquant.media.synth import make_lesson_video

    digest = hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()[:16]
    folder = Path(cache_dir) / digest
    mp4, srt = folder / "lesson.mp4", folder / "lesson.srt"
    if not (mp4.is_file() and srt.is_file()):
        folder.mkdir(parents=True, exist_ok=True)
        part_mp4, part_srt = folder / "part.mp4", folder / "part.srt"
        make_lesson_video(text, part_mp4, "lesson", voice=voice, subtitles_out=part_srt)
        part_srt.replace(srt)
        part_mp4.replace(mp4)
    return mp4, srt


def _asr_transcript(mp4: Path, engine: Any) -> Transcript:
    from reelquant.media.audio import extract_audio

    wav = mp4.with_name("audio16k.wav")
    if not wav.is_file():
        extract_audio(mp4, mp4.with_name("part.wav"))
        mp4.with_name("part.wav").replace(wav)
    return engine.transcribe(wav, video=mp4)


def lesson_transcript(
    text: str, mode: str, cache_dir: str | Path, engine: Any = None, language_model: str = "trading"
) -> Transcript:
    """How the lesson is heard in `mode`: the script itself, its SRT sidecar, or an engine's transcript
    (pocketsphinx with `language_model` unless another engine is given)."""
    from reelquant.speech.transcript import transcript_from_text

    if mode == "text":
        return transcript_from_text(text)
    mp4, _ = lesson_video(text, cache_dir)
    if mode == "sidecar":
        from reelquant.speech.engines import SidecarEngine

        return SidecarEngine().transcribe(mp4.with_name("none.wav"), video=mp4)
    if mode == "asr":
        if engine is None:
            from reelquant.speech.engines import PocketsphinxEngine

            engine = PocketsphinxEngine(language_model=language_model, lm_cache_dir=Path(cache_dir) / "lm")
        return _asr_transcript(mp4, engine)
    raise EvaluationError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}.")


def evaluate_dir(
    label_dir: str | Path,
    mode: str = "text",
    cache_dir: str | Path | None = None,
    extractor: Any = None,
    engine: Any = None,
    language_model: str = "trading",
) -> dict[str, Any]:
    """Extract every labeled lesson of `label_dir` as heard in `mode` and score it against its label.

    Returns {"mode", "label_dir", "rows": [per lesson], "totals": score_many's totals}. Synthesized videos
    are kept under `cache_dir` (a temporary folder, dropped afterwards, when none is given); in asr mode
    pocketsphinx decodes with `language_model` ("trading" or "default") unless `engine` is given.
    """
    if mode not in MODES:
        raise EvaluationError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}.")
    if extractor is None:
        from reelquant.text.extract import PatternExtractor

        extractor = PatternExtractor()
    lessons = labeled_lessons(label_dir)
    with tempfile.TemporaryDirectory(prefix="reelquant-eval-") as tmp:
        cache = Path(cache_dir) if cache_dir is not None else Path(tmp)
        rows: list[dict[str, Any]] = []
        pairs: list[tuple[StrategySpec, StrategySpec]] = []
        for name, text, label in lessons:
            transcript = lesson_transcript(text, mode, cache, engine=engine, language_model=language_model)
            pred = extractor.extract(transcript)
            score = score_spec(pred, label)
            p, g = spec_items(pred), spec_items(label)
            rows.append(
                {
                    "lesson": name,
                    **score,
                    "label_testable": label.testable,
                    "testable": pred.testable,
                    "summary": pred.summary(),
                    "unsupported": list(pred.unsupported),
                    "extra": sorted(repr(x) for x in p - g),
                    "missed": sorted(repr(x) for x in g - p),
                    "heard": transcript.text,
                }
            )
            pairs.append((pred, label))
    return {"mode": mode, "label_dir": str(label_dir), "rows": rows, "totals": score_many(pairs)}


def totals_line(totals: dict[str, Any]) -> str:
    """`K/N exact, cond P=.. R=.., wrong_testable=W`."""
    return (
        f"{totals['exact']}/{totals['n']} exact, cond P={totals['precision']:.2f} "
        f"R={totals['recall']:.2f}, wrong_testable={totals['wrong_testable']}"
    )


def format_result(result: dict[str, Any], verbose: bool = False) -> str:
    """One line per lesson and a totals line, as the CLI prints them."""
    lines = [f"# {result['label_dir']} ({result['mode']})"]
    for r in result["rows"]:
        mark = "exact" if r["exact"] else ("WRONG-TESTABLE" if r["wrong_testable"] else "miss")
        lines.append(f"{r['lesson']:<28} {mark:<14} tp={r['tp']} fp={r['fp']} fn={r['fn']}  {r['summary']}")
        if not r["exact"] or verbose:
            for x in r["extra"]:
                lines.append(f"{'':<30}extra  {x}")
            for x in r["missed"]:
                lines.append(f"{'':<30}missed {x}")
            if not r["testable"]:
                lines.append(f"{'':<30}why    {'; '.join(r['unsupported'])[:300]}")
        if verbose and result["mode"] == "asr":
            lines.append(f"{'':<30}heard  {r['heard']}")
    lines.append(f"{result['mode']}: {totals_line(result['totals'])}")
    return "\n".join(lines)


def _cmd_eval(args: argparse.Namespace) -> int:
    try:
        result = evaluate_dir(args.label_dir, mode=args.mode, cache_dir=args.cache, language_model=args.lm)
    except (EvaluationError, OSError) as exc:
        print(f"reelquant: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_result(result, verbose=args.verbose))
    return 0


def register(subparsers: Any) -> None:
    """Add `eval-extraction LABEL_DIR [--mode text|sidecar|asr]` to the reelquant command."""
    p = subparsers.add_parser(
        "eval-extraction",
        help="score rule extraction against a folder of labeled lessons",
        description="Extract a StrategySpec from every NAME.txt in LABEL_DIR (as text, as a Festival-voiced "
        "video with an SRT sidecar, or as pocketsphinx hears that video) and score it against NAME.spec.json.",
    )
    p.add_argument("label_dir", help="folder of NAME.txt scripts with NAME.spec.json labels")
    p.add_argument("--mode", choices=MODES, default="text", help="how the lesson is heard (default: text)")
    p.add_argument("--cache", default=None, help="keep synthesized videos here between runs")
    p.add_argument("--lm", choices=["trading", "default"], default="trading",
                   help="pocketsphinx language model in asr mode (default: trading)")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="show every lesson's differences")
    p.set_defaults(func=_cmd_eval)

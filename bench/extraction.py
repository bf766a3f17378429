"""Rule extraction quality per label set (shared, own, samples) and per way of hearing a lesson.

    python bench/extraction.py [--sets text,sidecar,asr] [--labels shared,own,samples] [--voice piper]
                               [--engine default|pocketsphinx] [--takes 1,2] [--cache DIR] [-v]

Ways of hearing (`--sets`): `text` (the script), `sidecar` (the SRT of a video spoken by `--voice`, at its
real sentence times) and `asr` (a speech engine's transcript of that video: by default the engine the
transcriber's `auto` takes with no subtitle file, faster-whisper int8 with Whisper base; or pocketsphinx
with `--engine pocketsphinx`). The default run is `text` (seconds). Videos are made once per voice and kept
in the cache (default ~/.cache/reelquant/lesson-videos), and so is each engine setting's transcript, so a
rerun that changed only the rule reader takes seconds. Voicing all ~70 lessons (22,000 words) with Festival
took 22 minutes on a busy 2-core machine; voicing the 44 shared lessons with Piper (1 h 48 min of speech) and
hearing them with Whisper base took about 80 minutes on the same kind of machine, shared with other work.

Piper draws its timing and voice noise at random: each script is spoken as one take, seeded by
REELQUANT_PIPER_SEED (default 1), the same on every rerun and machine. Another seed is another take of the
same lessons, and a reader tuned on one take's mishearings scores lower on the next: check a change on two
(`--takes 1,2` scores each take in one run; a new take costs a synthesis and a transcription per lesson).

The acceptance run for speech (shared lessons, Piper voice, default engine):

    python bench/extraction.py --sets text,asr --labels shared --voice piper

Prints per set one line in the reference scorer's format, the extractor's time per 1,000 words (median over
lessons, text), the "wrong why" check (each lesson labeled not testable: the label's reason beside the
extractor's, counted as a defect when the extractor's misses the label's key idea), and last the summary
line `extraction: K/N exact, cond P=.. R=.., wrong_testable=W` of the shared lessons read as text.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reelquant.media import synth  # noqa: E402
from reelquant.media.synth import VOICES  # noqa: E402
from reelquant.strategy.evaluate import (  # noqa: E402
    DEFAULT_VOICE,
    ENGINES,
    MODES,
    asr_engine,
    default_cache_dir,
    engine_label,
    evaluate_dir,
    format_result,
)
from reelquant.strategy.scoring import key_idea, totals_line, untestable_kinds, wrong_why  # noqa: E402


def label_sets() -> dict[str, Path]:
    """The shared lessons (beside the checkout, or inside a copy of it), the project's own lessons, its samples."""
    shared = next((p for p in (ROOT.parent / "shared" / "lessons", ROOT / "shared" / "lessons") if p.is_dir()), None)
    if shared is None:
        raise SystemExit(f"the shared lessons are missing: expected {ROOT.parent / 'shared' / 'lessons'}; "
                         "check them out beside the repository.")
    return {"shared": shared, "own": ROOT / "tests" / "lessons", "samples": ROOT / "samples"}


def why_lines(result: dict[str, Any]) -> tuple[list[str], int, int]:
    """For each lesson labeled not testable: the label's reason beside the extractor's; (lines, number of
    not-testable answers judged, number whose reasons miss the label's key idea)."""
    lines, judged, wrong = [], 0, 0
    for row in result["rows"]:
        if row["label_testable"] or row["status"] == "missing":
            continue
        label = row["label_unsupported"]
        if row["testable"]:  # counted as wrong_testable already; there is no reason to judge
            got, mark = "a rule: " + " / ".join(row["summaries"]), "WRONG-TESTABLE"
        else:
            got = "; ".join(row["unsupported"]) or "(no reason)"
            bad = wrong_why(label, row["unsupported"])
            judged, wrong = judged + 1, wrong + bad
            mark = "WRONG WHY" if bad else "right why"
        lines.append(f"    {row['lesson']:34s} {mark:14s}"
                     f"  [{', '.join(sorted(key_idea(label)))} / {', '.join(sorted(untestable_kinds(row['unsupported']))) or '-'}]")
        lines.append(f"        label: {label[0] if label else '-'}")
        lines.append(f"        got:   {got[:300]}")
    return lines, judged, wrong


def _speaker(voice: str, takes: list[int] | None = None) -> str:
    if voice != "piper":
        return voice
    said = ", ".join(str(t) for t in takes) if takes else str(synth.PIPER_SEED)
    return f"piper (take {said}, REELQUANT_PIPER_SEED / --takes)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="text", help="comma-separated ways of hearing: text,sidecar,asr")
    parser.add_argument("--labels", default="shared,own,samples", help="comma-separated label sets")
    parser.add_argument("--cache", default=str(default_cache_dir()), help="where synthesized videos are kept")
    parser.add_argument("--voice", default=DEFAULT_VOICE, choices=VOICES,
                        help="who speaks the lesson videos of the sidecar and asr sets")
    parser.add_argument("--engine", default="default", choices=ENGINES,
                        help="who hears the videos in the asr set (default: the transcriber's default engine)")
    parser.add_argument("--lm", default="trading", choices=["trading", "default"],
                        help="pocketsphinx's language model with --engine pocketsphinx")
    parser.add_argument("--takes", default="",
                        help="comma-separated Piper seeds: score the sidecar and asr sets on each take (default: "
                             "REELQUANT_PIPER_SEED's one)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every lesson's line and why")
    args = parser.parse_args()
    takes = [int(t) for t in args.takes.split(",") if t] or [synth.PIPER_SEED]
    modes = [m for m in args.sets.split(",") if m]
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        raise SystemExit(f"unknown set(s) {', '.join(unknown)}; choose from {', '.join(MODES)}.")
    folders = label_sets()
    names = [n for n in args.labels.split(",") if n]
    if any(n not in folders for n in names):
        raise SystemExit(f"unknown label set in {args.labels!r}; choose from {', '.join(folders)}.")
    engine = asr_engine(args.engine, args.lm) if "asr" in modes else None
    if engine is not None:
        print(f"asr: {engine_label(engine)}, lessons spoken by {_speaker(args.voice, takes)}")
    elif "sidecar" in modes:
        print(f"sidecar: lessons spoken by {_speaker(args.voice, takes)}")
    started = time.perf_counter()
    summary = None
    heard: dict[int, Any] = {}
    per_kwords: list[float] = []
    for mode, take in [(m, t) for m in modes for t in (takes if m != "text" and args.voice == "piper" else [0])]:
        if take:
            synth.PIPER_SEED = take  # speech_key and the synthesis read it: another take, cached apart
        for name in names:
            t0 = time.perf_counter()
            result = evaluate_dir(folders[name], mode=mode, cache_dir=args.cache, engine=engine, voice=args.voice)
            seconds = time.perf_counter() - t0
            if args.verbose:
                print(f"## {name} / {mode}" + (f" / take {take}" if take else ""))
                print(format_result(result, verbose=False))
            label = f"{mode} {take}" if take and len(takes) > 1 else mode
            print(f"{name:8s} {label:8s} {totals_line(result['totals'])}  "
                  f"(missed_testable={result['totals'].missed_testable}, {seconds:.1f} s)")
            lines, judged, wrong = why_lines(result)
            print(f"{'':17s} wrong why: {wrong}/{judged} not-testable answers miss the label's key idea")
            if args.verbose or wrong:
                print("\n".join(lines))
            if mode == "asr" and name == "shared":
                heard[take] = result["totals"]
            if mode == "text":
                per_kwords += [r["extract_s"] / r["words"] * 1000 for r in result["rows"] if r.get("words")]
                if name == "shared":
                    summary = result["totals"]
    if per_kwords:
        print(f"extractor time per 1,000 words (text, median over {len(per_kwords)} lessons): "
              f"{statistics.median(per_kwords) * 1000:.1f} ms")
    print(f"whole run: {time.perf_counter() - started:.1f} s")
    for take, totals in heard.items():
        print(f"summary: the shared lessons spoken by {_speaker(args.voice, [take] if take else None)} and heard "
              f"by {engine_label(engine)}")
        print(totals_line(totals))
    if summary is not None:
        print("summary: the shared lessons read as text")
        print(totals_line(summary))


if __name__ == "__main__":
    main()

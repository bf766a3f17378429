"""Dev loop for the rule reader: extract every labeled lesson, score with the reference scorer, time it.

usage: python bench/rules_dev.py [--set shared|own|hold|hold2] [--asr [--one-segment] | --real-asr] [--show NAME ...]
                                [--diff]

Runs `reelquant.text.rules.extract_specs` over the shared lessons (../shared/lessons), the project's own
(tests/lessons; the held-out batches `hold_` and `hold2_` only with --set hold / hold2), as written or as a recognizer would hear them (--asr,
tests/text/asr_like.py), writes REPORT_DIR/<name>/report.json and prints the reference scorer's lines
(../shared/tools/score_specs.py) and the reader's speed in ms per 1,000 words.

--real-asr reads what the default engine (Whisper base) heard from the Festival-voiced lesson (reelquant.strategy.evaluate, the
same as `bench/extraction.py --sets asr`), decoding each lesson once and keeping the transcript under
~/.cache/reelquant/rules-dev-asr, so that later runs take seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

from reelquant.speech.transcript import Transcript, transcript_from_text  # noqa: E402
from reelquant.strategy.spec import StrategySpec  # noqa: E402
from reelquant.text.rules import extract_specs  # noqa: E402
from tests.text.asr_like import asr_like  # noqa: E402

HEARD_CACHE = Path.home() / ".cache" / "reelquant" / "rules-dev-asr"


def real_asr(text: str) -> Transcript:
    """The default engine's transcript of the lesson spoken by Festival, decoded once and cached."""
    from reelquant.strategy.evaluate import default_cache_dir, lesson_transcript

    key = HEARD_CACHE / (hashlib.sha256(text.encode()).hexdigest()[:16] + ".json")
    if key.is_file():
        return Transcript.from_dict(json.loads(key.read_text()))
    tr = lesson_transcript(text, "asr", default_cache_dir())
    HEARD_CACHE.mkdir(parents=True, exist_ok=True)
    key.with_suffix(".part").write_text(json.dumps(tr.to_dict()))
    key.with_suffix(".part").replace(key)
    return tr


def lesson_dir(which: str) -> Path:
    if which == "shared":
        folder = SHARED / "lessons"
        if not (folder / "README.md").exists():
            raise SystemExit(f"{folder} is missing: check out the shared folder next to the repository.")
        return folder
    return REPO / "tests" / "lessons"


def names(which: str) -> list[str]:
    folder = lesson_dir(which)
    out = sorted(p.stem for p in folder.glob("*.txt"))
    if which == "own":
        out = [n for n in out if not n.startswith("hold")]
    if which in ("hold", "hold2"):
        out = [n for n in out if n.startswith(f"{which}_")]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="shared", choices=["shared", "own", "hold", "hold2"])
    ap.add_argument("--asr", action="store_true", help="read the recognizer-like variant")
    ap.add_argument("--one-segment", action="store_true", help="with --asr: the whole lesson as one segment")
    ap.add_argument("--real-asr", action="store_true", help="read what the default engine heard (decoded once)")
    ap.add_argument("--show", nargs="*", default=[], help="print extraction and label of these lessons")
    ap.add_argument("--diff", action="store_true", help="print extraction and label of every inexact lesson")
    args = ap.parse_args()
    folder = lesson_dir(args.set)
    lesson_names = names(args.set)
    tmp = Path(tempfile.mkdtemp(prefix="rules-dev-"))
    labels = tmp / "labels"
    labels.mkdir()
    reports = tmp / "reports"
    words = 0
    elapsed = 0.0
    got: dict[str, list[StrategySpec]] = {}
    extract_specs(
        transcript_from_text("Warm up: buy when the RSI is under 30.")
    )  # vocabulary tables built once
    for name in lesson_names:
        shutil.copy(folder / f"{name}.spec.json", labels / f"{name}.spec.json")
        text = (folder / f"{name}.txt").read_text(encoding="utf-8")
        if args.asr:
            text = asr_like(text)
            if args.one_segment:
                text = text.replace("\n", " ")
        tr = real_asr(text) if args.real_asr else transcript_from_text(text)
        t0 = time.perf_counter()
        specs = extract_specs(tr)
        elapsed += time.perf_counter() - t0
        words += tr.word_count
        got[name] = specs
        (reports / name).mkdir(parents=True)
        (reports / name / "report.json").write_text(
            json.dumps({"video_id": name, "strategy_spec": [s.to_dict() for s in specs]})
        )
    out = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "score_specs.py"), str(labels), str(reports)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = out.strip().splitlines()
    show = set(args.show)
    for line in lines[:-1]:
        name = line.split()[0]
        if "exact" not in line.split()[1:2]:
            print(line)
            if args.diff:
                show.add(name)
    for name in sorted(show):
        data = json.loads((folder / f"{name}.spec.json").read_text())
        print(f"--- {name}")
        for s in got.get(name, []):
            print("  GOT  ", s.summary())
        for s in data if isinstance(data, list) else [data]:
            print("  LABEL", StrategySpec.from_dict(s).summary())
    variant = (" asr-like" if args.asr else " real asr" if args.real_asr else "") + (
        " one segment" if args.asr and args.one_segment else ""
    )
    print(lines[-1], f"({args.set}{variant})")
    print(f"speed: {1000 * elapsed / max(words, 1) * 1000:.1f} ms per 1,000 words ({words} words)")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()

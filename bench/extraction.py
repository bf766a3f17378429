"""Rule extraction quality: the shared lessons and the project's own sets, heard as text, SRT sidecar and ASR.

`python bench/extraction.py [--modes text,sidecar,asr] [--cache DIR] [--lm default|trading]` prints one line per
lesson, a totals line per set and mode, and last `extraction: K/N exact, cond P=.. R=.., wrong_testable=W`
over every lesson in every mode.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reelquant.speech.engines import PocketsphinxEngine  # noqa: E402
from reelquant.strategy.evaluate import MODES, format_result, totals_line  # noqa: E402
from reelquant.strategy.evaluate import evaluate_dir as _evaluate_dir  # noqa: E402


def label_sets() -> list[Path]:
    """The shared lessons (beside or inside the checkout), the project's own lessons and its samples."""
    shared = next((p for p in (ROOT / "shared" / "lessons", ROOT.parent / "shared" / "lessons") if p.is_dir()), None)
    return [p for p in (shared, ROOT / "tests" / "lessons", ROOT / "samples") if p is not None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated: text,sidecar,asr")
    parser.add_argument("--cache", default=str(ROOT / ".reelquant" / "bench-extraction"),
                        help="where synthesized lesson videos are kept between runs")
    parser.add_argument("--lm", default="trading", choices=["trading", "default"],
                        help="pocketsphinx language model for the asr mode")
    args = parser.parse_args()
    engine = PocketsphinxEngine(language_model=args.lm)
    n = exact = tp = fp = fn = wrong = 0
    for mode in args.modes.split(","):
        for folder in label_sets():
            t0 = time.perf_counter()
            result = _evaluate_dir(folder, mode=mode, cache_dir=args.cache, engine=engine)
            print(format_result(result))
            print(f"  ({time.perf_counter() - t0:.1f} s)\n")
            t = result["totals"]
            n, exact, wrong = n + t["n"], exact + t["exact"], wrong + t["wrong_testable"]
            tp, fp, fn = tp + t["tp"], fp + t["fp"], fn + t["fn"]
    totals = {
        "n": n,
        "exact": exact,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "wrong_testable": wrong,
    }
    print(f"extraction: {totals_line(totals)}")


if __name__ == "__main__":
    main()

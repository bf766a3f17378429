"""Regenerate the bundled sample lesson videos from their scripts: `python samples/make_samples.py`.

Each NAME.txt becomes NAME.mp4 (Festival voice, slides, 640x360 at 5 fps, AAC 48 kb/s).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reelquant.media.probe import probe_video
from reelquant.media.synth import make_lesson_video

SAMPLES_DIR = Path(__file__).resolve().parent

TITLES = {
    "ema_crossover_stop": "EMA crossover with a stop",
    "rsi_trend_pullback": "Pullbacks in an uptrend",
    "earnings_gap_story": "Trading earnings season",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="sample names to rebuild (default: all)")
    parser.add_argument("--voice", default="festival", choices=["festival", "espeak"])
    args = parser.parse_args()
    for script in sorted(SAMPLES_DIR.glob("*.txt")):
        name = script.stem
        if args.names and name not in args.names:
            continue
        title = TITLES.get(name, name.replace("_", " ").capitalize())
        out = make_lesson_video(script.read_text(encoding="utf-8"), SAMPLES_DIR / f"{name}.mp4", title,
                                voice=args.voice)
        probe = probe_video(out)
        print(f"{out.name}: {probe.duration_s:.1f} s, {probe.size_bytes / 1e6:.2f} MB")


if __name__ == "__main__":
    main()

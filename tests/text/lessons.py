"""Where the labeled lessons live, and how to load them."""

from __future__ import annotations

import json
from pathlib import Path

from reelquant.strategy.spec import StrategySpec

REPO = Path(__file__).resolve().parents[2]
OWN_LESSONS = REPO / "tests" / "lessons"
# The project's shared labeled lessons sit next to the checkout (or inside it, in a copy).
SHARED_CANDIDATES = [REPO / "shared" / "lessons", REPO.parent / "shared" / "lessons"]
SHARED_LESSONS = next((p for p in SHARED_CANDIDATES if (p / "README.md").exists()), None)


def lesson_names(folder: Path | None) -> list[str]:
    if folder is None:
        return []
    return sorted(p.stem for p in folder.glob("*.txt"))


def load_lesson(folder: Path, name: str) -> tuple[str, StrategySpec]:
    text = (folder / f"{name}.txt").read_text(encoding="utf-8")
    label = StrategySpec.from_dict(json.loads((folder / f"{name}.spec.json").read_text(encoding="utf-8")))
    return text, label

# The bundled demo samples carry labels too and are scored with the rest.
SAMPLE_LESSONS = REPO / "samples"

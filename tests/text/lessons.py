"""Where the labeled lessons live, and how to load them.

The shared lessons sit beside the checkout (../shared/lessons) or inside a copy of it (shared/lessons). They
are required: a checkout without them fails these tests loudly instead of skipping them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reelquant.strategy.spec import StrategySpec, load_specs

REPO = Path(__file__).resolve().parents[2]
OWN_LESSONS = REPO / "tests" / "lessons"
# The bundled demo samples carry labels too and are scored with the rest.
SAMPLE_LESSONS = REPO / "samples"
SHARED_CANDIDATES = [REPO / "shared" / "lessons", REPO.parent / "shared" / "lessons"]
SHARED_LESSONS: Path = next((p for p in SHARED_CANDIDATES if (p / "README.md").exists()), SHARED_CANDIDATES[-1])
REFERENCE_SCORER = SHARED_LESSONS.parent / "tools" / "score_specs.py"
LABEL_SETS: dict[str, Path] = {"shared": SHARED_LESSONS, "own": OWN_LESSONS, "samples": SAMPLE_LESSONS}


def require(path: Path) -> Path:
    """`path`, or a failure saying where the shared lessons are expected."""
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the shared lessons and tools belong beside the checkout "
                                f"({REPO.parent / 'shared'}); check them out there.")
    return path


def lesson_names(folder: Path) -> list[str]:
    """Every labeled lesson of a folder: a NAME.txt with its NAME.spec.json."""
    require(folder)
    return sorted(p.stem for p in folder.glob("*.txt") if p.with_suffix(".spec.json").is_file())


def label_data(folder: Path, name: str) -> Any:
    """The label as stored: one spec or a list, with `accept_also` kept (score with this)."""
    return json.loads((require(folder) / f"{name}.spec.json").read_text(encoding="utf-8"))


def load_lesson(folder: Path, name: str) -> tuple[str, Any]:
    """(script text, label as stored). Pass the label to reelquant.strategy.scoring as it is, so that its
    `accept_also` readings count; `label_specs` reads it as StrategySpecs."""
    text = (require(folder) / f"{name}.txt").read_text(encoding="utf-8")
    return text, label_data(folder, name)


def label_specs(label: Any) -> list[StrategySpec]:
    """A stored label as StrategySpecs (alternatives dropped)."""
    return load_specs(label)

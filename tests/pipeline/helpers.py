"""Small helpers for pipeline tests."""

from __future__ import annotations

import shutil
from pathlib import Path


def drop(video: Path, inbox: Path, name: str | None = None) -> Path:
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / (name or video.name)
    shutil.copy(video, target)
    return target

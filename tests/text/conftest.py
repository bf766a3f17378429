"""Synthesized lesson videos, made once per test session and shared by the sidecar and ASR tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def lesson_video_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("text2wave") is None:
        pytest.fail("Festival (text2wave) is not installed: run `make debian-packages` (festival, festvox-us-slt-hts).")
    return tmp_path_factory.mktemp("lesson-videos")

"""Fixtures shared by every test package: the project's own sample lesson videos."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="session")
def sample_videos() -> list[Path]:
    videos = sorted(SAMPLES.glob("*.mp4"))
    assert len(videos) >= 2, f"expected at least two sample videos in {SAMPLES}"
    return videos


@pytest.fixture
def instance(tmp_path: Path):
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as inst:
        yield inst

"""Fixtures for tests of the Dagster code location: sample videos, temp data roots, instances."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pipeline_defs.environment import resources_for


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    root = tmp_path / "rq"
    root.mkdir()
    return root


@pytest.fixture
def instance(tmp_path: Path):
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as inst:
        yield inst


@pytest.fixture
def local_resources(data_root: Path) -> dict:
    return resources_for("local", data_root)

"""Fixtures for tests of the Dagster code location: sample videos, temp data roots, instances."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline_defs.environment import resources_for
from reelquant.cli import main
from reelquant.ingest import partition_key
from reelquant.speech.subtitles import to_srt
from reelquant.speech.transcript import transcript_from_text
from reelquant.strategy.spec import load_specs


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    root = tmp_path / "rq"
    root.mkdir()
    return root


@pytest.fixture
def local_resources(data_root: Path) -> dict:
    return resources_for("local", data_root)


def process_with_cli(root: Path, video: Path) -> tuple[pytest.MonkeyPatch, dict]:
    """`reelquant process VIDEO` on a fresh local instance under `root`; the caller undoes the env patch."""
    out = root / "out"
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(root / "dagster"))
    mp.setenv("REELQUANT_HOME", str(root / "rq"))
    (root / "dagster").mkdir()
    code = main(["--home", str(root / "rq"), "process", str(video), "--out", str(out)])
    return mp, {"code": code, "root": root, "out": out, "video": video, "key": partition_key(video)}


@pytest.fixture(scope="session")
def processed_with_sidecar(tmp_path_factory, sample_videos):
    """The RSI sample dropped with a subtitle file beside it, as YouTube downloads come."""
    root = tmp_path_factory.mktemp("sidecar")
    src = next(v for v in sample_videos if v.stem == "rsi_trend_pullback")
    video = root / "rsi pullback lesson.mp4"
    shutil.copy(src, video)
    script = src.with_suffix(".txt").read_text()
    video.with_suffix(".srt").write_text(to_srt(transcript_from_text(script)))
    (label,) = load_specs(json.loads(src.with_suffix(".spec.json").read_text()))
    mp, info = process_with_cli(root, video)
    try:
        yield {**info, "label": label}
    finally:
        mp.undo()



"""The code location loads, and names every asset of DESIGN.md in its stage group."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipeline_defs.definitions import defs

DESIGN_GROUPS = {
    "video_file": "ingest",
    "audio_track": "media",
    "keyframes": "media",
    "highlight_clips": "media",
    "transcript": "speech",
    "keyword_hits": "language",
    "trading_concepts": "language",
    "lesson_features": "language",
    "segment_embeddings": "search",
    "strategy_spec": "strategy",
    "strategy": "strategy",
    "strategy_leaderboard": "strategy",
    "market_data": "backtest",
    "signal_model": "backtest",
    "backtest": "backtest",
}


def test_every_design_asset_in_its_group() -> None:
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == DESIGN_GROUPS


def test_partitioned_assets_share_the_one_definition() -> None:
    graph = defs.resolve_asset_graph()
    unpartitioned = {"market_data", "strategy_leaderboard"}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if key.to_user_string() in unpartitioned:
            assert node.partitions_def is None
        else:
            assert isinstance(node.partitions_def, dg.DynamicPartitionsDefinition)
            assert node.partitions_def.name == "videos"


def test_strategy_pulls_every_upstream_asset() -> None:
    job = defs.resolve_job_def("strategy_job")
    assets_in_job = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    # The leaderboard ranks all videos and follows by automation, not inside each video's run.
    assert assets_in_job == set(DESIGN_GROUPS) - {"strategy_leaderboard"}
    board = defs.resolve_job_def("leaderboard_job")
    assert {k.to_user_string() for k in board.asset_layer.selected_asset_keys} == {"strategy_leaderboard"}


def test_checks_are_declared() -> None:
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert {("transcript", "transcript_not_empty"), ("keyword_hits", "keyword_hits_schema"),
            ("market_data", "market_data_schema"), ("backtest", "metrics_finite"),
            ("strategy_spec", "spec_schema_valid"), ("strategy_spec", "provenance_inside_video"),
            ("strategy_spec", "setup_list_consistent"), ("strategy_spec", "provenance_parts_exist"),
            ("strategy", "promotion_gates")} <= checks
    blocking = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys
                if graph.get_check_spec(k).blocking}
    assert ("strategy_spec", "spec_schema_valid") in blocking


def test_every_asset_describes_itself() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        spec = graph.get(key)
        assert spec.description, f"{key.to_user_string()} has no description"
        assert spec.kinds, f"{key.to_user_string()} has no kinds"


@pytest.mark.parametrize("module", ["pipeline_defs.definitions"])
def test_dagster_definitions_validate(module: str, tmp_path: Path) -> None:
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", module],
        capture_output=True, text=True, timeout=300, env={"DAGSTER_HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
                                                          "REELQUANT_HOME": str(tmp_path / "rq")},
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

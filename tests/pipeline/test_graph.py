"""The whole graph for sample videos, with the real engines, through `reelquant process`."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from pipeline_defs.definitions import defs
from reelquant.strategy.spec import StrategySpec
from tests.pipeline.conftest import process_with_cli as _process

REPORT_KEYS = {"video_id", "transcript", "keywords", "strategy_spec", "backtest", "promoted", "reasons", "timings_s"}




@pytest.fixture(scope="module")
def processed(tmp_path_factory, sample_videos):
    """The EMA sample heard by pocketsphinx: no subtitles, the real offline engine."""
    video = next(v for v in sample_videos if v.stem == "ema_crossover_stop")
    mp, info = _process(tmp_path_factory.mktemp("graph"), video)
    try:
        with dg.DagsterInstance.get() as instance:
            yield {**info, "instance": instance}
    finally:
        mp.undo()


def _report(info: dict) -> dict:
    return json.loads((info["out"] / info["key"] / "report.json").read_text())


@pytest.mark.slow
def test_process_writes_the_report(processed) -> None:
    assert processed["code"] == 0
    report = _report(processed)
    assert set(report) >= REPORT_KEYS
    assert report["video_id"] == processed["key"]
    assert report["transcript"]["engine"] == "pocketsphinx"
    assert report["transcript"]["word_count"] > 50
    assert {k["canonical_id"] for k in report["keywords"]} >= {"ema", "stop_loss"}
    StrategySpec.from_dict(report["strategy_spec"])  # a valid spec, testable or honestly not
    assert isinstance(report["promoted"], bool) and report["reasons"]
    assert report["timings_s"]["transcript"] > 0 and report["timings_s"]["total"] > 0


@pytest.mark.slow
def test_every_asset_materialized_with_checks(processed) -> None:
    instance: dg.DagsterInstance = processed["instance"]
    key = processed["key"]
    graph = defs.resolve_asset_graph()
    for asset_key in graph.get_all_asset_keys():
        event = instance.get_latest_materialization_event(asset_key)
        assert event is not None, f"{asset_key.to_user_string()} was not materialized"
        if graph.get(asset_key).partitions_def is not None:
            assert event.asset_materialization.partition == key
    board = instance.get_latest_materialization_event(dg.AssetKey("strategy_leaderboard")).asset_materialization
    assert board.metadata["videos"].value == 1  # the leaderboard found this video's record
    for check in [("transcript", "transcript_not_empty"), ("keyword_hits", "keyword_hits_schema"),
                  ("market_data", "market_data_schema"), ("backtest", "metrics_finite")]:
        history = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey(check[0]), check[1]), limit=1
        )
        assert history and history[0].status.value == "SUCCEEDED", check


@pytest.mark.slow
def test_derived_media_exist(processed) -> None:
    derived = processed["root"] / "rq" / "store" / "derived" / processed["key"]
    assert (derived / "audio.wav").stat().st_size > 10_000
    assert (derived / "transcript.srt").read_text().startswith("1\n")
    assert (derived / "transcript.vtt").read_text().startswith("WEBVTT")
    assert list((derived / "keyframes").glob("*.png"))
    assert list((derived / "clips").glob("*.mp4"))
    record = json.loads((derived / "strategy.json").read_text())
    assert record["video_id"] == processed["key"]


@pytest.mark.slow
def test_sidecar_lesson_is_backtested_and_judged(processed_with_sidecar) -> None:
    info = processed_with_sidecar
    assert info["code"] == 0
    report = _report(info)
    assert report["transcript"]["engine"] == "sidecar"
    spec = StrategySpec.from_dict(report["strategy_spec"])
    assert spec.testable
    assert {c.key() for c in spec.entry.conditions} == {c.key() for c in info["label"].entry.conditions}
    assert spec.take_profit_pct == info["label"].take_profit_pct
    assert report["backtest"]["ran"] is True
    oos = report["backtest"]["rule_only"]["metrics"]["out_of_sample"]
    assert oos["trades"] >= 1
    assert report["reasons"][0].startswith(("promoted", "rejected"))
    derived = info["root"] / "rq" / "store" / "derived" / info["key"]
    assert (derived / "equity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    record = json.loads((derived / "strategy.json").read_text())
    assert record["evidence"] and all(e["text"] and e["end_s"] >= e["start_s"] for e in record["evidence"])
    assert any(e.get("clip") for e in record["evidence"])

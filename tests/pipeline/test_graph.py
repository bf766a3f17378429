"""The whole graph for sample videos, with the real engines, through `reelquant process`; and a lesson that teaches
two setups, each backtested on the markets it fits and judged in its own record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from pipeline_defs.definitions import defs
from pipeline_defs.environment import resources_for
from pipeline_defs.runner import process_videos
from reelquant.backtest.data import bundled_sample_path
from reelquant.speech.subtitles import to_srt
from reelquant.speech.transcript import transcript_from_text
from reelquant.strategy.record import leaderboard_frame
from reelquant.strategy.spec import load_specs
from resources import MarketDataResource
from tests.pipeline.conftest import process_with_cli as _process

REPORT_KEYS = {"video_id", "transcript", "keywords", "strategy_spec", "backtest", "promoted", "reasons", "timings_s",
               "evidence", "clips", "setups"}
TWO_SETUPS = (
    "Today I teach two setups on the daily chart.\n"
    "Setup one is a trend pullback.\n"
    "Buy when the two period RSI drops below ten.\n"
    "Sell when the two period RSI rises above seventy.\n"
    "Setup two is a moving average crossover.\n"
    "Buy when the twenty day moving average crosses above the fifty day moving average.\n"
    "Sell when the twenty day moving average crosses below the fifty day moving average.\n"
    "Use a stop loss of four percent below the entry.\n"
)

@pytest.fixture(scope="module")
def processed(tmp_path_factory, sample_videos):
    """The EMA sample heard by the default engine (Whisper base): no subtitles, the real offline model."""
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
    assert report["transcript"]["engine"] == "faster_whisper" and report["transcript"]["model"] == "base (int8)"
    assert report["transcript"]["word_count"] > 50
    assert {k["canonical_id"] for k in report["keywords"]} >= {"ema", "stop_loss"}
    specs = load_specs(report["strategy_spec"])  # valid v2 specs, testable or honestly not
    assert specs and all(s.version == 2 for s in specs)
    assert len(report["setups"]) == len(specs)
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
                  ("market_data", "market_data_schema"), ("backtest", "metrics_finite"),
                  ("strategy_spec", "spec_schema_valid"), ("strategy_spec", "setup_list_consistent"),
                  ("strategy_spec", "provenance_inside_video")]:
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
    assert (derived / "tearsheet.html").read_text().startswith("<!doctype html>")


@pytest.mark.slow
def test_sidecar_lesson_is_backtested_and_judged(processed_with_sidecar) -> None:
    info = processed_with_sidecar
    assert info["code"] == 0
    report = _report(info)
    assert report["transcript"]["engine"] == "sidecar"
    (spec,) = load_specs(report["strategy_spec"])
    label = info["label"]
    assert spec.testable and spec.direction == "long"
    assert {c.key() for c in spec.long.entry.conditions} == {c.key() for c in label.long.entry.conditions}
    assert spec.stops.take_profit_pct == label.stops.take_profit_pct
    assert report["backtest"]["ran"] is True
    market = report["backtest"]["setups"][0]["markets"]["GOOG 1d"]
    oos = market["rule_only"]["metrics"]["out_of_sample"]
    assert oos["trades"] >= 1
    assert report["reasons"][0].startswith(("promoted", "rejected"))
    assert report["setups"][0]["reasons"][0].startswith(("promoted", "rejected"))
    derived = info["root"] / "rq" / "store" / "derived" / info["key"]
    assert Path(market["equity_png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Path(market["equity_png"]).parent == derived / "equity"
    record = json.loads((derived / "strategy.json").read_text())
    assert record["evidence"] and all(e["text"] and e["end_s"] >= e["start_s"] for e in record["evidence"])
    assert any(e.get("clip") for e in record["evidence"])
    assert {e["setup"] for e in record["evidence"]} == {0}


def _hourly_market(folder: Path) -> None:
    """A made-up hourly market (a seeded random walk) beside the real daily GOOG: daily setups must skip it."""
    index = pd.date_range("2024-01-01", periods=2000, freq="h")
    close = 1.1 * np.exp(np.cumsum(np.random.default_rng(7).normal(0.0, 0.001, len(index))))
    pd.DataFrame({"date": index, "open": close, "high": close * 1.001, "low": close * 0.999, "close": close,
                  "volume": 1000.0}).to_csv(folder / "SYNTH.csv", index=False)


@pytest.fixture(scope="module")
def two_setups(tmp_path_factory, sample_videos):
    """A lesson that teaches two setups (its words from a subtitle file), on a daily and an hourly market."""
    root = tmp_path_factory.mktemp("two-setups")
    video = root / "two setups.mp4"
    shutil.copy(next(v for v in sample_videos if v.stem == "earnings_gap_story"), video)  # 32 s: the words fit
    video.with_suffix(".srt").write_text(to_srt(transcript_from_text(TWO_SETUPS)))
    markets = root / "markets"
    markets.mkdir()
    shutil.copy(bundled_sample_path(), markets / "GOOG.csv")
    _hourly_market(markets)
    resources = resources_for("local", root / "rq")
    resources["market_data"] = MarketDataResource(source=str(markets), symbol="GOOG", symbols=["SYNTH"])
    (root / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(root / "dagster")) as instance:
        (run,) = process_videos([video], root / "rq", instance, out_dir=root / "out", resources=resources)
        yield {"run": run, "root": root, "instance": instance}


@pytest.mark.slow
def test_a_lesson_with_two_setups_backtests_each_in_its_own_record(two_setups) -> None:
    run = two_setups["run"]
    assert run.error is None, run.error
    report = run.report
    specs = load_specs(report["strategy_spec"])
    assert [s.testable for s in specs] == [True, True]
    assert [s.long.entry.conditions[0].left.indicator for s in specs] == ["rsi", "sma"]
    assert specs[1].stops.stop_loss_pct == 4.0 and specs[0].stops.stop_loss_pct is None
    derived = two_setups["root"] / "rq" / "store" / "derived" / run.key
    record = json.loads((derived / "strategy.json").read_text())
    pngs = []
    for i, (setup, run_setup) in enumerate(zip(record["setups"], report["backtest"]["setups"], strict=True)):
        assert setup["setup"] == run_setup["setup"] == i
        assert load_specs(setup["spec"]) == [specs[i]]
        daily, hourly = setup["markets"]["GOOG 1d"], setup["markets"]["SYNTH 1h"]
        # Run on the daily bars it reads, with its own metrics and verdict; skipped on the hourly ones, with why.
        assert daily["ran"] and daily["oos"] == run_setup["markets"]["GOOG 1d"]["rule_only"]["metrics"]["out_of_sample"]
        assert daily["reasons"][0].startswith(("promoted", "rejected"))
        assert not hourly["ran"] and "1h bars" in hourly["reason"]
        assert {e["part"] for e in setup["evidence"] if e["source"] == "provenance"} >= {"long.entry[0]"}
        pngs.append(Path(daily["equity_png"]).read_bytes())
    assert pngs[0] != pngs[1]  # two different rules, two different equity curves
    assert {e["part"] for e in record["setups"][1]["evidence"]} >= {"stops.stop_loss_pct"}
    assert record["setups"][0]["markets"]["GOOG 1d"]["oos"] != record["setups"][1]["markets"]["GOOG 1d"]["oos"]
    # Both setups are on the leaderboard the batch rebuilt, and on the lesson's tear sheet.
    board = two_setups["instance"].get_latest_materialization_event(dg.AssetKey("strategy_leaderboard"))
    assert board.asset_materialization.metadata["videos"].value == 1
    assert board.asset_materialization.metadata["rows"].value == 2
    ranked = leaderboard_frame([report])
    assert sorted(ranked["setup"]) == [1, 2] and set(ranked["market"]) == {"GOOG 1d"}
    # Each setup's rules have clips, named by their setup (both setups have a long.entry[0]).
    reasons = " ; ".join(c["reason"] for c in report["clips"])
    assert "rule setup 1 long.entry[0]" in reasons and "rule setup 2 long.entry[0]" in reasons
    sheet = (derived / "tearsheet.html").read_text()
    assert "trend pullback" in sheet and "moving average crossover" in sheet
    checks = two_setups["instance"].event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(dg.AssetKey("strategy_spec"), "setup_list_consistent"), limit=1)
    assert checks and checks[0].status.value == "SUCCEEDED"

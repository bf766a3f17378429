"""The per-video record of every setup on every market, the leaderboard, and records written before v2."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from reelquant.strategy.record import V1_MARKET, build_record, leaderboard_frame, upgrade_record
from reelquant.strategy.spec import StrategySpec, load_specs
from reelquant.strategy.tearsheet import leaderboard_html, tear_sheet_html

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TRANSCRIPT = {"engine": "sidecar", "duration_s": 60.0,
              "segments": [{"id": 0, "start": 0.0, "end": 5.0, "text": "two setups today", "words": []}]}


@dataclass
class Verdict:
    """A promotion decision as the gates hand it over (the record only reads these two fields)."""

    promoted: bool
    reasons: list[str] = field(default_factory=list)


def _op(name: str, **params) -> dict:
    return {"indicator": name, "params": params}


RSI_PULLBACK = StrategySpec.from_dict({
    "version": 2, "testable": True, "name": "RSI pullback", "timeframe": "1d",
    "long": {"entry": {"all": [{"left": _op("rsi", window=2), "op": "<", "right": 10}]},
             "exit": {"any": [{"left": _op("rsi", window=2), "op": ">", "right": 70}]}},
    "stops": {"take_profit_pct": 6.0},
    "provenance": [{"part": "long.entry[0]", "start_s": 10.0, "end_s": 14.0, "text": "buy when RSI two is under ten"}],
})
VWAP_FADE = StrategySpec.from_dict({
    "version": 2, "testable": True, "name": "VWAP fade", "timeframe": "15m",
    "short": {"entry": {"all": [{"left": _op("close"), "op": ">", "right": {**_op("vwap"), "scale": 1.01}}]},
              "exit": {"any": [{"left": _op("close"), "op": "<", "right": _op("vwap")}]}},
    "provenance": [{"part": "short.entry[0]", "start_s": 30.0, "end_s": 35.0, "text": "short one percent over vwap"}],
})


def _metrics(sharpe: float, trades: int) -> dict:
    seg = {"sharpe": sharpe, "total_return": sharpe / 10, "max_drawdown": 0.1, "trades": trades}
    return {"in_sample": seg, "out_of_sample": seg}


def _two_setup_record() -> dict:
    backtest = {"ran": True, "setups": [
        {"setup": 0, "markets": {"GOOG 1d": {"ran": True, "rule_only": {"metrics": _metrics(1.2, 30)},
                                             "robustness": {"share_positive": 0.8, "deflated_sharpe": 0.97,
                                                            "n_trials": 49, "grid": [1, 2]}}}},
        {"setup": 1, "markets": {"GOOG 1d": {"ran": False, "reason": "the setup reads 15m bars and GOOG 1d has "
                                                                     "1d bars"}}},
    ]}
    decisions = {0: {"GOOG 1d": Verdict(True, ["promoted: all 7 gates passed"])}}
    return build_record(video_id="two-setups-0a1b2c3d", video={"original_name": "two setups.mp4"},
                        transcript=TRANSCRIPT, specs=[RSI_PULLBACK, VWAP_FADE], backtest=backtest, clips=[],
                        embeddings={"rows": 3}, features={"setup_count": 2.0}, decisions=decisions)


def test_a_record_holds_each_setup_with_its_markets_verdict_and_quotes() -> None:
    rec = _two_setup_record()
    assert [s["label"] for s in rec["setups"]] == ["setup 1 (RSI pullback)", "setup 2 (VWAP fade)"]
    first, second = rec["setups"]
    assert first["promoted"] and first["markets"]["GOOG 1d"]["oos"]["sharpe"] == 1.2
    assert first["markets"]["GOOG 1d"]["robustness"] == {"share_positive": 0.8, "deflated_sharpe": 0.97,
                                                        "n_trials": 49}
    assert not second["promoted"] and second["markets"]["GOOG 1d"]["ran"] is False
    assert second["reasons"][0].startswith("rejected: not run on any market")
    assert "15m bars" in second["reasons"][1]
    # Quotes stay with the setup they were said for.
    assert [e["part"] for e in first["evidence"]] == ["long.entry[0]"]
    assert [e["part"] for e in second["evidence"]] == ["short.entry[0]"]
    assert rec["promoted"] and rec["reasons"][0] == "promoted: 1 of 2 setups passed every gate on a market"
    assert [StrategySpec.from_dict(s).name for s in rec["specs"]] == ["RSI pullback", "VWAP fade"]
    json.dumps(rec)  # JSON-safe
    assert upgrade_record(rec) == rec


def test_the_leaderboard_ranks_every_setup_of_every_video() -> None:
    rec = _two_setup_record()
    other = build_record(video_id="mindset-9f9f9f9f", video={}, transcript=TRANSCRIPT,
                         specs=[StrategySpec.untestable(["no rule taught"])], backtest={"setups": []}, clips=[],
                         embeddings={}, features={})
    board = leaderboard_frame([other, rec])
    assert list(board["rank"]) == [1, 2, 3]
    assert list(zip(board["video_id"], board["setup"], board["market"], strict=True)) == [
        ("two-setups-0a1b2c3d", 1, "GOOG 1d"), ("mindset-9f9f9f9f", 1, "-"), ("two-setups-0a1b2c3d", 2, "-")]
    assert bool(board.loc[0, "promoted"]) and board.loc[0, "oos_sharpe"] == 1.2
    assert math.isnan(board.loc[2, "oos_sharpe"]) and "15m bars" in board.loc[2, "reasons"]
    assert other["reasons"][0] == "rejected: its setup was not backtested"
    page = leaderboard_html(board)
    assert page.count("<tr>") == 4 and "VWAP fade" in page and "PROMOTED" in page


def test_the_tear_sheet_lists_every_setup_promoted_first() -> None:
    page = tear_sheet_html(_two_setup_record())
    assert page.index("setup 1 (RSI pullback)") < page.index("setup 2 (VWAP fade)")
    assert "buy when RSI two is under ten" in page and "skipped" in page and "15m bars" in page


def test_a_v1_spec_dict_loads_as_v2() -> None:
    spec = load_specs(json.loads((FIXTURES / "v1_strategy_spec.json").read_text()))[0]
    assert spec.version == 2 and spec.testable
    # v1's long_short flipped: the exit opens the short, the entry covers it.
    assert spec.direction == "both" and spec.is_stop_and_reverse()
    assert spec.stops.stop_loss_pct == 4.0
    assert [p.part for p in spec.provenance][:2] == ["long.entry[0]", "long.exit[0]"]


def test_a_v1_report_loads_as_a_v2_record_and_gets_a_leaderboard_row() -> None:
    report = json.loads((FIXTURES / "v1_report.json").read_text())
    rec = upgrade_record(report)
    (setup,) = rec["setups"]
    spec = StrategySpec.from_dict(setup["spec"])
    assert spec.version == 2 and spec.direction == "long" and spec.stops.stop_loss_pct == 4.0
    assert StrategySpec.from_dict(rec["specs"][0]) == spec
    market = setup["markets"][V1_MARKET]
    assert market["oos"]["sharpe"] == 0.38 and market["robustness"]["n_trials"] == 49
    assert not setup["promoted"] and setup["reasons"][0].startswith("rejected")
    assert [e["part"] for e in setup["evidence"]] == ["long.entry[0]"]
    board = leaderboard_frame([report])
    assert len(board) == 1
    row = board.iloc[0]
    assert (row["video_id"], row["setup"], row["market"], row["oos_trades"]) == (
        "ema-crossover-stop-3f2a9c1d", 1, V1_MARKET, 6)
    assert row["oos_sharpe"] == pytest.approx(0.38) and not row["promoted"]
    assert "ema(20) crosses_above ema(50)" in row["strategy"]


def test_a_v1_strategy_record_on_disk_still_ranks() -> None:
    report = json.loads((FIXTURES / "v1_report.json").read_text())
    # The strategy.json a v1 run wrote: one spec, its out-of-sample metrics at the top level.
    v1_record = {"video_id": "old-lesson-12345678", "name": "old lesson.mp4", "summary": "long 1d | ...",
                 "testable": True, "spec": report["strategy_spec"], "promoted": True,
                 "reasons": ["promoted: all 7 gates passed"],
                 "oos": report["backtest"]["rule_only"]["metrics"]["out_of_sample"] | {"sharpe": 0.9},
                 "evidence": [], "clips": []}
    untestable_v1 = {"video_id": "earnings-00000000", "spec": {"version": 1, "testable": False,
                                                                "unsupported": ["needs earnings data"]},
                     "promoted": False, "reasons": ["rejected: no testable strategy (needs earnings data)"]}
    board = leaderboard_frame([untestable_v1, v1_record])
    assert list(board["video_id"]) == ["old-lesson-12345678", "earnings-00000000"]
    assert bool(board.iloc[0]["promoted"]) and board.iloc[0]["market"] == V1_MARKET
    assert board.iloc[1]["strategy"] == "not testable: needs earnings data"
    assert isinstance(board, pd.DataFrame)

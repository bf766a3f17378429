"""Promotion gates both ways, with the numbers in the reasons, on real results and on their JSON form."""

from __future__ import annotations

import pandas as pd
import pytest

from reelquant.backtest.engine import METRIC_NAMES, BacktestConfig, run_backtest
from reelquant.backtest.promotion import Decision, PromotionError, PromotionGates, decide

from .builders import sma_cross


def _metrics(**oos: float) -> dict:
    base = {name: 0.0 for name in METRIC_NAMES}
    good = {**base, "trades": 25.0, "sharpe": 1.2, "max_drawdown": 0.15, "total_return": 0.4,
            "buy_and_hold_sharpe": 0.8}
    return {"metrics": {"full": good, "in_sample": {**good, "sharpe": 1.4}, "out_of_sample": {**good, **oos}}}


def test_strong_strategy_is_promoted_with_every_gate_listed() -> None:
    decision = decide(_metrics(), PromotionGates())
    assert decision.promoted
    assert decision.reasons[0] == "promoted: all 5 gates passed"
    assert "passed: out-of-sample trades 25 >= minimum 10" in decision.reasons
    assert "passed: out-of-sample Sharpe 1.20 > buy-and-hold Sharpe 0.80" in decision.reasons
    assert all(r.startswith("passed") for r in decision.reasons[1:])


@pytest.mark.parametrize(
    ("oos", "failed"),
    [
        ({"trades": 4.0}, "failed: out-of-sample trades 4 < minimum 10"),
        ({"sharpe": 0.3, "buy_and_hold_sharpe": 0.1}, "failed: out-of-sample Sharpe 0.30 < minimum 0.50"),
        ({"max_drawdown": 0.5}, "failed: out-of-sample max drawdown 50.0% > limit 35.0%"),
        ({"total_return": -0.1}, "failed: out-of-sample return -10.0% < minimum 0.0%"),
        ({"buy_and_hold_sharpe": 1.5}, "failed: out-of-sample Sharpe 1.20 <= buy-and-hold Sharpe 1.50"),
        # A value that rounds to its bound is printed with the decimals that show why it failed.
        ({"sharpe": 0.4974, "buy_and_hold_sharpe": 0.1}, "failed: out-of-sample Sharpe 0.497 < minimum 0.500"),
        ({"max_drawdown": 0.35004}, "failed: out-of-sample max drawdown 35.004% > limit 35.000%"),
    ],
)
def test_each_gate_can_reject(oos: dict, failed: str) -> None:
    decision = decide(_metrics(**oos))
    assert not decision.promoted
    assert decision.reasons[0] == "rejected: 1 of 5 gates failed"
    assert failed in decision.reasons


def test_gates_are_configurable() -> None:
    lenient = PromotionGates(min_trades=3, must_beat_buy_and_hold_sharpe=False)
    assert decide(_metrics(trades=4.0, buy_and_hold_sharpe=3.0), lenient).promoted
    strict = PromotionGates(max_sharpe_decay=0.1)
    decision = decide(_metrics(), strict)
    assert not decision.promoted
    assert "failed: Sharpe fell 0.20 from in-sample to out-of-sample (> allowed 0.10)" in decision.reasons


def test_real_result_and_asset_form_agree(goog: pd.DataFrame) -> None:
    result = run_backtest(sma_cross(), goog, BacktestConfig())
    direct = decide(result)
    from_asset = decide({"ran": True, "rule_only": result.to_dict()})
    assert isinstance(direct, Decision) and direct == from_asset
    oos = result.metrics["out_of_sample"]
    expected = (oos["trades"] >= 10 and oos["sharpe"] >= 0.5 and oos["max_drawdown"] <= 0.35
                and oos["total_return"] >= 0 and oos["sharpe"] > oos["buy_and_hold_sharpe"])
    assert direct.promoted == expected
    assert f"{oos['sharpe']:.2f}" in " ".join(direct.reasons)
    assert direct.to_dict()["reasons"] == direct.reasons


def test_result_without_metrics_is_a_clear_error() -> None:
    with pytest.raises(PromotionError, match="no out-of-sample metrics"):
        decide({"ran": False})


def _robust(share: float, dsr: float, trials: int = 49) -> dict:
    return {"share_positive": share, "deflated_sharpe": dsr, "n_trials": trials}


def test_robustness_gates_apply_when_a_sweep_is_given() -> None:
    decision = decide(_metrics(), PromotionGates(), robustness=_robust(0.8, 0.97))
    assert decision.promoted and decision.reasons[0] == "promoted: all 7 gates passed"
    assert ("passed: 80% of parameter neighbours have a positive out-of-sample Sharpe (>= minimum 60%)"
            in decision.reasons)
    assert "passed: deflated Sharpe probability 0.97 over 49 trials >= minimum 0.95" in decision.reasons
    fragile = decide(_metrics(), robustness=_robust(0.4, 0.97))
    assert not fragile.promoted and fragile.reasons[0] == "rejected: 1 of 7 gates failed"
    lucky = decide(_metrics(), robustness=_robust(0.9, 0.6, trials=343))
    assert "failed: deflated Sharpe probability 0.60 over 343 trials < minimum 0.95" in lucky.reasons
    only_share = PromotionGates(min_deflated_sharpe=None)
    assert decide(_metrics(), only_share, robustness=_robust(0.9, 0.1)).promoted


def test_real_robustness_result_feeds_the_decision(goog: pd.DataFrame) -> None:
    from reelquant.backtest.robustness import robustness

    result = run_backtest(sma_cross(), goog, BacktestConfig())
    sweep = robustness(sma_cross(), goog, BacktestConfig(), steps=(0.2,))
    direct = decide(result, robustness=sweep)
    assert direct == decide(result.to_dict(), robustness=sweep.to_dict())
    expected = decide(result).promoted and sweep.share_positive >= 0.6 and sweep.deflated_sharpe >= 0.95
    assert direct.promoted == expected
    assert f"over {sweep.n_trials} trials" in " ".join(direct.reasons)
    with pytest.raises(ValueError, match="run robustness"):
        decide(result, robustness={"share": 1.0})


def test_a_two_sided_spec_with_stops_is_judged_the_same_way(goog: pd.DataFrame) -> None:
    spec = sma_cross(direction="reverse", stop_loss_pct=8.0, max_bars_held=40)
    result = run_backtest(spec, goog, BacktestConfig())
    assert (result.trades["direction"] == "short").any()
    direct = decide(result)
    assert direct == decide({"ran": True, "rule_only": result.to_dict()})
    oos = result.metrics["out_of_sample"]
    assert f"out-of-sample trades {int(oos['trades'])}" in " ".join(direct.reasons)

"""Parameter neighbourhoods, their out-of-sample results on both engines, the heatmap, and the deflated Sharpe ratio."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from reelquant.backtest.engine import BacktestConfig, BacktestError, run_backtest
from reelquant.backtest.robustness import (
    DEFAULT_STEPS,
    RobustnessError,
    RobustnessResult,
    apply_values,
    deflated_sharpe,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    heatmap_png,
    parameter_levels,
    robustness,
    spec_parameters,
)
from reelquant.strategy.spec import StrategySpec

from .builders import cond, ind, sma_cross, spec_of


def rsi_rule(**fields: object) -> StrategySpec:
    rsi = ind("rsi")  # window left to the default 14: still a parameter
    return spec_of([cond(rsi, "crosses_above", 30)], [cond(rsi, ">", 70)], **fields)


def test_parameters_cover_windows_thresholds_and_stops() -> None:
    names = [p.name for p in spec_parameters(rsi_rule(stop_loss_pct=5.0))]
    assert names == ["rsi(14).window", "long.entry[0] rsi crosses_above threshold", "long.exit[0] rsi > threshold",
                     "stop_loss_pct"]
    # the fast SMA appears in the entry and the exit cross but is one parameter
    assert [p.name for p in spec_parameters(sma_cross())] == ["sma(10).window", "sma(20).window"]
    zero_line = spec_of([cond(ind("macd"), "crosses_above", 0)])
    assert [p.name for p in spec_parameters(zero_line)] == ["macd(12, 26, 9).fast", "macd(12, 26, 9).slow",
                                                            "macd(12, 26, 9).signal"]


def test_apply_values_changes_every_use_of_a_parameter() -> None:
    spec = rsi_rule(stop_loss_pct=5.0)
    moved = apply_values(spec, spec_parameters(spec), [18, 39.0, 63.0, 6.5])
    assert moved.long.entry.conditions[0].left.params == {"window": 18}
    assert moved.long.exit.conditions[0].left.params == {"window": 18}
    assert (moved.long.entry.conditions[0].right, moved.long.exit.conditions[0].right) == (39.0, 63.0)
    assert moved.stops.stop_loss_pct == 6.5 and spec.stops.stop_loss_pct == 5.0
    cross = apply_values(sma_cross(), spec_parameters(sma_cross()), [13, 14])
    assert {c.left.params["window"] for c in cross.long.entry.conditions + cross.long.exit.conditions} == {13}


@pytest.fixture(scope="module")
def sma_robustness(goog: pd.DataFrame) -> RobustnessResult:
    return robustness(sma_cross(), goog, BacktestConfig())


def test_two_parameters_make_a_full_grid_on_the_kernel(sma_robustness: RobustnessResult, goog: pd.DataFrame) -> None:
    result = sma_robustness
    table = result.table
    assert result.engine == "numba kernel" and not result.sampled
    assert set(table["sma(10).window"]) == {7, 8, 9, 10, 11, 12, 13}
    assert set(table["sma(20).window"]) == {14, 16, 18, 20, 22, 24, 26}
    assert len(table) == 49 == result.n_trials and result.n_neighbours == 48
    assert table["is_base"].iloc[0] and not table["is_base"].iloc[1:].any()
    assert result.share_positive == pytest.approx((table["oos_sharpe"].iloc[1:] > 0).mean())
    for fast, slow in [(10, 20), (7, 26), (13, 14)]:
        row = table[(table["sma(10).window"] == fast) & (table["sma(20).window"] == slow)].iloc[0]
        oos = run_backtest(sma_cross(fast, slow), goog, BacktestConfig()).metrics["out_of_sample"]
        assert row["oos_sharpe"] == pytest.approx(oos["sharpe"], rel=1e-9)
        assert row["oos_trades"] == oos["trades"]
    assert result.base_oos_sharpe == table["oos_sharpe"].iloc[0]
    assert 0 < result.deflated_sharpe < 1
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert len(data["variants"]) == 49 and data["n_neighbours"] == 48


def test_heatmap_is_a_png_of_the_grid(sma_robustness: RobustnessResult) -> None:
    image = Image.open(io.BytesIO(heatmap_png(sma_robustness)))
    assert image.format == "PNG" and image.size[0] > 400
    with pytest.raises(RobustnessError, match="not a parameter of this rule"):
        heatmap_png(sma_robustness, x="rsi(14).window")


def test_rules_with_stops_run_on_vectorbt_and_sample_when_large(goog: pd.DataFrame) -> None:
    spec = rsi_rule(stop_loss_pct=5.0)
    result = robustness(spec, goog, BacktestConfig(), steps=(0.2,), max_variants=12)
    assert result.engine == "vectorbt" and result.sampled
    assert len(result.table) == 12
    # every one-parameter move comes first: 4 parameters x 2 moves
    single = result.table.iloc[1:9]
    base = [p.base for p in result.parameters]
    names = [p.name for p in result.parameters]
    assert all(sum(row[n] != b for n, b in zip(names, base, strict=True)) == 1 for _, row in single.iterrows())
    # each column of the batched simulation is the run_backtest of that variant
    for k in (0, 3, 8, 11):
        values = [result.table[n].iloc[k] for n in names]
        oos = run_backtest(apply_values(spec, result.parameters, values), goog,
                           BacktestConfig()).metrics["out_of_sample"]
        assert result.table["oos_sharpe"].iloc[k] == pytest.approx(oos["sharpe"], rel=1e-9, abs=1e-12)
        assert result.table["oos_trades"].iloc[k] == oos["trades"]
    assert result.base_oos_sharpe == result.table["oos_sharpe"].iloc[0]
    with pytest.raises(RobustnessError, match="two parameters"):
        heatmap_png(robustness(spec_of([cond(ind("close"), ">", 300)]), goog))


def test_user_errors_are_clear(goog: pd.DataFrame) -> None:
    with pytest.raises(BacktestError, match="not testable"):
        robustness(StrategySpec.untestable(["needs tick data"]), goog)
    with pytest.raises(RobustnessError, match="fractions between 0 and 1"):
        robustness(sma_cross(), goog, steps=(0.1, 1.5))


def test_deflated_sharpe_reproduces_the_papers_example() -> None:
    # Bailey and López de Prado (2014), section 6: 100 trials, annual Sharpe variance 1/2, 250 bars a
    # year; the best trial has an annual Sharpe of 2.5 over 1,250 bars, skewness -3, kurtosis 10.
    spread = math.sqrt(0.5 / 250)
    assert expected_max_sharpe(100, spread) == pytest.approx(0.1132, abs=5e-5)
    assert deflated_sharpe_ratio(2.5 / math.sqrt(250), 1250, -3.0, 10.0, 100, spread) == pytest.approx(0.9004,
                                                                                                    abs=5e-4)


def _scaled(values: np.ndarray, mean: float, std: float) -> np.ndarray:
    return mean + (values - values.mean()) / values.std(ddof=1) * std


def test_more_trials_deflate_more() -> None:
    rng = np.random.default_rng(7)
    returns = _scaled(rng.normal(size=750), 0.001, 0.01)  # per-bar Sharpe exactly 0.1
    single = deflated_sharpe(returns, 1)
    values = [deflated_sharpe(returns, n, _scaled(rng.normal(size=n), 0.5, 0.6)) for n in (2, 10, 50, 200)]
    assert single > 0.99
    assert all(a > b for a, b in zip([single, *values], values, strict=False))
    assert values[-1] < 0.5
    assert deflated_sharpe(np.zeros(100), 10, values) == 0.0


def test_parameters_come_from_the_registry() -> None:
    """Whole numbers and minimums are the registry's; one series read at two offsets is one parameter."""
    rsi2 = ind("rsi", window=2)
    spec = spec_of([cond(rsi2, "<", ind("rsi", offset=1, window=2)),
                    cond(ind("close"), "<", ind("bb_lower", scale=0.99, window=20, std=2)),
                    cond(ind("volume"), ">", ind("sma", window=20, source="volume")),
                    cond(ind("close"), ">", ind("sma", window=20))],
                   [cond(rsi2, ">", 70)], max_bars_held=5, stop_loss_atr=2.0)
    params = {p.name: p for p in spec_parameters(spec)}
    assert list(params) == ["rsi(2).window", "bb_lower(20, 2).window", "bb_lower(20, 2).std",
                            "sma(20, volume).window", "sma(20).window", "long.exit[0] rsi > threshold",
                            "stop_loss_atr", "max_bars_held"]
    assert params["rsi(2).window"].integer and not params["bb_lower(20, 2).std"].integer
    assert params["bb_lower(20, 2).std"].minimum == 0.1 and params["max_bars_held"].integer
    # a window of 2 moved 30 % down stays at the registry's minimum of 1; max_bars_held stays whole
    levels = parameter_levels(params["rsi(2).window"], DEFAULT_STEPS)
    assert min(levels) >= 1 and all(v == int(v) for v in levels)
    moved = apply_values(spec, list(params.values()), [3, 22, 2.4, 16, 24, 75.0, 2.5, 6])
    entry = moved.long.entry.conditions
    assert entry[0].left.params == {"window": 3} and entry[0].right.params == {"window": 3}
    assert entry[0].right.offset == 1 and entry[1].right.scale == 0.99  # offsets and scales stay as taught
    assert entry[1].right.params == {"window": 22, "std": 2.4}
    assert entry[2].right.params == {"window": 16, "source": "volume"} and entry[3].right.params == {"window": 24}
    assert moved.stops.max_bars_held == 6 and moved.stops.stop_loss_atr == 2.5


def test_stop_and_reverse_threshold_is_one_parameter() -> None:
    rsi = ind("rsi", window=14)
    spec = spec_of([cond(rsi, "crosses_above", 30)], [cond(rsi, "crosses_below", 70)], direction="reverse")
    params = spec_parameters(spec)
    assert [p.name for p in params] == ["rsi(14).window", "long.entry[0] rsi crosses_above threshold",
                                        "long.exit[0] rsi crosses_below threshold"]
    moved = apply_values(spec, params, [12, 25.0, 75.0])
    assert moved.is_stop_and_reverse()
    assert moved.short.entry.conditions[0].right == 75.0 and moved.short.exit.conditions[0].right == 25.0


def test_batched_variants_with_atr_stops_and_a_time_exit_match_run_backtest(goog: pd.DataFrame) -> None:
    """Both sides, ATR stops and a time exit: every column of the one batched simulation is its own backtest."""
    rsi = ind("rsi", window=5)
    spec = spec_of([cond(rsi, "crosses_above", 30)], [cond(rsi, "crosses_below", 70)], direction="reverse",
                   stop_loss_atr=2.0, take_profit_atr=4.0, atr_window=10, max_bars_held=15)
    result = robustness(spec, goog, BacktestConfig(), steps=(0.2,), max_variants=9)
    assert result.engine == "vectorbt" and len(result.table) == 9
    names = [p.name for p in result.parameters]
    assert "max_bars_held" in names and "take_profit_atr" in names
    for k in (0, 4, 8):
        values = [result.table[n].iloc[k] for n in names]
        oos = run_backtest(apply_values(spec, result.parameters, values), goog,
                           BacktestConfig()).metrics["out_of_sample"]
        assert result.table["oos_sharpe"].iloc[k] == pytest.approx(oos["sharpe"], rel=1e-9, abs=1e-12)
        assert result.table["oos_trades"].iloc[k] == oos["trades"]


def test_two_sided_rules_without_stops_run_on_the_kernel(goog: pd.DataFrame) -> None:
    spec = sma_cross(direction="reverse")
    result = robustness(spec, goog, BacktestConfig(), steps=(0.2,))
    assert result.engine == "numba kernel" and len(result.table) == 9
    for k in (0, 5):
        values = [result.table[p.name].iloc[k] for p in result.parameters]
        variant = apply_values(spec, result.parameters, values)
        assert variant.is_stop_and_reverse()
        oos = run_backtest(variant, goog, BacktestConfig()).metrics["out_of_sample"]
        assert result.table["oos_sharpe"].iloc[k] == pytest.approx(oos["sharpe"], rel=1e-9, abs=1e-12)
        assert result.table["oos_trades"].iloc[k] == oos["trades"]

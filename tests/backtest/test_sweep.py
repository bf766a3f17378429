"""The numba sweep kernel gives run_backtest's numbers, pair by pair and segment by segment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reelquant.backtest.engine import BacktestConfig, BacktestError, StopPlan, _simulate, run_backtest
from reelquant.backtest.signals import Signals, compile_signals
from reelquant.backtest.sweep import simulate, sma_crossover_sweep, sma_grid

from .builders import both_of, cond, frame, ind, side, sma_cross, spec_of

PAIRS = [(10, 20), (3, 7), (5, 50), (20, 100)]
COSTLY = BacktestConfig(fees=0.002, slippage=0.001)


@pytest.fixture(scope="module")
def reference(goog: pd.DataFrame) -> dict[tuple[int, int], dict[str, dict[str, float]]]:
    return {pair: run_backtest(sma_cross(*pair), goog, COSTLY).metrics for pair in PAIRS}


@pytest.mark.parametrize("segment", ["full", "in_sample", "out_of_sample"])
def test_kernel_equals_run_backtest_on_sma_pairs(goog: pd.DataFrame, reference: dict, segment: str) -> None:
    table = sma_crossover_sweep(goog, PAIRS, COSTLY, segment=segment)
    assert list(zip(table["fast"], table["slow"], strict=True)) == PAIRS
    for row in table.itertuples():
        metrics = reference[(row.fast, row.slow)][segment]
        assert row.trades == metrics["trades"]
        assert row.total_return == pytest.approx(metrics["total_return"], rel=1e-9, abs=1e-12)
        assert row.sharpe == pytest.approx(metrics["sharpe"], rel=1e-9, abs=1e-12)


def test_kernel_equals_vectorbt_for_an_rsi_rule(goog: pd.DataFrame) -> None:
    rsi = ind("rsi", window=14)
    spec = spec_of([cond(rsi, "crosses_above", 35)], [cond(rsi, ">", 65)])
    config = BacktestConfig()
    signals = compile_signals(spec, goog)
    result = run_backtest(spec, goog, config)
    equity, trades = simulate(goog, signals, config)
    np.testing.assert_allclose(equity.to_numpy(), result.equity.to_numpy(), rtol=1e-9)
    assert trades == len(result.trades)
    oos, _ = simulate(goog, signals, config, segment="out_of_sample")
    assert oos.index[0] == result.split_date
    assert oos.iloc[-1] / config.init_cash - 1 == pytest.approx(result.metrics["out_of_sample"]["total_return"])


TWO_SIDED = {
    "short": spec_of([cond(ind("rsi", window=2), ">", 90)], [cond(ind("rsi", window=2), "<", 40)], direction="short"),
    "reverse": sma_cross(5, 30, direction="reverse"),
    "both": both_of(side([cond(ind("rsi", window=3), "<", 15)], [cond(ind("rsi", window=3), ">", 55)]),
                    side([cond(ind("rsi", window=3), ">", 85)], [cond(ind("rsi", window=3), "<", 45)])),
}


@pytest.mark.parametrize("name", list(TWO_SIDED))
@pytest.mark.parametrize("segment", ["full", "out_of_sample"])
def test_kernel_equals_vectorbt_for_short_and_two_sided_rules(goog: pd.DataFrame, name: str, segment: str) -> None:
    """Shorts sized from free cash as vectorbt does, reversals, and the equity of an open short."""
    spec = TWO_SIDED[name]
    reference = run_backtest(spec, goog, COSTLY)
    equity, trades = simulate(goog, compile_signals(spec, goog), COSTLY, segment=segment)
    metrics = reference.metrics[segment]
    assert (reference.trades["direction"] == "short").sum() > 10
    assert trades == metrics["trades"]
    assert equity.iloc[-1] / COSTLY.init_cash - 1 == pytest.approx(metrics["total_return"], rel=1e-9, abs=1e-12)
    if segment == "full":
        np.testing.assert_allclose(equity.to_numpy(), reference.equity.to_numpy(), rtol=1e-9)


def test_entry_and_exit_on_one_bar_cancel_like_vectorbt() -> None:
    df = frame([100.0, 101, 102, 103, 104, 105, 104, 103, 102, 101, 100, 99, 98, 97])
    entries = pd.Series(False, index=df.index)
    exits = pd.Series(False, index=df.index)
    entries.iloc[[2, 5, 9]] = True
    exits.iloc[[5, 7, 9]] = True
    config = BacktestConfig(fees=0.001, slippage=0.0)
    never = pd.Series(False, index=df.index)
    signals = Signals(entries, exits, never, never)
    ours, _ = simulate(df, signals, config)
    theirs = _simulate(df, signals, config, StopPlan(), 0, len(df)).value()
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-12)
    # in on bar 3, the bar-5 conflict ignored, out on bar 8, the bar-9 conflict ignored: flat to the end
    assert ours.iloc[2] == 10_000 and ours.iloc[6] != ours.iloc[5] and ours.iloc[-1] == ours.iloc[8]
    # a long and a short entry on one bar cancel too, and a short entry while long reverses
    flip = Signals(entries, never, exits, never)
    ours, _ = simulate(df, flip, config)
    theirs = _simulate(df, flip, config, StopPlan(), 0, len(df)).value()
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-12)


def test_grid_and_errors(goog: pd.DataFrame) -> None:
    grid = sma_grid(range(2, 151))
    assert len(grid) == 149 * 148 // 2 >= 10_000
    assert all(f < s for f, s in grid)
    assert sma_crossover_sweep(goog, []).empty
    with pytest.raises(BacktestError, match="whole_shares=False"):
        sma_crossover_sweep(goog, PAIRS, BacktestConfig(whole_shares=True))
    with pytest.raises(BacktestError, match="at least 1"):
        sma_crossover_sweep(goog, [(0, 5)])
    with pytest.raises(BacktestError, match="Unknown segment"):
        sma_crossover_sweep(goog, PAIRS, segment="latest")

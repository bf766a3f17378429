"""The numba sweep kernel gives run_backtest's numbers, pair by pair and segment by segment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reelquant.backtest.engine import BacktestConfig, BacktestError, StopPlan, _simulate, run_backtest
from reelquant.backtest.signals import Signals, compile_signals
from reelquant.backtest.sweep import simulate_long, sma_crossover_sweep, sma_grid

from .builders import cond, frame, ind, sma_cross, spec_of

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


def test_simulate_long_equals_vectorbt_for_an_rsi_rule(goog: pd.DataFrame) -> None:
    rsi = ind("rsi", window=14)
    spec = spec_of([cond(rsi, "crosses_above", 35)], [cond(rsi, ">", 65)])
    config = BacktestConfig()
    signals = compile_signals(spec, goog)
    result = run_backtest(spec, goog, config)
    equity = simulate_long(goog, signals.long_entries, signals.long_exits, config)
    np.testing.assert_allclose(equity.to_numpy(), result.equity.to_numpy(), rtol=1e-9)
    oos = simulate_long(goog, signals.long_entries, signals.long_exits, config, segment="out_of_sample")
    assert oos.index[0] == result.split_date
    assert oos.iloc[-1] / config.init_cash - 1 == pytest.approx(result.metrics["out_of_sample"]["total_return"])


def test_entry_and_exit_on_one_bar_cancel_like_vectorbt() -> None:
    df = frame([100.0, 101, 102, 103, 104, 105, 104, 103, 102, 101, 100, 99, 98, 97])
    entries = pd.Series(False, index=df.index)
    exits = pd.Series(False, index=df.index)
    entries.iloc[[2, 5, 9]] = True
    exits.iloc[[5, 7, 9]] = True
    config = BacktestConfig(fees=0.001, slippage=0.0)
    ours = simulate_long(df, entries, exits, config)
    never = pd.Series(False, index=df.index)
    theirs = _simulate(df, Signals(entries, exits, never, never), config, StopPlan(), 0, len(df)).value()
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-12)
    # in on bar 3, the bar-5 conflict ignored, out on bar 8, the bar-9 conflict ignored: flat to the end
    assert ours.iloc[2] == 10_000 and ours.iloc[6] != ours.iloc[5] and ours.iloc[-1] == ours.iloc[8]


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

"""Walk-forward windows: how the bars are cut, and metrics that agree with run_backtest's segments."""

from __future__ import annotations

import pandas as pd
import pytest

from reelquant.backtest.engine import BacktestConfig, BacktestError, run_backtest
from reelquant.backtest.walkforward import walk_forward, walk_forward_summary, window_bounds

from .builders import sma_cross


@pytest.mark.parametrize("anchored", [True, False])
def test_windows_tile_the_history_after_the_first_block(anchored: bool) -> None:
    bounds = window_bounds(1003, 4, anchored=anchored)
    assert [(lo, hi) for _, _, lo, hi in bounds] == [(200, 400), (400, 600), (600, 800), (800, 1003)]
    for train_lo, train_hi, test_lo, _ in bounds:
        assert train_hi == test_lo
        assert train_lo == (0 if anchored else test_lo - 200)


def test_one_window_is_run_backtests_split_in_half(goog: pd.DataFrame) -> None:
    config = BacktestConfig(oos_fraction=0.5)
    reference = run_backtest(sma_cross(), goog, config)
    (window,) = walk_forward(sma_cross(), goog, config, n_windows=1)
    assert window.test_start == reference.split_date
    assert window.train_start == goog.index[0] and window.test_end == goog.index[-1]
    assert window.in_sample == reference.metrics["in_sample"]
    assert window.out_of_sample == reference.metrics["out_of_sample"]


def test_rolling_and_anchored_share_test_windows(goog: pd.DataFrame) -> None:
    anchored = walk_forward(sma_cross(), goog, n_windows=4, anchored=True)
    rolling = walk_forward(sma_cross(), goog, n_windows=4, anchored=False)
    assert [w.test_start for w in anchored] == [w.test_start for w in rolling]
    assert [w.out_of_sample for w in anchored] == [w.out_of_sample for w in rolling]
    # rolling training is exactly the previous test window
    assert rolling[1].in_sample == rolling[0].out_of_sample
    assert anchored[1].train_start == goog.index[0] != rolling[1].train_start
    summary = walk_forward_summary(anchored)
    sharpes = [w.out_of_sample["sharpe"] for w in anchored]
    assert summary["windows"] == 4 and summary["min_oos_sharpe"] == min(sharpes)
    assert summary["oos_trades"] == sum(w.out_of_sample["trades"] for w in anchored) > 0
    assert anchored[0].to_dict()["test_start"] == anchored[0].test_start.isoformat()


def test_too_many_windows_is_a_clear_error(goog: pd.DataFrame) -> None:
    with pytest.raises(BacktestError, match="ask for fewer windows"):
        walk_forward(sma_cross(), goog.iloc[:90], n_windows=4)
    with pytest.raises(BacktestError, match="at least 1"):
        window_bounds(1000, 0)


def test_windows_of_a_two_sided_spec_with_stops_agree_with_run_backtest(goog: pd.DataFrame) -> None:
    spec = sma_cross(direction="reverse", stop_loss_atr=3.0, atr_window=10, max_bars_held=30)
    config = BacktestConfig(oos_fraction=0.5)
    reference = run_backtest(spec, goog, config)
    (window,) = walk_forward(spec, goog, config, n_windows=1)
    assert window.in_sample == reference.metrics["in_sample"]
    assert window.out_of_sample == reference.metrics["out_of_sample"]
    assert (reference.trades["direction"] == "short").any()

"""Walk-forward evaluation: the spec's rule judged on consecutive out-of-sample windows, each after its own training span."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from reelquant.backtest.engine import (
    BacktestConfig,
    BacktestError,
    StopPlan,
    _segment_metrics,
    _simulate,
    check_inputs,
)
from reelquant.backtest.signals import compile_signals
from reelquant.strategy.spec import StrategySpec

# A window shorter than this has too few bars for a Sharpe ratio to mean anything.
MIN_WINDOW_BARS = 20


@dataclass
class WalkForwardWindow:
    """One step: metrics over the training span and over the test window that follows it (dates inclusive)."""

    number: int
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp
    in_sample: dict[str, float]
    out_of_sample: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.number,
            "train_start": self.train_start.isoformat(), "train_end": self.train_end.isoformat(),
            "test_start": self.test_start.isoformat(), "test_end": self.test_end.isoformat(),
            "in_sample": dict(self.in_sample), "out_of_sample": dict(self.out_of_sample),
        }


def window_bounds(n_bars: int, n_windows: int, anchored: bool = True) -> list[tuple[int, int, int, int]]:
    """(train_lo, train_hi, test_lo, test_hi) positions, half-open, for each window.

    The bars are cut into n_windows + 1 equal blocks; window k tests on block k + 1 (the last one
    also takes the remainder). Anchored training starts at the first bar; rolling training is the
    single block before the test window.
    """
    if n_windows < 1:
        raise BacktestError(f"n_windows must be at least 1, got {n_windows}: ask for one or more windows.")
    block = n_bars // (n_windows + 1)
    if block < MIN_WINDOW_BARS:
        raise BacktestError(f"{n_bars} bars make windows of {block} bars, fewer than {MIN_WINDOW_BARS}: "
                            "ask for fewer windows or load a longer history.")
    bounds = []
    for k in range(1, n_windows + 1):
        test_lo = k * block
        test_hi = n_bars if k == n_windows else (k + 1) * block
        train_lo = 0 if anchored else test_lo - block
        bounds.append((train_lo, test_lo, test_lo, test_hi))
    return bounds


def walk_forward(spec: StrategySpec, df: pd.DataFrame, config: BacktestConfig | None = None,
                 n_windows: int = 4, anchored: bool = True) -> list[WalkForwardWindow]:
    """Per-window in-sample and out-of-sample metrics of the spec's rule, in time order.

    The rule's parameters are fixed by the lesson, so nothing is refitted: the windows show whether
    the rule held up period after period. Signals come from the whole history (indicators need their
    warm-up, and each signal only uses bars up to its own), and every span trades from fresh cash
    inside its own bars, as run_backtest's segments do.
    """
    config = config or BacktestConfig()
    check_inputs(spec, df)
    signals = compile_signals(spec, df)
    stops = StopPlan.of(spec, df)
    windows = []
    for k, (train_lo, train_hi, test_lo, test_hi) in enumerate(window_bounds(len(df), n_windows, anchored), 1):
        spans = {}
        for name, (lo, hi) in (("in_sample", (train_lo, train_hi)), ("out_of_sample", (test_lo, test_hi))):
            pf = _simulate(df, signals, config, stops, lo, hi)
            spans[name], _ = _segment_metrics(pf, df.iloc[lo:hi], config)
        windows.append(WalkForwardWindow(
            number=k, train_start=df.index[train_lo], train_end=df.index[train_hi - 1],
            test_start=df.index[test_lo], test_end=df.index[test_hi - 1],
            in_sample=spans["in_sample"], out_of_sample=spans["out_of_sample"],
        ))
    return windows


def walk_forward_summary(windows: list[WalkForwardWindow]) -> dict[str, float]:
    """Mean and worst out-of-sample Sharpe, share of windows with positive Sharpe, and trades across windows."""
    sharpes = [w.out_of_sample["sharpe"] for w in windows]
    if not sharpes:
        return {"windows": 0.0, "mean_oos_sharpe": 0.0, "min_oos_sharpe": 0.0, "share_positive": 0.0,
                "oos_trades": 0.0}
    return {
        "windows": float(len(windows)),
        "mean_oos_sharpe": float(math.fsum(sharpes) / len(sharpes)),
        "min_oos_sharpe": float(min(sharpes)),
        "share_positive": float(sum(s > 0 for s in sharpes) / len(sharpes)),
        "oos_trades": float(sum(w.out_of_sample["trades"] for w in windows)),
    }

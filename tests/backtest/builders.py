"""Builders for specs and small hand-made bars used across the backtest tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reelquant.strategy.spec import Condition, ConditionSet, Indicator, StrategySpec


def ind(name: str, **params: float) -> Indicator:
    return Indicator(indicator=name, params=params)


def cond(left: Indicator, op: str, right: Indicator | float) -> Condition:
    return Condition(left=left, op=op, right=right)


def spec_of(entry: list[Condition], exit_: list[Condition] | None = None, entry_mode: str = "all",
            **fields: object) -> StrategySpec:
    return StrategySpec(testable=True, name="test", entry=ConditionSet.of(entry_mode, entry),
                        exit=ConditionSet.of("any", exit_ or []), **fields)


def sma_cross(fast: int = 10, slow: int = 20, **fields: object) -> StrategySpec:
    f, s = ind("sma", window=fast), ind("sma", window=slow)
    return spec_of([cond(f, "crosses_above", s)], [cond(f, "crosses_below", s)], **fields)


def frame(close: list[float], open_: list[float] | None = None, high: list[float] | None = None,
          low: list[float] | None = None, start: str = "2020-01-01") -> pd.DataFrame:
    """Business-day bars from explicit prices; open/high/low default to the close."""
    c = np.asarray(close, dtype=float)
    o = np.asarray(open_, dtype=float) if open_ is not None else c
    h = np.asarray(high, dtype=float) if high is not None else np.maximum(o, c)
    lo = np.asarray(low, dtype=float) if low is not None else np.minimum(o, c)
    idx = pd.bdate_range(start, periods=len(c), name="date")
    return pd.DataFrame({"open": o, "high": h, "low": lo, "close": c, "volume": 1000.0}, index=idx)


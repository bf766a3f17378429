"""Builders for StrategySpec v2 specs and small hand-made bars used across the backtest tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from reelquant.strategy.spec import FLIPPED, Condition, ConditionSet, Operand, Side, Stops, StrategySpec


def ind(name: str, offset: int = 0, scale: float = 1.0, **params: Any) -> Operand:
    return Operand(indicator=name, params=params, offset=offset, scale=scale)


def cond(left: Operand, op: str, right: Operand | float, for_bars: int = 1) -> Condition:
    return Condition(left=left, op=op, right=right, for_bars=for_bars)


def side(entry: list[Condition], exit_: list[Condition] | None = None, entry_mode: str = "all") -> Side:
    return Side(entry=ConditionSet.of(entry_mode, entry), exit=ConditionSet.of("any", exit_ or []))


def flipped(c: Condition) -> Condition:
    """The mirror of a condition against a number or another operand: `>` becomes `<`, crosses swap."""
    return c.model_copy(update={"op": FLIPPED[c.op]})


def spec_of(entry: list[Condition], exit_: list[Condition] | None = None, entry_mode: str = "all",
            direction: str = "long", stops: dict[str, Any] | None = None, **stop_fields: Any) -> StrategySpec:
    """One side's rules traded long, short, or as stop-and-reverse (`reverse`: the exit opens the short)."""
    rules = side(entry, exit_, entry_mode)
    sides: dict[str, Side | None] = {"long": None, "short": None}
    if direction in ("long", "reverse"):
        sides["long"] = rules
    if direction == "short":
        sides["short"] = rules
    if direction == "reverse":
        # The same events with the roles swapped: the long exit's set opens the short, the entry's covers it.
        sides["short"] = Side(entry=ConditionSet.of("any", exit_ or []), exit=ConditionSet.of(entry_mode, entry))
    return StrategySpec(testable=True, name="test", stops=Stops(**{**(stops or {}), **stop_fields}), **sides)


def both_of(long: Side, short: Side, **stop_fields: Any) -> StrategySpec:
    return StrategySpec(testable=True, name="test", long=long, short=short, stops=Stops(**stop_fields))


def sma_cross(fast: int = 10, slow: int = 20, direction: str = "long", **stop_fields: Any) -> StrategySpec:
    f, s = ind("sma", window=fast), ind("sma", window=slow)
    return spec_of([cond(f, "crosses_above", s)], [cond(f, "crosses_below", s)], direction=direction,
                   **stop_fields)


def frame(close: list[float], open_: list[float] | None = None, high: list[float] | None = None,
          low: list[float] | None = None, volume: list[float] | None = None,
          start: str = "2020-01-01") -> pd.DataFrame:
    """Business-day bars from explicit prices; open/high/low default to the close, volume to 1000."""
    c = np.asarray(close, dtype=float)
    o = np.asarray(open_, dtype=float) if open_ is not None else c
    h = np.asarray(high, dtype=float) if high is not None else np.maximum(o, c)
    lo = np.asarray(low, dtype=float) if low is not None else np.minimum(o, c)
    v = np.asarray(volume, dtype=float) if volume is not None else np.full(len(c), 1000.0)
    idx = pd.bdate_range(start, periods=len(c), name="date")
    return pd.DataFrame({"open": o, "high": h, "low": lo, "close": c, "volume": v}, index=idx)

"""Compile a StrategySpec's sides into boolean entry and exit signals, each decided on its bar's close.

Each side (long, short) compiles on its own: its entry set opens a position of that side, its exit set
closes it. A side that is None never fires. Conditions read operands (registry indicator, offset, scale)
and hold for `for_bars` bars:

- a comparison (`>`, `<`, `>=`, `<=`) with `for_bars: N` fires on a bar where it held on that bar and each
  of the N - 1 bars before it ("two closes in a row under the lower band");
- a cross with `for_bars: N` is a confirmed cross: it fires N - 1 bars after the cross, when the new side
  (above for crosses_above, below for crosses_below) held on the cross bar and on every bar since. So it
  fires once per cross, and not at all when the price falls back inside the N bars. N = 1 is the plain cross.

Nothing fires while an input is still warming up.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import pandas as pd

from reelquant.backtest.indicators import apply_offset_scale, compute_series
from reelquant.strategy.spec import Condition, ConditionSet, Operand, Side, StrategySpec

SIGNAL_NAMES: tuple[str, ...] = ("long_entries", "long_exits", "short_entries", "short_exits")


@dataclass
class Signals:
    """Boolean signals aligned to the bars; True on bar t means "act at bar t+1's open"."""

    long_entries: pd.Series
    long_exits: pd.Series
    short_entries: pd.Series
    short_exits: pd.Series

    def count(self) -> dict[str, int]:
        return {name: int(getattr(self, name).sum()) for name in SIGNAL_NAMES}


_COMPARE = {">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le}
# The relation a cross leaves behind: after crossing above, the left side is above the right.
_CROSS_HOLDS = {"crosses_above": operator.gt, "crosses_below": operator.lt}


class OperandCache:
    """Computes each distinct indicator series once per set of bars; offsets and scales are read off it.

    Shared across compiles on the same bars (robustness compiles hundreds of variants that reuse series).
    """

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.values: dict[object, pd.Series] = {}

    def series(self, operand: Operand) -> pd.Series:
        """The operand's indicator before offset and scale."""
        key = operand.series_key()
        if key not in self.values:
            self.values[key] = compute_series(operand, self.df)
        return self.values[key]

    def get(self, value: Operand | float | int) -> pd.Series:
        """The operand's value on every bar (a number becomes a constant series)."""
        if not isinstance(value, Operand):
            return pd.Series(float(value), index=self.df.index)
        return apply_offset_scale(self.series(value), value)


def held_for(hold: pd.Series, bars: int) -> pd.Series:
    """True where `hold` was True on this bar and each of the `bars` - 1 bars before it."""
    if bars <= 1:
        return hold.astype(bool)
    return (hold.astype(int).rolling(bars, min_periods=bars).sum() == bars).astype(bool)


def evaluate_condition(cond: Condition, df: pd.DataFrame, cache: OperandCache | None = None) -> pd.Series:
    """Where the condition fires on each bar's close (see the module docstring for `for_bars`)."""
    cache = cache if cache is not None and cache.df is df else OperandCache(df)
    left = cache.get(cond.left)
    right = cache.get(cond.right)
    known = left.notna() & right.notna()
    if cond.op in _COMPARE:
        return held_for(_COMPARE[cond.op](left, right) & known, cond.for_bars)
    prev_left, prev_right = left.shift(1), right.shift(1)
    known_prev = known & prev_left.notna() & prev_right.notna()
    if cond.op == "crosses_above":
        crossed = (left > right) & (prev_left <= prev_right)
    else:
        crossed = (left < right) & (prev_left >= prev_right)
    crossed = (crossed & known_prev).astype(bool)
    if cond.for_bars <= 1:
        return crossed
    stayed = held_for(_CROSS_HOLDS[cond.op](left, right) & known, cond.for_bars)
    return (crossed.shift(cond.for_bars - 1, fill_value=False).astype(bool) & stayed).astype(bool)


def evaluate_set(cs: ConditionSet, df: pd.DataFrame, cache: OperandCache | None = None) -> pd.Series:
    """The set's conditions combined with all/any; an empty set never fires."""
    cache = cache if cache is not None and cache.df is df else OperandCache(df)
    conds = cs.conditions
    if not conds:
        return pd.Series(False, index=df.index)
    parts = [evaluate_condition(c, df, cache) for c in conds]
    combined = parts[0]
    for part in parts[1:]:
        combined = (combined & part) if cs.mode == "all" else (combined | part)
    return combined.astype(bool)


def compile_side(side: Side | None, df: pd.DataFrame,
                 cache: OperandCache | None = None) -> tuple[pd.Series, pd.Series]:
    """(entries, exits) of one side; a side that is None never fires."""
    if side is None:
        never = pd.Series(False, index=df.index)
        return never, never.copy()
    cache = cache if cache is not None and cache.df is df else OperandCache(df)
    return evaluate_set(side.entry, df, cache), evaluate_set(side.exit, df, cache)


def compile_signals(spec: StrategySpec, df: pd.DataFrame, cache: OperandCache | None = None) -> Signals:
    """Long and short entry and exit signals of the spec on `df`, each side from its own rules.

    A stop-and-reverse spec (short.entry = long.exit, short.exit = long.entry) needs nothing special here:
    its long exit and short entry fire on the same bar, and the engine reverses the position there.
    """
    cache = cache if cache is not None and cache.df is df else OperandCache(df)
    long_entries, long_exits = compile_side(spec.long, df, cache)
    short_entries, short_exits = compile_side(spec.short, df, cache)
    return Signals(long_entries, long_exits, short_entries, short_exits)

"""Compile a StrategySpec's entry and exit conditions into boolean signals, each decided on its bar's close."""

from __future__ import annotations

import operator
from dataclasses import dataclass

import pandas as pd

from reelquant.backtest.indicators import compute_indicator
from reelquant.strategy.spec import Condition, ConditionSet, Indicator, StrategySpec


@dataclass
class Signals:
    """Boolean signals aligned to the bars; True on bar t means "act at bar t+1's open"."""

    long_entries: pd.Series
    long_exits: pd.Series
    short_entries: pd.Series
    short_exits: pd.Series

    def count(self) -> dict[str, int]:
        return {name: int(getattr(self, name).sum())
                for name in ("long_entries", "long_exits", "short_entries", "short_exits")}


_COMPARE = {">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le}


class _Cache:
    """Computes each distinct indicator once per compile, or across compiles on the same bars when shared."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.values: dict[object, pd.Series] = {}

    def get(self, side: Indicator | float | int) -> pd.Series | float:
        if not isinstance(side, Indicator):
            return float(side)
        key = side.key()
        if key not in self.values:
            self.values[key] = compute_indicator(side, self.df)
        return self.values[key]


def evaluate_condition(cond: Condition, df: pd.DataFrame, cache: _Cache | None = None) -> pd.Series:
    """Where the condition holds on each bar's close; False where any input is still warming up."""
    cache = cache or _Cache(df)
    left = cache.get(cond.left)
    right = cache.get(cond.right)
    if not isinstance(left, pd.Series):
        raise TypeError("the left side of a condition is always an indicator")
    right_s = right if isinstance(right, pd.Series) else pd.Series(right, index=df.index)
    known = left.notna() & right_s.notna()
    if cond.op in _COMPARE:
        return (_COMPARE[cond.op](left, right_s) & known).astype(bool)
    prev_left, prev_right = left.shift(1), right_s.shift(1)
    known_prev = known & prev_left.notna() & prev_right.notna()
    if cond.op == "crosses_above":
        crossed = (left > right_s) & (prev_left <= prev_right)
    else:
        crossed = (left < right_s) & (prev_left >= prev_right)
    return (crossed & known_prev).astype(bool)


def evaluate_set(cs: ConditionSet, df: pd.DataFrame, cache: _Cache | None = None) -> pd.Series:
    """The set's conditions combined with all/any; an empty set never fires."""
    cache = cache or _Cache(df)
    conds = cs.conditions
    if not conds:
        return pd.Series(False, index=df.index)
    parts = [evaluate_condition(c, df, cache) for c in conds]
    combined = parts[0]
    for part in parts[1:]:
        combined = (combined & part) if cs.mode == "all" else (combined | part)
    return combined.astype(bool)


def compile_signals(spec: StrategySpec, df: pd.DataFrame, cache: _Cache | None = None) -> Signals:
    """Long/short entry and exit signals of the spec on `df`.

    A long strategy enters on `entry` and leaves on `exit`; a short one sells on `entry`
    and covers on `exit`; long_short takes `entry` as the long entry and `exit` as both the
    long exit and the short entry (so the position flips), covering the short on `entry`.
    """
    cache = cache if cache is not None and cache.df is df else _Cache(df)
    entry = evaluate_set(spec.entry, df, cache)
    exit_ = evaluate_set(spec.exit, df, cache)
    never = pd.Series(False, index=df.index)
    if spec.direction == "long":
        return Signals(entry, exit_, never.copy(), never.copy())
    if spec.direction == "short":
        return Signals(never.copy(), never.copy(), entry, exit_)
    return Signals(entry, exit_, exit_.copy(), entry.copy())

"""Operands on bars: a registry indicator read `offset` bars back and multiplied by `scale`.

The indicator itself (parameters, defaults, aliases, `source`, the computation) lives in the registry,
`reelquant.indicators`; this module only adds what a StrategySpec operand puts on top of it. An offset
reads an earlier bar, so an operand never uses a price later than its own bar.
"""

from __future__ import annotations

import pandas as pd

from reelquant.indicators import compute
from reelquant.strategy.spec import Operand


def compute_series(operand: Operand, df: pd.DataFrame) -> pd.Series:
    """The operand's indicator on every bar of `df`, before offset and scale (NaN during warm-up)."""
    return compute(operand.indicator, operand.params, df)


def apply_offset_scale(series: pd.Series, operand: Operand) -> pd.Series:
    """`series` read `operand.offset` bars back and times `operand.scale`."""
    out = series.shift(operand.offset) if operand.offset else series
    return out * operand.scale if operand.scale != 1.0 else out


def compute_operand(operand: Operand, df: pd.DataFrame) -> pd.Series:
    """The operand's value on every bar of `df`: NaN during warm-up and for the first `offset` bars."""
    return apply_offset_scale(compute_series(operand, df), operand)

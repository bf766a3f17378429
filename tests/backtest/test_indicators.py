"""Indicators against values worked out by hand, their defaults, and that none of them looks ahead."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from reelquant.backtest.indicators import IndicatorError, compute_indicator
from reelquant.strategy.spec import INDICATORS, Indicator

from .builders import frame, ind

NAN = math.nan
LINE = frame([1, 2, 3, 4, 5])
ZIGZAG = frame([10, 11, 10, 12, 11])
BARS = frame(close=[9, 11, 10, 12], high=[10, 12, 11, 13], low=[8, 9, 9, 10], open_=[9, 10, 11, 10])


@pytest.mark.parametrize(
    ("indicator", "df", "expected"),
    [
        (ind("close"), LINE, [1, 2, 3, 4, 5]),
        (ind("high"), BARS, [10, 12, 11, 13]),
        (ind("open"), BARS, [9, 10, 11, 10]),
        (ind("volume"), BARS, [1000] * 4),
        (ind("sma", window=3), LINE, [NAN, NAN, 2, 3, 4]),
        # span 3 -> alpha 0.5, seeded with the first close (adjust=False)
        (ind("ema", window=3), LINE, [1, 1.5, 2.25, 3.125, 4.0625]),
        # Wilder: seed mean of first 2 gains (1, 0) and losses (0, 1), then g += (x - g) / 2
        (ind("rsi", window=2), ZIGZAG, [NAN, NAN, 50, 100 - 100 / 6, 50]),
        (ind("rsi", window=2), LINE, [NAN, NAN, 100, 100, 100]),
        (ind("bb_middle", window=2, std=1), frame([1, 3, 5]), [NAN, 2, 4]),
        (ind("bb_upper", window=2, std=1), frame([1, 3, 5]), [NAN, 3, 5]),
        (ind("bb_lower", window=2, std=2), frame([1, 3, 5]), [NAN, 0, 2]),
        # MACD(1, 3, 3) on 1..5: EMA1 = close, EMA3 = 1, 1.5, 2.25, 3.125, 4.0625
        (ind("macd", fast=1, slow=3, signal=3), LINE, [0, 0.5, 0.75, 0.875, 0.9375]),
        (ind("macd_signal", fast=1, slow=3, signal=3), LINE, [0, 0.25, 0.5, 0.6875, 0.8125]),
        (ind("macd_hist", fast=1, slow=3, signal=3), LINE, [0, 0.25, 0.25, 0.1875, 0.125]),
        # true ranges 2, 3, 2, 3; Wilder(2): 2.5, 2.25, 2.625
        (ind("atr", window=2), BARS, [NAN, 2.5, 2.25, 2.625]),
        (ind("stoch_k", window=2), BARS, [NAN, 75, 100 / 3, 75]),
        (ind("stoch_d", window=2, smooth=2), BARS, [NAN, NAN, (75 + 100 / 3) / 2, (100 / 3 + 75) / 2]),
        (ind("donchian_high", window=2), BARS, [NAN, 12, 12, 13]),
        (ind("donchian_low", window=2), BARS, [NAN, 8, 9, 9]),
        # over the bars before the current one
        (ind("highest_high", window=2), BARS, [NAN, NAN, 12, 12]),
        (ind("lowest_low", window=2), BARS, [NAN, NAN, 8, 9]),
    ],
    ids=lambda v: v.indicator if isinstance(v, Indicator) else "",
)
def test_hand_computed_values(indicator: Indicator, df: pd.DataFrame, expected: list[float]) -> None:
    got = compute_indicator(indicator, df)
    assert got.index.equals(df.index)
    np.testing.assert_allclose(got.to_numpy(), np.asarray(expected, dtype=float), rtol=1e-12, equal_nan=True)


def test_every_spec_indicator_is_implemented(goog: pd.DataFrame) -> None:
    for name in INDICATORS:
        series = compute_indicator(Indicator(indicator=name), goog.iloc[:100])
        assert series.iloc[-1] == series.iloc[-1], f"{name} is still NaN after 100 bars"


@pytest.mark.parametrize(
    ("bare", "explicit"),
    [
        (ind("sma"), ind("sma", window=20)),
        (ind("ema"), ind("ema", window=20)),
        (ind("rsi"), ind("rsi", window=14)),
        (ind("bb_upper"), ind("bb_upper", window=20, std=2)),
        (ind("macd_hist"), ind("macd_hist", fast=12, slow=26, signal=9)),
        (ind("atr"), ind("atr", window=14)),
        (ind("stoch_d"), ind("stoch_d", window=14, smooth=3)),
        (ind("rsi", period=7), ind("rsi", window=7)),
    ],
)
def test_defaults_and_aliases(goog: pd.DataFrame, bare: Indicator, explicit: Indicator) -> None:
    pd.testing.assert_series_equal(compute_indicator(bare, goog), compute_indicator(explicit, goog))
    first_param = next(iter(explicit.params))
    other = ind(bare.indicator, **{first_param: 5})
    assert not compute_indicator(bare, goog).equals(compute_indicator(other, goog))


def test_bad_window_is_a_clear_error(goog: pd.DataFrame) -> None:
    with pytest.raises(IndicatorError, match="whole-number window of at least 1"):
        compute_indicator(ind("sma", window=0), goog)


def test_rsi_stays_in_range_and_breakout_is_possible(goog: pd.DataFrame) -> None:
    rsi = compute_indicator(ind("rsi"), goog).dropna()
    assert rsi.between(0, 100).all() and rsi.min() < 30 and rsi.max() > 70
    breakout = goog["close"] > compute_indicator(ind("highest_high", window=20), goog)
    inside = goog["close"] > compute_indicator(ind("donchian_high", window=20), goog)
    assert breakout.sum() > 20
    assert inside.sum() == 0


@pytest.mark.parametrize("name", INDICATORS)
def test_no_lookahead(goog: pd.DataFrame, name: str) -> None:
    """Changing every bar after t leaves every value at or before t unchanged."""
    df = goog.iloc[:400]
    t = 250
    rng = np.random.default_rng(3)
    changed = df.copy()
    scale = rng.uniform(0.5, 1.5, size=(len(df) - t - 1, 1))
    changed.iloc[t + 1:] = changed.iloc[t + 1:].to_numpy() * scale
    indicator = Indicator(indicator=name)
    before = compute_indicator(indicator, df)
    after = compute_indicator(indicator, changed)
    pd.testing.assert_series_equal(before.iloc[: t + 1], after.iloc[: t + 1])
    assert not before.iloc[t + 1:].equals(after.iloc[t + 1:])

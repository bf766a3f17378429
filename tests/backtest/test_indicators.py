"""Registry indicators against values worked out by hand on a few bars, their parameters and their errors.

The comparison with TA-Lib on real bars, the lookahead checks and the vocabulary checks live in
tests/test_indicators_registry.py; here each number can be followed with pencil and paper.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from reelquant.indicators import IndicatorError, compute, resolve_params

NAN = math.nan


def bars(close: list[float], high: list[float] | None = None, low: list[float] | None = None,
         volume: list[float] | None = None, index: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """Bars from explicit prices: business days unless `index` says otherwise; high/low default to the close."""
    c = np.asarray(close, dtype=float)
    idx = index if index is not None else pd.bdate_range("2020-01-01", periods=len(c), name="date")
    return pd.DataFrame({"open": c, "high": high if high is not None else c, "low": low if low is not None else c,
                         "close": c, "volume": volume if volume is not None else 1000.0}, index=idx).astype(float)


LINE = bars([1, 2, 3, 4, 5])
ZIGZAG = bars([10, 11, 10, 12, 11])
BARS = bars([9, 11, 10, 12], high=[10, 12, 11, 13], low=[8, 9, 9, 10])
BARS_VOLUME = bars([9, 11, 10, 12], high=[10, 12, 11, 13], low=[8, 9, 9, 10], volume=[100, 200, 300, 400])
# Up for three bars, a reversal bar, a jump back up: exercises the parabolic SAR and the Supertrend.
TREND = bars([9, 10.5, 11.5, 9.5, 7.5, 13.5, 14.5], high=[10, 11, 12, 11, 9, 14, 15], low=[8, 9, 10, 9, 7, 10, 13])
PSAR_BARS = bars([9, 11, 10, 12, 7.5], high=[10, 12, 11, 13, 11], low=[8, 9, 9, 10, 7])

# Typical prices of BARS: 9, 32/3, 10, 35/3. EMA(2) of its closes (alpha 2/3): 9, 31/3, 91/9, 307/27.
EMA2 = [9, 31 / 3, 91 / 9, 307 / 27]
# True ranges of BARS 2, 3, 2, 3; Wilder ATR(2): -, 2.5, 2.25, 2.625.
ATR2 = [NAN, 2.5, 2.25, 2.625]

CASES = [
    ("close", {}, LINE, [1, 2, 3, 4, 5]),
    ("high", {}, BARS, [10, 12, 11, 13]),
    ("volume", {}, BARS_VOLUME, [100, 200, 300, 400]),
    ("sma", {"window": 3}, LINE, [NAN, NAN, 2, 3, 4]),
    ("sma", {"window": 2, "source": "volume"}, BARS_VOLUME, [NAN, 150, 250, 350]),
    ("sma", {"window": 2, "source": "hl2"}, BARS, [NAN, 9.75, 10.25, 10.75]),
    # span 3 -> alpha 0.5, seeded with the first close (adjust=False)
    ("ema", {"window": 3}, LINE, [1, 1.5, 2.25, 3.125, 4.0625]),
    # weights 1, 2, 3 over 6: (1 + 4 + 9) / 6, (2 + 6 + 12) / 6, (3 + 8 + 15) / 6
    ("wma", {"window": 3}, LINE, [NAN, NAN, 14 / 6, 20 / 6, 26 / 6]),
    # Wilder: seed mean of first 2 gains (1, 0) and losses (0, 1), then g += (x - g) / 2
    ("rsi", {"window": 2}, ZIGZAG, [NAN, NAN, 50, 100 - 100 / 6, 50]),
    ("rsi", {"window": 2}, LINE, [NAN, NAN, 100, 100, 100]),
    ("bb_middle", {"window": 2, "std": 1}, bars([1, 3, 5]), [NAN, 2, 4]),
    ("bb_upper", {"window": 2, "std": 1}, bars([1, 3, 5]), [NAN, 3, 5]),
    ("bb_lower", {"window": 2, "std": 2}, bars([1, 3, 5]), [NAN, 0, 2]),
    # MACD(1, 3, 3) on 1..5: EMA1 = close, EMA3 = 1, 1.5, 2.25, 3.125, 4.0625
    ("macd", {"fast": 1, "slow": 3, "signal": 3}, LINE, [0, 0.5, 0.75, 0.875, 0.9375]),
    ("macd_signal", {"fast": 1, "slow": 3, "signal": 3}, LINE, [0, 0.25, 0.5, 0.6875, 0.8125]),
    ("macd_hist", {"fast": 1, "slow": 3, "signal": 3}, LINE, [0, 0.25, 0.25, 0.1875, 0.125]),
    ("atr", {"window": 2}, BARS, ATR2),
    ("stoch_k", {"window": 2}, BARS, [NAN, 75, 100 / 3, 75]),
    ("stoch_d", {"window": 2, "smooth": 2}, BARS, [NAN, NAN, (75 + 100 / 3) / 2, (100 / 3 + 75) / 2]),
    ("williams_r", {"window": 2}, BARS, [NAN, -25, -200 / 3, -25]),
    ("donchian_high", {"window": 2}, BARS, [NAN, 12, 12, 13]),
    ("donchian_low", {"window": 2}, BARS, [NAN, 8, 9, 9]),
    # over the bars before the current one
    ("highest_high", {"window": 2}, BARS, [NAN, NAN, 12, 12]),
    ("lowest_low", {"window": 2}, BARS, [NAN, NAN, 8, 9]),
    # +DM 2, 0, 2 and -DM 0, 0, 0 from bar 1; true ranges 3, 2, 3. Wilder(2) seeds on bar 2: +DM 1 then 1.5,
    # TR 2.5 then 2.75. DX is 100 on bars 2 and 3, so ADX(2) is 100 on bar 3.
    ("plus_di", {"window": 2}, BARS, [NAN, NAN, 40, 100 * 1.5 / 2.75]),
    ("minus_di", {"window": 2}, BARS, [NAN, NAN, 0, 0]),
    ("adx", {"window": 2}, BARS, [NAN, NAN, NAN, 100]),
    # Typical prices 9, 32/3, 10 (mean 89/9, mean deviation 16/27) and 32/3, 10, 35/3 (mean 97/9, 16/27):
    # (10 - 89/9) / (0.015 * 16/27) = 12.5 and (35/3 - 97/9) / (0.015 * 16/27) = 100.
    ("cci", {"window": 3}, BARS, [NAN, NAN, 12.5, 100]),
    ("roc", {"window": 2}, LINE, [NAN, NAN, 200, 100, 100 * 2 / 3]),
    # Typical price rises, falls, rises: flows 1000 x (32/3) and 1000 x 10 on bar 2, 1000 x (35/3) and 1000 x 10 on 3.
    ("mfi", {"window": 2}, BARS, [NAN, NAN, 100 * 32 / 62, 100 * 35 / 65]),
    ("obv", {}, BARS_VOLUME, [100, 300, 0, 400]),
    ("keltner_middle", {"window": 2, "mult": 1}, BARS, EMA2),
    ("keltner_upper", {"window": 2, "mult": 1}, BARS, [e + a for e, a in zip(EMA2, ATR2, strict=True)]),
    ("keltner_lower", {"window": 2, "mult": 1.5}, BARS, [e - 1.5 * a for e, a in zip(EMA2, ATR2, strict=True)]),
    # Long from bar 1 (its higher high outweighs its lower low): SAR = low[0] = 8, extreme point 12;
    # 8 + 0.02 (12 - 8) = 8.08; 8.08 + 0.02 (12 - 8.08) = 8.1584; bar 3 makes a new high (ep 13, af 0.04);
    # bar 4's low 7 crosses the SAR, which becomes the long trend's extreme point, 13.
    ("psar", {"step": 0.02, "max": 0.2}, PSAR_BARS, [NAN, 8, 8.08, 8.1584, 13]),
    # Bar 1's lower low outweighs its higher high: short, SAR = high[0].
    ("psar", {}, bars([8, 8], high=[10, 9.5], low=[8, 7]), [NAN, 10]),
    # ATR(2) of TREND: 2, 2, 2.25, 2.375, 4.4375, 3.21875 from bar 1; hl2 10, 11, 10, 8, 12, 14.
    # Bar 1 starts down on the upper band 10 + 2 = 12; it holds at 12 (the new bands 13 and 12.25 are looser),
    # tightens to 8 + 2.375 = 10.375; bar 5 closes at 13.5 above it: up, on the lower band 12 - 4.4375 (the old
    # lower band 9 was broken by bar 4's close, so it starts afresh); bar 6 raises it to 14 - 3.21875.
    ("supertrend", {"window": 2, "mult": 1}, TREND, [NAN, 12, 12, 12, 10.375, 7.5625, 10.78125]),
]


@pytest.mark.parametrize(("name", "params", "df", "expected"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_hand_computed_values(name: str, params: dict, df: pd.DataFrame, expected: list[float]) -> None:
    got = compute(name, params, df)
    assert got.index.equals(df.index) and got.name == name
    np.testing.assert_allclose(got.to_numpy(), np.asarray(expected, dtype=float), rtol=1e-12, equal_nan=True)


def test_session_vwap_resets_each_day() -> None:
    index = pd.DatetimeIndex(["2024-03-04 09:00", "2024-03-04 10:00", "2024-03-04 11:00",
                              "2024-03-05 09:00", "2024-03-05 10:00"])
    df = bars([10, 12, 11, 20, 22], volume=[100, 300, 0, 0, 200], index=index)
    # (10 x 100 + 12 x 300) / 400 = 11.5; a bar without volume leaves it; a session with no volume yet has none.
    np.testing.assert_allclose(compute("vwap", None, df).to_numpy(), [10, 11.5, 11.5, NAN, 22], equal_nan=True)


def test_vwap_on_daily_bars_is_a_clear_error() -> None:
    with pytest.raises(IndicatorError, match=r"^vwap resets every session and needs intraday bars .*drop vwap\.$"):
        compute("vwap", None, LINE)


def test_defaults_and_aliases() -> None:
    assert resolve_params("keltner_upper", None) == {"window": 20, "mult": 2}
    assert resolve_params("psar", {"af": 0.03, "max_af": 0.3}) == {"step": 0.03, "max": 0.3}
    assert resolve_params("stoch_d", {"k": 5, "d": 2}) == {"window": 5, "smooth": 2}
    assert resolve_params("supertrend", {"length": 7, "factor": 2}) == {"window": 7, "mult": 2}
    assert resolve_params("sma", {"period": 50, "source": "close"}) == {"window": 50}
    wave = bars([10 + 3 * math.sin(i / 3) + i / 10 for i in range(60)])
    default = compute("cci", None, wave)
    assert default.notna().sum() == 41
    pd.testing.assert_series_equal(default, compute("cci", {"window": 20}, wave))
    assert not default.equals(compute("cci", {"window": 14}, wave))


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("sma", {"window": 0}, "whole-number window of at least 1"),
        ("wma", {"window": 2.5}, "whole-number window of at least 1"),
        ("psar", {"step": 0.3, "max": 0.2}, r"step \(0.3\) is larger than its max"),
        ("obv", {"source": "high"}, "takes no source"),
        ("adx", {"lookback_days": 3}, "has no parameter 'lookback_days'"),
    ],
)
def test_bad_parameters_are_clear_errors(name: str, params: dict, message: str) -> None:
    with pytest.raises(IndicatorError, match=message):
        compute(name, params, BARS)


def test_flat_windows_are_neutral() -> None:
    """No range, deviation or flow to measure: each oscillator gives its documented neutral value."""
    flat = bars([5.0] * 6)
    assert compute("williams_r", {"window": 3}, flat).iloc[-1] == -50
    assert compute("stoch_k", {"window": 3}, flat).iloc[-1] == 50
    assert compute("cci", {"window": 3}, flat).iloc[-1] == 0
    assert compute("mfi", {"window": 3}, flat).iloc[-1] == 50
    assert compute("plus_di", {"window": 3}, flat).iloc[-1] == 0
    assert compute("adx", {"window": 2}, flat).iloc[-1] == 0

"""Standard technical indicators, one Series per StrategySpec indicator, each using only bars up to its own."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from reelquant.strategy.spec import INDICATORS, Indicator

DEFAULTS: dict[str, dict[str, float]] = {
    "sma": {"window": 20},
    "ema": {"window": 20},
    "rsi": {"window": 14},
    "macd": {"fast": 12, "slow": 26, "signal": 9},
    "macd_signal": {"fast": 12, "slow": 26, "signal": 9},
    "macd_hist": {"fast": 12, "slow": 26, "signal": 9},
    "bb_upper": {"window": 20, "std": 2},
    "bb_middle": {"window": 20, "std": 2},
    "bb_lower": {"window": 20, "std": 2},
    "donchian_high": {"window": 20},
    "donchian_low": {"window": 20},
    "atr": {"window": 14},
    "stoch_k": {"window": 14, "smooth": 3},
    "stoch_d": {"window": 14, "smooth": 3},
    "highest_high": {"window": 20},
    "lowest_low": {"window": 20},
}
# Names lessons and extractors commonly use for the same parameter.
_PARAM_ALIASES = {"period": "window", "length": "window", "n": "window", "k": "std", "num_std": "std",
                  "d": "smooth", "signal_window": "signal", "fast_window": "fast", "slow_window": "slow"}


class IndicatorError(ValueError):
    """An indicator that cannot be computed from the given parameters."""


def resolved_params(ind: Indicator) -> dict[str, float]:
    """The indicator's parameters with aliases mapped and defaults filled in."""
    params = dict(DEFAULTS.get(ind.indicator, {}))
    for key, value in ind.params.items():
        params[_PARAM_ALIASES.get(key, key)] = value
    return params


def _window(params: Mapping[str, float], key: str, name: str) -> int:
    value = params[key]
    if value != int(value) or int(value) < 1:
        raise IndicatorError(f"{name} needs a whole-number {key} of at least 1, got {value}: fix the spec.")
    return int(value)


def wilder(series: pd.Series, window: int) -> pd.Series:
    """Wilder's smoothing: seeded with the simple mean of the first `window` values, then alpha = 1/window."""
    values = series.to_numpy(dtype=float)
    out = np.full(len(values), np.nan)
    valid = np.flatnonzero(~np.isnan(values))
    if len(valid) >= window:
        start = valid[0]
        seed_end = start + window
        if not np.isnan(values[start:seed_end]).any():
            out[seed_end - 1] = values[start:seed_end].mean()
            for i in range(seed_end, len(values)):
                out[i] = out[i - 1] + (values[i] - out[i - 1]) / window
    return pd.Series(out, index=series.index)


def _rsi(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    n = _window(p, "window", "rsi")
    delta = df["close"].diff()
    gain = wilder(delta.clip(lower=0), n)
    loss = wilder((-delta).clip(lower=0), n)
    with np.errstate(divide="ignore", invalid="ignore"):
        rsi = 100 - 100 / (1 + gain / loss)
    # A window with no losses is maximally overbought; with neither gains nor losses it is neutral.
    rsi = rsi.where(loss != 0, 100.0).where(~((gain == 0) & (loss == 0)), 50.0)
    return rsi.where(gain.notna())


def _ema(close: pd.Series, n: int) -> pd.Series:
    return close.ewm(span=n, adjust=False).mean()


def _macd_parts(df: pd.DataFrame, p: Mapping[str, float]) -> tuple[pd.Series, pd.Series, pd.Series]:
    fast, slow, sig = (_window(p, k, "macd") for k in ("fast", "slow", "signal"))
    line = _ema(df["close"], fast) - _ema(df["close"], slow)
    signal = _ema(line, sig)
    return line, signal, line - signal


def _bollinger(df: pd.DataFrame, p: Mapping[str, float], part: str) -> pd.Series:
    n = _window(p, "window", "bollinger")
    mid = df["close"].rolling(n).mean()
    if part == "middle":
        return mid
    width = float(p["std"]) * df["close"].rolling(n).std(ddof=0)
    return mid + width if part == "upper" else mid - width


def _true_range(df: pd.DataFrame) -> pd.Series:
    prev_close = df["close"].shift(1)
    ranges = pd.concat([df["high"] - df["low"], (df["high"] - prev_close).abs(), (df["low"] - prev_close).abs()],
                       axis=1)
    return ranges.max(axis=1, skipna=True)


def _atr(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    return wilder(_true_range(df), _window(p, "window", "atr"))


def _stoch_k(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    n = _window(p, "window", "stoch")
    low = df["low"].rolling(n).min()
    high = df["high"].rolling(n).max()
    span = high - low
    k = 100 * (df["close"] - low) / span.where(span != 0)
    # A flat range has no position within it: call it the middle.
    return k.where(span != 0, 50.0).where(span.notna())


def _stoch_d(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    return _stoch_k(df, p).rolling(_window(p, "smooth", "stoch")).mean()


_Fn = Callable[[pd.DataFrame, Mapping[str, float]], pd.Series]
_FUNCS: dict[str, _Fn] = {
    "close": lambda df, p: df["close"],
    "open": lambda df, p: df["open"],
    "high": lambda df, p: df["high"],
    "low": lambda df, p: df["low"],
    "volume": lambda df, p: df["volume"],
    "sma": lambda df, p: df["close"].rolling(_window(p, "window", "sma")).mean(),
    "ema": lambda df, p: _ema(df["close"], _window(p, "window", "ema")),
    "rsi": _rsi,
    "macd": lambda df, p: _macd_parts(df, p)[0],
    "macd_signal": lambda df, p: _macd_parts(df, p)[1],
    "macd_hist": lambda df, p: _macd_parts(df, p)[2],
    "bb_upper": lambda df, p: _bollinger(df, p, "upper"),
    "bb_middle": lambda df, p: _bollinger(df, p, "middle"),
    "bb_lower": lambda df, p: _bollinger(df, p, "lower"),
    "donchian_high": lambda df, p: df["high"].rolling(_window(p, "window", "donchian_high")).max(),
    "donchian_low": lambda df, p: df["low"].rolling(_window(p, "window", "donchian_low")).min(),
    "atr": _atr,
    "stoch_k": _stoch_k,
    "stoch_d": _stoch_d,
    # Over the bars before this one: a close above the prior N-bar high is a breakout.
    "highest_high": lambda df, p: df["high"].shift(1).rolling(_window(p, "window", "highest_high")).max(),
    "lowest_low": lambda df, p: df["low"].shift(1).rolling(_window(p, "window", "lowest_low")).min(),
}


def compute_indicator(ind: Indicator, df: pd.DataFrame) -> pd.Series:
    """The indicator's value on every bar of `df` (NaN during warm-up), named after the indicator."""
    if ind.indicator not in _FUNCS:
        raise IndicatorError(f"Unknown indicator {ind.indicator!r}: use one of {', '.join(INDICATORS)}.")
    series = _FUNCS[ind.indicator](df, resolved_params(ind)).astype(float)
    series.name = ind.indicator
    return series

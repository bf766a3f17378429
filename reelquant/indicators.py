"""The indicator registry: every indicator a StrategySpec may name, declared once.

A declaration holds the indicator's parameters (names, defaults, aliases, whole number or not), how it is
computed from OHLCV bars (only bars up to its own), its scale, and the words lessons use for it. The spec
schema, the rule extractor's vocabulary, the speech model's vocabulary, the signal model's features, the
robustness grid and search's names are all derived from `REGISTRY`; nothing else lists indicators.

Deliberate choices where implementations differ. tests/test_indicators_registry.py compares every indicator
with TA-Lib on the bundled GOOG bars after warm-up and checks each difference below by hand:
- SMA, WMA (weights 1..N, newest heaviest), Bollinger bands (population standard deviation, ddof 0, as
  Bollinger and TA-Lib use), stochastic, Donchian, CCI, ROC, MFI, OBV and the parabolic SAR equal TA-Lib's
  wherever both have a value.
- EMA (and MACD, built from EMAs) starts from the first value (pandas `adjust=False`), where TA-Lib seeds
  with the mean of the first N values and returns NaN before: equal after warm-up (the seed's weight decays
  as (1 - 2/(N+1))^t), and an EMA has a value on every bar.
- RSI, ATR, ADX and +DI/-DI use Wilder's smoothing seeded with the simple mean of the first N values, as
  Wilder's book does. ATR counts the first bar's high-low range as a true range (TA-Lib skips it), so it
  starts a bar earlier and agrees after warm-up.
  +DI/-DI/ADX smooth movement and true range from bar 1 on (the first bar with a previous one), with the
  full N-bar sum as seed, where TA-Lib seeds with N-1 bars; the values agree once the seed has decayed
  ((1 - 1/N)^t). DX is 0 when +DI and -DI are both 0.
- Williams %R runs from 0 (close at the N-bar high) to -100 (at the low), TA-Lib's sign; it is exactly
  stochastic %K minus 100, so a flat window gives -50 as %K gives 50 (TA-Lib gives 0). Stochastic %D is
  the `smooth`-bar mean of %K.
- CCI: typical price (H+L+C)/3 against its N-bar SMA, over 0.015 times the mean absolute deviation from
  that SMA; 0 when the window is flat.
- ROC is in percent: 100 * (close / close N bars ago - 1).
- MFI with no money flow either way over the window is 50 (neutral, as RSI); TA-Lib gives 0.
- OBV starts from the first bar's volume, as TA-Lib's does; rules compare OBV with itself, so only its
  differences matter.
- Keltner channels: middle = EMA(window) of close, the same series as the `ema` indicator, so "above the
  Keltner middle" and "above the 20 EMA" are one rule; bands = middle ± mult × ATR(window) with the
  registry's Wilder ATR, the ATR lessons mean ("Keltner 20 / 2 × ATR"), and the one stops use. This is the
  modern (Raschke) channel, not Keltner's 1960 SMA of typical price ± the average daily range.
- Parabolic SAR follows Wilder as TA-Lib computes it, including the first trend (short when bar 1's lower
  low outweighs its higher high, else long) and the clamp to the last two bars' range; the value at bar t
  is the stop in force during bar t (on a reversal bar, the extreme point of the trend that ended).
- Supertrend (TA-Lib has none) is TradingView's `ta.supertrend`: bands hl2 ± mult × Wilder ATR(window)
  that only tighten while the trend holds; the line is the lower band in an uptrend and the upper band in
  a downtrend, and the first bar with an ATR starts in a downtrend.
- VWAP is the session VWAP of the typical price, reset at each calendar day of the bars' timestamps (their
  own time zone); it needs intraday bars and refuses daily or weekly ones.
- `highest_high` / `lowest_low` cover the N bars *before* the current one, so a close above them is a
  breakout; `donchian_high` / `donchian_low` include the current bar, as the channel is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

PRICE_FIELDS: tuple[str, ...] = ("close", "open", "high", "low", "volume")
# Series an average or channel may be computed on (`source` parameter); hl2 is (high + low) / 2.
SOURCES: tuple[str, ...] = ("close", "open", "high", "low", "volume", "hl2")


class Scale(StrEnum):
    """The range an indicator's values live in: decides which numbers a rule may compare it with."""

    PRICE = "price"  # in the instrument's price units (averages, bands, channels, stops)
    OSCILLATOR = "0..100"  # RSI, stochastic, MFI, ADX, DI
    NEGATIVE_OSCILLATOR = "0..-100"  # Williams %R
    UNBOUNDED = "unbounded"  # MACD, CCI, ROC, OBV
    VOLUME = "volume"


class IndicatorError(ValueError):
    """An indicator that cannot be computed from the given parameters."""


@dataclass(frozen=True)
class Param:
    """One parameter of an indicator."""

    name: str
    default: float | int
    integer: bool = True
    aliases: tuple[str, ...] = ()
    minimum: float = 1


Compute = Callable[[pd.DataFrame, Mapping[str, float]], pd.Series]


@dataclass(frozen=True)
class IndicatorDef:
    """One indicator: parameters, computation, scale and the words lessons use for it.

    `words` name this exact series ("upper band"); `family_words` name the family it belongs to
    ("bollinger bands") and are shared by the family's members; a member is chosen by what the
    lesson says about it ("upper", "signal line"). `needs_context` lists those of `words` that name
    the indicator only where the lesson's context says so ("signal" after a MACD, "average" after
    "the 50-day"): the rule reader reads them in context, keyword spotting leaves them out.
    """

    name: str
    title: str
    params: tuple[Param, ...]
    scale: Scale
    compute: Compute
    words: tuple[str, ...] = ()
    family: str | None = None
    family_words: tuple[str, ...] = ()
    takes_source: bool = False
    intraday_only: bool = False
    misheard: tuple[str, ...] = field(default=())
    needs_context: tuple[str, ...] = ()

    @property
    def defaults(self) -> dict[str, float | int]:
        return {p.name: p.default for p in self.params}

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def all_words(self) -> tuple[str, ...]:
        """Every phrase that names this indicator or its family, written and misheard."""
        return tuple(dict.fromkeys((*self.words, *self.family_words, *self.misheard)))


# ---------------------------------------------------------------- computations (no lookahead)


def _int(params: Mapping[str, float], key: str, name: str) -> int:
    value = params[key]
    if float(value) != int(value) or int(value) < 1:
        raise IndicatorError(f"{name} needs a whole-number {key} of at least 1, got {value}: fix the spec.")
    return int(value)


def source_series(df: pd.DataFrame, params: Mapping[str, float | str]) -> pd.Series:
    """The series an average or channel is computed on (close unless `source` says otherwise)."""
    source = str(params.get("source") or "close")
    if source == "hl2":
        return (df["high"] + df["low"]) / 2
    if source not in df.columns:
        raise IndicatorError(f"source {source!r} is not a bar field: use one of {', '.join(SOURCES)}.")
    return df[source].astype(float)


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


def _ema_of(series: pd.Series, n: int) -> pd.Series:
    return series.ewm(span=n, adjust=False).mean()


def _sma(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    return source_series(df, p).rolling(_int(p, "window", "sma")).mean()


def _ema(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    return _ema_of(source_series(df, p), _int(p, "window", "ema"))


def _rsi(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    n = _int(p, "window", "rsi")
    delta = df["close"].diff()
    gain = wilder(delta.clip(lower=0), n)
    loss = wilder((-delta).clip(lower=0), n)
    with np.errstate(divide="ignore", invalid="ignore"):
        rsi = 100 - 100 / (1 + gain / loss)
    # A window with no losses is maximally overbought; with neither gains nor losses it is neutral.
    rsi = rsi.where(loss != 0, 100.0).where(~((gain == 0) & (loss == 0)), 50.0)
    return rsi.where(gain.notna())


def _macd_parts(df: pd.DataFrame, p: Mapping[str, float]) -> tuple[pd.Series, pd.Series, pd.Series]:
    fast, slow, sig = (_int(p, k, "macd") for k in ("fast", "slow", "signal"))
    line = _ema_of(df["close"], fast) - _ema_of(df["close"], slow)
    signal = _ema_of(line, sig)
    return line, signal, line - signal


def _bollinger(df: pd.DataFrame, p: Mapping[str, float], part: str) -> pd.Series:
    n = _int(p, "window", "bollinger")
    src = source_series(df, p)
    mid = src.rolling(n).mean()
    if part == "middle":
        return mid
    width = float(p["std"]) * src.rolling(n).std(ddof=0)
    return mid + width if part == "upper" else mid - width


def true_range(df: pd.DataFrame) -> pd.Series:
    prev_close = df["close"].shift(1)
    ranges = pd.concat([df["high"] - df["low"], (df["high"] - prev_close).abs(), (df["low"] - prev_close).abs()],
                       axis=1)
    return ranges.max(axis=1, skipna=True)


def _atr(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    return wilder(true_range(df), _int(p, "window", "atr"))


def _stoch_k(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    n = _int(p, "window", "stoch")
    low = df["low"].rolling(n).min()
    high = df["high"].rolling(n).max()
    span = high - low
    # The ratio first: 100 * x / x can round past 100, a ratio of 1 cannot.
    k = 100 * ((df["close"] - low) / span.where(span != 0))
    # A flat range has no position within it: call it the middle.
    return k.where(span != 0, 50.0).where(span.notna())


def _stoch_d(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    return _stoch_k(df, p).rolling(_int(p, "smooth", "stoch")).mean()


def _wma(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    n = _int(p, "window", "wma")
    values = source_series(df, p).to_numpy(dtype=float)
    out = np.full(len(values), np.nan)
    if len(values) >= n:
        weights = np.arange(1, n + 1, dtype=float)  # the newest bar weighs n, the oldest 1
        windows = np.lib.stride_tricks.sliding_window_view(values, n)
        out[n - 1:] = windows @ weights / weights.sum()
    return pd.Series(out, index=df.index)


def _directional(df: pd.DataFrame, n: int) -> tuple[pd.Series, pd.Series]:
    """+DI and -DI: Wilder-smoothed directional movement over Wilder-smoothed true range, in percent."""
    up = df["high"].diff()
    down = -df["low"].diff()
    plus_dm = up.where((up > down) & (up > 0), 0.0).where(up.notna())
    minus_dm = down.where((down > up) & (down > 0), 0.0).where(down.notna())
    # The first bar has no previous close, so its true range is left out as its movement is: every
    # smoothed sum starts on bar 1, as Wilder's and TA-Lib's do.
    tr = true_range(df).where(up.notna())
    s_tr = wilder(tr, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        plus_di = 100 * wilder(plus_dm, n) / s_tr
        minus_di = 100 * wilder(minus_dm, n) / s_tr
    # No range at all over the window: no directional movement either (TA-Lib says 0 too).
    flat = s_tr == 0
    return plus_di.where(~flat, 0.0).where(s_tr.notna()), minus_di.where(~flat, 0.0).where(s_tr.notna())


def _plus_di(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    return _directional(df, _int(p, "window", "plus_di"))[0]


def _minus_di(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    return _directional(df, _int(p, "window", "minus_di"))[1]


def _adx(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    n = _int(p, "window", "adx")
    plus_di, minus_di = _directional(df, n)
    total = plus_di + minus_di
    with np.errstate(divide="ignore", invalid="ignore"):
        dx = 100 * (plus_di - minus_di).abs() / total
    dx = dx.where(total != 0, 0.0).where(total.notna())
    return wilder(dx, n)


def _typical_price(df: pd.DataFrame) -> pd.Series:
    return (df["high"] + df["low"] + df["close"]) / 3


def _cci(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    n = _int(p, "window", "cci")
    tp = _typical_price(df).to_numpy(dtype=float)
    out = np.full(len(tp), np.nan)
    if len(tp) >= n:
        windows = np.lib.stride_tricks.sliding_window_view(tp, n)
        mean = windows.mean(axis=1)
        mad = np.abs(windows - mean[:, None]).mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            cci = (tp[n - 1:] - mean) / (0.015 * mad)
        # Every typical price equal: no deviation to measure, the price sits on its mean.
        out[n - 1:] = np.where(mad == 0, 0.0, cci)
    return pd.Series(out, index=df.index)


def _williams_r(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    # %R is %K moved down by 100: the close's place in the window's range, 0 at the high, -100 at the low.
    return _stoch_k(df, {"window": _int(p, "window", "williams_r")}) - 100


def _roc(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    n = _int(p, "window", "roc")
    before = df["close"].astype(float).shift(n)
    return 100 * (df["close"] - before) / before.where(before != 0)


def _mfi(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    n = _int(p, "window", "mfi")
    tp = _typical_price(df)
    flow = tp * df["volume"]
    change = tp.diff()
    positive = flow.where(change > 0, 0.0).where(change.notna()).rolling(n).sum()
    negative = flow.where(change < 0, 0.0).where(change.notna()).rolling(n).sum()
    total = positive + negative
    with np.errstate(divide="ignore", invalid="ignore"):
        mfi = 100 * positive / total
    # No money flowed either way: neutral, as RSI is without gains or losses.
    return mfi.where(total != 0, 50.0).where(total.notna())


def _obv(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    volume = df["volume"].astype(float)
    signed = np.sign(df["close"].astype(float).diff()).fillna(0.0) * volume
    # The first bar counts its whole volume, as TA-Lib's does: only differences of OBV carry meaning.
    if len(signed):
        signed.iloc[0] = volume.iloc[0]
    return signed.cumsum()


def _keltner(df: pd.DataFrame, p: Mapping[str, float], part: str) -> pd.Series:
    n = _int(p, "window", "keltner")
    middle = _ema_of(df["close"].astype(float), n)
    if part == "middle":
        return middle
    width = float(p["mult"]) * wilder(true_range(df), n)
    return middle + width if part == "upper" else middle - width


def _psar(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    """Wilder's parabolic SAR as TA-Lib computes it: the value at bar t is the stop in force during bar t."""
    step, cap = float(p["step"]), float(p["max"])
    if step > cap:
        raise IndicatorError(f"psar's step ({step}) is larger than its max ({cap}): give a step at most the max.")
    high = df["high"].to_numpy(dtype=float)
    low = df["low"].to_numpy(dtype=float)
    out = np.full(len(high), np.nan)
    if len(high) < 2:
        return pd.Series(out, index=df.index)
    # The first trend is short when bar 1 made a lower low larger than any higher high, else long.
    down_move, up_move = low[0] - low[1], high[1] - high[0]
    is_long = not (down_move > 0 and down_move > up_move)
    sar, ep = (low[0], high[1]) if is_long else (high[0], low[1])
    af = step
    prev_high, prev_low = high[1], low[1]  # the first bar is compared with itself, as TA-Lib does
    for t in range(1, len(high)):
        if t > 1:
            prev_high, prev_low = high[t - 1], low[t - 1]
        if is_long:
            if low[t] <= sar:  # stopped out: reverse to short at the extreme of the long trend
                is_long, sar = False, max(ep, prev_high, high[t])
                out[t] = sar
                af, ep = step, low[t]
                sar = max(sar + af * (ep - sar), prev_high, high[t])
            else:
                out[t] = sar
                if high[t] > ep:
                    ep, af = high[t], min(af + step, cap)
                sar = min(sar + af * (ep - sar), prev_low, low[t])
        else:
            if high[t] >= sar:
                is_long, sar = True, min(ep, prev_low, low[t])
                out[t] = sar
                af, ep = step, high[t]
                sar = min(sar + af * (ep - sar), prev_low, low[t])
            else:
                out[t] = sar
                if low[t] < ep:
                    ep, af = low[t], min(af + step, cap)
                sar = max(sar + af * (ep - sar), prev_high, high[t])
    return pd.Series(out, index=df.index)


def _supertrend(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    """The Supertrend line as TradingView's `ta.supertrend` draws it (hl2 ± mult × Wilder ATR)."""
    n = _int(p, "window", "supertrend")
    mult = float(p["mult"])
    atr = wilder(true_range(df), n).to_numpy()
    hl2 = ((df["high"] + df["low"]) / 2).to_numpy(dtype=float)
    close = df["close"].to_numpy(dtype=float)
    out = np.full(len(close), np.nan)
    upper = lower = np.nan
    down = True  # the first bar with an ATR starts in a downtrend, as TradingView's does
    for t in np.flatnonzero(~np.isnan(atr)):
        basic_upper, basic_lower = hl2[t] + mult * atr[t], hl2[t] - mult * atr[t]
        if np.isnan(upper):
            upper, lower = basic_upper, basic_lower
        else:
            # A band only tightens while the trend holds; a close beyond it lets it start afresh.
            upper = basic_upper if basic_upper < upper or close[t - 1] > upper else upper
            lower = basic_lower if basic_lower > lower or close[t - 1] < lower else lower
            down = (close[t] <= upper) if down else (close[t] < lower)
        out[t] = upper if down else lower
    return pd.Series(out, index=df.index)


def _is_intraday(index: pd.Index) -> bool:
    if not isinstance(index, pd.DatetimeIndex):
        raise IndicatorError("vwap needs bars indexed by timestamp: load the bars with their date-times.")
    if len(index) > 1:
        return bool(pd.Series(index.normalize()).duplicated().any())
    return len(index) == 1 and index[0] != index[0].normalize()


def _vwap(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    if not _is_intraday(df.index):
        raise IndicatorError("vwap resets every session and needs intraday bars (such as 1h or 15m), not daily "
                             "or weekly ones: test this rule on intraday data or drop vwap.")
    day = df.index.normalize()
    tp = _typical_price(df)
    volume = df["volume"].astype(float)
    cum_flow = (tp * volume).groupby(day).cumsum()
    cum_volume = volume.groupby(day).cumsum()
    # Before the first traded share of a session there is no average price yet.
    return cum_flow / cum_volume.where(cum_volume > 0)


# ---------------------------------------------------------------- declarations

_W = Param("window", 20, aliases=("period", "length", "n", "lookback", "days", "bars"))
_SOURCE_NOTE = "source"


def _window(default: int) -> Param:
    return Param("window", default, aliases=_W.aliases)


_MACD = (Param("fast", 12, aliases=("fast_window",)), Param("slow", 26, aliases=("slow_window",)),
         Param("signal", 9, aliases=("signal_window",)))
_BB = (_window(20), Param("std", 2, integer=False, aliases=("k", "num_std", "stddev", "dev"), minimum=0.1))
_KELTNER = (_window(20), Param("mult", 2, integer=False, aliases=("multiplier", "atr_mult"), minimum=0.1))
# Lessons and the scorer call the stochastic look-back "k" and its smoothing "d" (from %K and %D).
_STOCH = (Param("window", 14, aliases=(*_W.aliases, "k")), Param("smooth", 3, aliases=("d", "k_smooth")))
_PSAR = (Param("step", 0.02, integer=False, aliases=("af", "acceleration"), minimum=0.001),
         Param("max", 0.2, integer=False, aliases=("max_af", "maximum"), minimum=0.01))
_SUPERTREND = (_window(10), Param("mult", 3, integer=False, aliases=("multiplier", "factor"), minimum=0.1))

_BOLLINGER_WORDS = ("bollinger bands", "bollinger band", "bollinger", "bollingers", "bolinger bands", "bolinger",
                    "bowlinger bands", "bowlinger", "bollinger bans", "bowling her bands", "bb",
                    "bollinger's")
_MACD_WORDS = ("macd", "m a c d", "mac d", "mack d", "mac dee", "mack dee", "mac-d",
               "moving average convergence divergence")
_KELTNER_WORDS = ("keltner channels", "keltner channel", "keltner bands", "keltner", "kelt ner", "kelter channel",
                  "kelter channels", "keltner's", "celtner channel")
_DONCHIAN_WORDS = ("donchian channels", "donchian channel", "donchian", "don chian", "dawn chian",
                   "don chin channel")
_STOCH_WORDS = ("stochastic oscillator", "stochastics", "stochastic", "stoch", "stock astic", "stow castic",
                "slow stochastic", "full stochastic", "fast stochastic")
_DMI_WORDS = ("directional movement index", "directional movement", "dmi", "d m i", "directional indicators",
              "directional indicator")
# The name of each family as a whole (its members have their own titles).
FAMILY_TITLES: dict[str, str] = {"macd": "MACD", "bb": "Bollinger bands", "donchian": "Donchian channel",
                                 "stoch": "Stochastic oscillator", "dmi": "Directional movement index",
                                 "keltner": "Keltner channels"}


def _price(name: str) -> IndicatorDef:
    words = {"close": ("close", "closing price", "closes", "closed", "price", "the stock", "last price"),
             "open": ("open", "opening price", "the open"),
             "high": ("high", "the high", "high of the day", "daily high", "intraday high"),
             "low": ("low", "the low", "low of the day", "daily low", "intraday low"),
             "volume": ("volume", "trading volume", "shares traded", "volume bar", "volume bars")}[name]
    return IndicatorDef(name, name.capitalize(), (), Scale.VOLUME if name == "volume" else Scale.PRICE,
                        lambda df, p, _n=name: df[_n].astype(float), words=words)


_DECLARATIONS: tuple[IndicatorDef, ...] = (
    *(_price(n) for n in PRICE_FIELDS),
    IndicatorDef("sma", "Simple moving average", (_window(20),), Scale.PRICE, _sma, takes_source=True,
                 words=("simple moving average", "simple moving averages", "sma", "s m a", "simple average",
                        "simple ma", "moving average", "moving averages", "ma", "average", "day average",
                        "day line", "simple moving avg", "moving avg"),
                 misheard=("movie average", "moving averaged"), needs_context=("ma", "average")),
    IndicatorDef("ema", "Exponential moving average", (_window(20),), Scale.PRICE, _ema, takes_source=True,
                 words=("exponential moving average", "exponential moving averages", "ema", "emas", "e m a",
                        "exponential average", "exponential ma", "exponential", "exponential moving avg"),
                 misheard=("e. m. a.", "emma", "ema's"), needs_context=("exponential",)),
    IndicatorDef("wma", "Weighted moving average", (_window(20),), Scale.PRICE, _wma,
                 takes_source=True,
                 words=("weighted moving average", "weighted moving averages", "wma", "w m a", "weighted average",
                        "linearly weighted moving average", "linear weighted moving average", "weighted ma",
                        "lwma"),
                 misheard=("w. m. a.", "weighed moving average")),
    IndicatorDef("rsi", "Relative strength index", (_window(14),), Scale.OSCILLATOR, _rsi,
                 words=("rsi", "r s i", "relative strength index", "relative strength indicator",
                        "relative strength"),
                 misheard=("r.s.i.", "our s i", "are s i", "our si", "arse i")),
    IndicatorDef("macd", "MACD line", _MACD, Scale.UNBOUNDED, lambda df, p: _macd_parts(df, p)[0],
                 family="macd", family_words=_MACD_WORDS, words=("macd line", "mac d line", "the macd line")),
    IndicatorDef("macd_signal", "MACD signal line", _MACD, Scale.UNBOUNDED, lambda df, p: _macd_parts(df, p)[1],
                 family="macd", family_words=_MACD_WORDS,
                 words=("signal line", "macd signal line", "macd signal", "signal"), needs_context=("signal",)),
    IndicatorDef("macd_hist", "MACD histogram", _MACD, Scale.UNBOUNDED, lambda df, p: _macd_parts(df, p)[2],
                 family="macd", family_words=_MACD_WORDS,
                 words=("macd histogram", "histogram", "histogram bar", "histogram bars", "the histogram",
                        "m a c d histogram")),
    IndicatorDef("bb_upper", "Upper Bollinger band", _BB, Scale.PRICE, lambda df, p: _bollinger(df, p, "upper"),
                 family="bb", family_words=_BOLLINGER_WORDS, takes_source=True,
                 words=("upper bollinger band", "upper band", "top band", "upper bands", "top bollinger band")),
    IndicatorDef("bb_middle", "Middle Bollinger band", _BB, Scale.PRICE,
                 lambda df, p: _bollinger(df, p, "middle"), family="bb", family_words=_BOLLINGER_WORDS,
                 takes_source=True, words=("middle bollinger band", "middle band", "mid band", "basis line",
                                           "middle line", "basis"), needs_context=("middle line", "basis")),
    IndicatorDef("bb_lower", "Lower Bollinger band", _BB, Scale.PRICE, lambda df, p: _bollinger(df, p, "lower"),
                 family="bb", family_words=_BOLLINGER_WORDS, takes_source=True,
                 words=("lower bollinger band", "lower band", "bottom band", "lower bands",
                        "bottom bollinger band")),
    IndicatorDef("donchian_high", "Donchian channel high", (_window(20),), Scale.PRICE,
                 lambda df, p: df["high"].rolling(_int(p, "window", "donchian_high")).max(),
                 family="donchian", family_words=_DONCHIAN_WORDS,
                 words=("upper donchian channel", "donchian high", "top of the donchian channel",
                        "upper donchian band")),
    IndicatorDef("donchian_low", "Donchian channel low", (_window(20),), Scale.PRICE,
                 lambda df, p: df["low"].rolling(_int(p, "window", "donchian_low")).min(),
                 family="donchian", family_words=_DONCHIAN_WORDS,
                 words=("lower donchian channel", "donchian low", "bottom of the donchian channel",
                        "lower donchian band")),
    # Over the bars before this one: a close above the prior N-bar high is a breakout.
    IndicatorDef("highest_high", "Highest high of the prior N bars", (_window(20),), Scale.PRICE,
                 lambda df, p: df["high"].shift(1).rolling(_int(p, "window", "highest_high")).max(),
                 words=("highest high", "highest highs", "day high", "bar high", "week high", "new high",
                        "highest price", "high of the last", "breakout level"),
                 needs_context=("day high", "bar high", "week high", "new high", "high of the last", "breakout level")),
    IndicatorDef("lowest_low", "Lowest low of the prior N bars", (_window(20),), Scale.PRICE,
                 lambda df, p: df["low"].shift(1).rolling(_int(p, "window", "lowest_low")).min(),
                 words=("lowest low", "lowest lows", "day low", "bar low", "week low", "new low", "lowest price",
                        "low of the last"),
                 needs_context=("day low", "bar low", "week low", "new low", "low of the last")),
    IndicatorDef("atr", "Average true range", (_window(14),), Scale.PRICE, _atr,
                 words=("average true range", "average true ranges", "atr", "a t r", "true range"),
                 misheard=("a. t. r.",)),
    IndicatorDef("stoch_k", "Stochastic %K", _STOCH, Scale.OSCILLATOR, _stoch_k, family="stoch",
                 family_words=_STOCH_WORDS, words=("%k", "percent k", "k line", "fast line", "the k"),
                 needs_context=("fast line", "the k")),
    IndicatorDef("stoch_d", "Stochastic %D", _STOCH, Scale.OSCILLATOR, _stoch_d, family="stoch",
                 family_words=_STOCH_WORDS, words=("%d", "percent d", "d line", "slow line", "the d"),
                 needs_context=("slow line", "the d")),
    IndicatorDef("adx", "Average directional index", (_window(14),), Scale.OSCILLATOR, _adx,
                 words=("adx", "a d x", "average directional index", "average directional movement index",
                        "adx line"),
                 misheard=("a. d. x.", "a.d.x.", "adx's"),
                 family="dmi", family_words=_DMI_WORDS),
    IndicatorDef("plus_di", "Plus directional indicator", (_window(14),), Scale.OSCILLATOR, _plus_di,
                 words=("+di", "plus di", "positive di", "plus d i", "di plus", "d i plus", "di+", "+ di",
                        "positive directional indicator", "plus directional indicator",
                        "positive directional movement", "plus directional movement", "plus dmi", "dmi plus"),
                 misheard=("plus d. i.", "d. i. plus", "plus dee eye"),
                 family="dmi", family_words=_DMI_WORDS),
    IndicatorDef("minus_di", "Minus directional indicator", (_window(14),), Scale.OSCILLATOR, _minus_di,
                 words=("-di", "minus di", "negative di", "minus d i", "di minus", "d i minus", "di-", "- di",
                        "negative directional indicator", "minus directional indicator",
                        "negative directional movement", "minus directional movement", "minus dmi", "dmi minus"),
                 misheard=("minus d. i.", "d. i. minus", "minus dee eye"),
                 family="dmi", family_words=_DMI_WORDS),
    IndicatorDef("cci", "Commodity channel index", (_window(20),), Scale.UNBOUNDED, _cci,
                 words=("cci", "c c i", "commodity channel index", "commodity channel", "commodity channel indicator"),
                 misheard=("c. c. i.", "c.c.i.", "see see i", "commodity channels index")),
    IndicatorDef("williams_r", "Williams %R", (_window(14),), Scale.NEGATIVE_OSCILLATOR, _williams_r,
                 words=("williams %r", "williams percent r", "williams r", "william's r", "williams' r",
                        "williams", "percent r", "%r", "william percent r", "williams percentage r",
                        "williams %r oscillator", "williams percent range"),
                 misheard=("william sr", "williams are", "williams our", "william's are", "williams percent are",
                           "william percent are"),
                 needs_context=("williams",)),
    IndicatorDef("roc", "Rate of change (percent)", (_window(10),), Scale.UNBOUNDED, _roc,
                 words=("rate of change", "roc", "r o c", "price rate of change", "rate-of-change",
                        "percent rate of change"),
                 misheard=("r. o. c.", "r.o.c.", "rate of chains")),
    IndicatorDef("mfi", "Money flow index", (_window(14),), Scale.OSCILLATOR, _mfi,
                 words=("money flow index", "mfi", "m f i", "money flow", "money flow indicator",
                        "money-flow index"),
                 misheard=("m. f. i.", "m.f.i.", "many flow index", "money flows index")),
    IndicatorDef("obv", "On-balance volume", (), Scale.UNBOUNDED, _obv,
                 words=("on balance volume", "on-balance volume", "obv", "o b v", "obv line"),
                 misheard=("o. b. v.", "o.b.v.", "on balanced volume", "own balance volume", "on the balance volume")),
    IndicatorDef("keltner_upper", "Upper Keltner channel", _KELTNER, Scale.PRICE,
                 lambda df, p: _keltner(df, p, "upper"), family="keltner", family_words=_KELTNER_WORDS,
                 words=("upper keltner channel", "upper keltner band", "upper keltner", "top keltner band",
                        "top of the keltner channel", "keltner upper band", "upper keltner line")),
    IndicatorDef("keltner_middle", "Middle Keltner line", _KELTNER, Scale.PRICE,
                 lambda df, p: _keltner(df, p, "middle"), family="keltner", family_words=_KELTNER_WORDS,
                 words=("middle keltner line", "keltner middle line", "keltner midline", "middle keltner",
                        "keltner middle", "keltner center line", "keltner centre line", "middle of the keltner channel",
                        "keltner basis")),
    IndicatorDef("keltner_lower", "Lower Keltner channel", _KELTNER, Scale.PRICE,
                 lambda df, p: _keltner(df, p, "lower"), family="keltner", family_words=_KELTNER_WORDS,
                 words=("lower keltner channel", "lower keltner band", "lower keltner", "bottom keltner band",
                        "bottom of the keltner channel", "keltner lower band", "lower keltner line")),
    IndicatorDef("psar", "Parabolic SAR", _PSAR, Scale.PRICE, _psar,
                 words=("parabolic sar", "parabolic s a r", "parabolic stop and reverse", "psar", "p sar", "sar",
                        "parabolic", "parabolic dots", "sar dots", "parabolic sar dots", "parabolic stop",
                        "parabolic time price system"),
                 misheard=("parabolic czar", "parabolic star", "parabolic s. a. r.", "parabolic sa r",
                           "para bolic", "parabolic tsar", "p. sar"),
                 needs_context=("parabolic",)),
    IndicatorDef("supertrend", "Supertrend", _SUPERTREND, Scale.PRICE, _supertrend,
                 words=("supertrend", "super trend", "supertrend line", "super trend line", "super-trend",
                        "supertrend indicator", "super trend indicator"),
                 misheard=("supper trend", "super trent", "super tren")),
    IndicatorDef("vwap", "Volume-weighted average price (session)", (), Scale.PRICE, _vwap,
                 intraday_only=True,
                 words=("vwap", "v wap", "v w a p", "volume weighted average price", "volume-weighted average price",
                        "session vwap", "daily vwap", "volume weighted average"),
                 misheard=("v. w. a. p.", "v.w.a.p.", "vee wap", "v whap")),
)

REGISTRY: dict[str, IndicatorDef] = {d.name: d for d in _DECLARATIONS}
INDICATOR_NAMES: tuple[str, ...] = tuple(REGISTRY)
# Which settings lessons call "standard" or "default": the registry defaults of each family.
DEFAULT_SETTING_WORDS: tuple[str, ...] = ("standard", "default", "defaults", "classic", "usual", "normal",
                                          "regular", "stock settings", "out of the box")


def get(name: str) -> IndicatorDef:
    """The declaration of `name`, or a clear error naming the known indicators."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise IndicatorError(f"Unknown indicator {name!r}: use one of {', '.join(INDICATOR_NAMES)}.") from None


def canonical_param(name: str, key: str) -> str:
    """The registry's name for a parameter of `name` given under any of its aliases."""
    if key == "source":
        return key
    for p in get(name).params:
        if key == p.name or key in p.aliases:
            return p.name
    raise IndicatorError(f"{name} has no parameter {key!r}: use {', '.join(get(name).param_names) or 'none'}.")


def resolve_params(name: str, params: Mapping[str, float | int | str] | None) -> dict[str, float | int | str]:
    """Parameters with aliases mapped to the registry's names, defaults filled in and `source: close` dropped."""
    decl = get(name)
    out: dict[str, float | int | str] = dict(decl.defaults)
    for key, value in (params or {}).items():
        canon = canonical_param(name, key)
        if canon == "source":
            if not decl.takes_source:
                raise IndicatorError(f"{name} is computed on fixed bar fields and takes no source: drop it.")
            if value not in SOURCES:
                raise IndicatorError(f"source {value!r} is not a bar field: use one of {', '.join(SOURCES)}.")
            if value != "close":
                out["source"] = str(value)
            continue
        out[canon] = value
    return out


def compute(name: str, params: Mapping[str, float | int | str] | None, df: pd.DataFrame) -> pd.Series:
    """The indicator's value on every bar of `df` (NaN during warm-up), named after the indicator."""
    decl = get(name)
    series = decl.compute(df, resolve_params(name, params)).astype(float)
    series.name = name
    return series

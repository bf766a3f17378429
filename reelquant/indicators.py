"""The indicator registry: every indicator a StrategySpec may name, declared once.

A declaration holds the indicator's parameters (names, defaults, aliases, whole number or not), how it is
computed from OHLCV bars (only bars up to its own), its scale, and the words lessons use for it. The spec
schema, the rule extractor's vocabulary, the speech model's vocabulary, the signal model's features, the
robustness grid and search's names are all derived from `REGISTRY`; nothing else lists indicators.

Deliberate choices where implementations differ (tests compare each indicator with a reference library):
- RSI, ATR, ADX and +DI/-DI use Wilder's smoothing seeded with a simple mean (as Wilder and TA-Lib do).
- Bollinger bands use the population standard deviation (ddof 0), as Bollinger and TA-Lib do.
- `highest_high` / `lowest_low` cover the N bars *before* the current one, so a close above them is a
  breakout; `donchian_high` / `donchian_low` include the current bar, as the channel is drawn.
- Williams %R runs from 0 to -100; stochastic %D is the `smooth`-bar mean of %K.
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
    lesson says about it ("upper", "signal line"). `default_words` are settings lessons call standard.
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
    k = 100 * (df["close"] - low) / span.where(span != 0)
    # A flat range has no position within it: call it the middle.
    return k.where(span != 0, 50.0).where(span.notna())


def _stoch_d(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
    return _stoch_k(df, p).rolling(_int(p, "smooth", "stoch")).mean()


def _not_yet(name: str) -> Compute:
    def compute(df: pd.DataFrame, p: Mapping[str, float]) -> pd.Series:
        raise IndicatorError(f"{name} cannot be computed yet.")

    return compute


# ---------------------------------------------------------------- declarations

_W = Param("window", 20, aliases=("period", "length", "n", "lookback", "days", "bars"))
_SOURCE_NOTE = "source"


def _window(default: int) -> Param:
    return Param("window", default, aliases=_W.aliases)


_MACD = (Param("fast", 12, aliases=("fast_window",)), Param("slow", 26, aliases=("slow_window",)),
         Param("signal", 9, aliases=("signal_window",)))
_BB = (_window(20), Param("std", 2, integer=False, aliases=("k", "num_std", "stddev", "dev"), minimum=0.1))
_KELTNER = (_window(20), Param("mult", 2, integer=False, aliases=("multiplier", "atr_mult"), minimum=0.1))
_STOCH = (_window(14), Param("smooth", 3, aliases=("d", "k_smooth")))
_PSAR = (Param("step", 0.02, integer=False, aliases=("af", "acceleration"), minimum=0.001),
         Param("max", 0.2, integer=False, aliases=("max_af", "maximum"), minimum=0.01))
_SUPERTREND = (_window(10), Param("mult", 3, integer=False, aliases=("multiplier", "factor"), minimum=0.1))

_BOLLINGER_WORDS = ("bollinger bands", "bollinger band", "bollinger", "bollingers", "bolinger bands", "bolinger",
                    "bowlinger bands", "bowlinger", "bollinger bans", "bowling her bands", "bb")
_MACD_WORDS = ("macd", "m a c d", "mac d", "mack d", "mac dee", "mack dee", "mac-d",
               "moving average convergence divergence")
_KELTNER_WORDS = ("keltner channels", "keltner channel", "keltner bands", "keltner", "kelt ner", "kelter channel")
_DONCHIAN_WORDS = ("donchian channels", "donchian channel", "donchian", "don chian", "dawn chian",
                   "don chin channel")
_STOCH_WORDS = ("stochastic oscillator", "stochastics", "stochastic", "stoch", "stock astic", "stow castic",
                "slow stochastic", "full stochastic")
_DMI_WORDS = ("directional movement index", "directional movement", "dmi", "directional indicators",
              "directional indicator")


def _price(name: str) -> IndicatorDef:
    words = {"close": ("close", "closing price", "closes", "closed", "price", "the stock", "last price"),
             "open": ("open", "opening price", "the open"),
             "high": ("high", "the high", "high of the day", "daily high", "intraday high"),
             "low": ("low", "the low", "low of the day", "daily low", "intraday low"),
             "volume": ("volume", "trading volume", "shares traded", "volume bar")}[name]
    return IndicatorDef(name, name.capitalize(), (), Scale.VOLUME if name == "volume" else Scale.PRICE,
                        lambda df, p, _n=name: df[_n].astype(float), words=words)


_DECLARATIONS: tuple[IndicatorDef, ...] = (
    *(_price(n) for n in PRICE_FIELDS),
    IndicatorDef("sma", "Simple moving average", (_window(20),), Scale.PRICE, _sma, takes_source=True,
                 words=("simple moving average", "simple moving averages", "sma", "s m a", "simple average",
                        "simple ma", "moving average", "moving averages", "ma", "average", "day average",
                        "day line"),
                 misheard=("movie average", "moving averaged")),
    IndicatorDef("ema", "Exponential moving average", (_window(20),), Scale.PRICE, _ema, takes_source=True,
                 words=("exponential moving average", "exponential moving averages", "ema", "emas", "e m a",
                        "exponential average", "exponential ma", "exponential"),
                 misheard=("e. m. a.", "emma", "ema's")),
    IndicatorDef("wma", "Weighted moving average", (_window(20),), Scale.PRICE, _not_yet("wma"),
                 takes_source=True,
                 words=("weighted moving average", "weighted moving averages", "wma", "w m a", "weighted average",
                        "linearly weighted moving average", "linear weighted moving average")),
    IndicatorDef("rsi", "Relative strength index", (_window(14),), Scale.OSCILLATOR, _rsi,
                 words=("rsi", "r s i", "relative strength index", "relative strength indicator",
                        "relative strength"),
                 misheard=("r.s.i.", "our s i", "are s i", "our si", "arse i")),
    IndicatorDef("macd", "MACD line", _MACD, Scale.UNBOUNDED, lambda df, p: _macd_parts(df, p)[0],
                 family="macd", family_words=_MACD_WORDS, words=("macd line", "mac d line", "the macd line")),
    IndicatorDef("macd_signal", "MACD signal line", _MACD, Scale.UNBOUNDED, lambda df, p: _macd_parts(df, p)[1],
                 family="macd", family_words=_MACD_WORDS,
                 words=("signal line", "macd signal line", "macd signal", "signal")),
    IndicatorDef("macd_hist", "MACD histogram", _MACD, Scale.UNBOUNDED, lambda df, p: _macd_parts(df, p)[2],
                 family="macd", family_words=_MACD_WORDS,
                 words=("macd histogram", "histogram", "histogram bar", "histogram bars", "the histogram")),
    IndicatorDef("bb_upper", "Upper Bollinger band", _BB, Scale.PRICE, lambda df, p: _bollinger(df, p, "upper"),
                 family="bb", family_words=_BOLLINGER_WORDS, takes_source=True,
                 words=("upper bollinger band", "upper band", "top band", "upper bands", "top bollinger band")),
    IndicatorDef("bb_middle", "Middle Bollinger band", _BB, Scale.PRICE,
                 lambda df, p: _bollinger(df, p, "middle"), family="bb", family_words=_BOLLINGER_WORDS,
                 takes_source=True, words=("middle bollinger band", "middle band", "mid band", "basis line",
                                           "middle line", "basis")),
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
                        "highest price", "high of the last", "breakout level")),
    IndicatorDef("lowest_low", "Lowest low of the prior N bars", (_window(20),), Scale.PRICE,
                 lambda df, p: df["low"].shift(1).rolling(_int(p, "window", "lowest_low")).min(),
                 words=("lowest low", "lowest lows", "day low", "bar low", "week low", "new low", "lowest price",
                        "low of the last")),
    IndicatorDef("atr", "Average true range", (_window(14),), Scale.PRICE, _atr,
                 words=("average true range", "average true ranges", "atr", "a t r", "true range"),
                 misheard=("a. t. r.",)),
    IndicatorDef("stoch_k", "Stochastic %K", _STOCH, Scale.OSCILLATOR, _stoch_k, family="stoch",
                 family_words=_STOCH_WORDS, words=("%k", "percent k", "k line", "fast line", "the k")),
    IndicatorDef("stoch_d", "Stochastic %D", _STOCH, Scale.OSCILLATOR, _stoch_d, family="stoch",
                 family_words=_STOCH_WORDS, words=("%d", "percent d", "d line", "slow line", "the d")),
    IndicatorDef("adx", "Average directional index", (_window(14),), Scale.OSCILLATOR, _not_yet("adx"),
                 words=("adx", "a d x", "average directional index", "average directional movement index"),
                 family="dmi", family_words=_DMI_WORDS),
    IndicatorDef("plus_di", "Plus directional indicator", (_window(14),), Scale.OSCILLATOR, _not_yet("plus_di"),
                 words=("+di", "plus di", "positive di", "plus d i", "di plus", "positive directional indicator",
                        "plus directional indicator"),
                 family="dmi", family_words=_DMI_WORDS),
    IndicatorDef("minus_di", "Minus directional indicator", (_window(14),), Scale.OSCILLATOR,
                 _not_yet("minus_di"),
                 words=("-di", "minus di", "negative di", "minus d i", "di minus", "negative directional indicator",
                        "minus directional indicator"),
                 family="dmi", family_words=_DMI_WORDS),
    IndicatorDef("cci", "Commodity channel index", (_window(20),), Scale.UNBOUNDED, _not_yet("cci"),
                 words=("cci", "c c i", "commodity channel index", "commodity channel")),
    IndicatorDef("williams_r", "Williams %R", (_window(14),), Scale.NEGATIVE_OSCILLATOR, _not_yet("williams_r"),
                 words=("williams %r", "williams percent r", "williams r", "william's r", "williams' r",
                        "williams", "percent r", "%r"),
                 misheard=("william sr", "williams are")),
    IndicatorDef("roc", "Rate of change (percent)", (_window(10),), Scale.UNBOUNDED, _not_yet("roc"),
                 words=("rate of change", "roc", "r o c", "price rate of change")),
    IndicatorDef("mfi", "Money flow index", (_window(14),), Scale.OSCILLATOR, _not_yet("mfi"),
                 words=("money flow index", "mfi", "m f i", "money flow")),
    IndicatorDef("obv", "On-balance volume", (), Scale.UNBOUNDED, _not_yet("obv"),
                 words=("on balance volume", "on-balance volume", "obv", "o b v")),
    IndicatorDef("keltner_upper", "Upper Keltner channel", _KELTNER, Scale.PRICE, _not_yet("keltner_upper"),
                 family="keltner", family_words=_KELTNER_WORDS,
                 words=("upper keltner channel", "upper keltner band", "upper keltner", "top keltner band")),
    IndicatorDef("keltner_middle", "Middle Keltner line", _KELTNER, Scale.PRICE, _not_yet("keltner_middle"),
                 family="keltner", family_words=_KELTNER_WORDS,
                 words=("middle keltner line", "keltner middle line", "keltner midline", "middle keltner")),
    IndicatorDef("keltner_lower", "Lower Keltner channel", _KELTNER, Scale.PRICE, _not_yet("keltner_lower"),
                 family="keltner", family_words=_KELTNER_WORDS,
                 words=("lower keltner channel", "lower keltner band", "lower keltner", "bottom keltner band")),
    IndicatorDef("psar", "Parabolic SAR", _PSAR, Scale.PRICE, _not_yet("psar"),
                 words=("parabolic sar", "parabolic s a r", "parabolic stop and reverse", "psar", "sar",
                        "parabolic", "parabolic dots", "sar dots"),
                 misheard=("parabolic czar", "parabolic star")),
    IndicatorDef("supertrend", "Supertrend", _SUPERTREND, Scale.PRICE, _not_yet("supertrend"),
                 words=("supertrend", "super trend", "supertrend line", "super trend line")),
    IndicatorDef("vwap", "Volume-weighted average price (session)", (), Scale.PRICE, _not_yet("vwap"),
                 intraday_only=True,
                 words=("vwap", "v wap", "v w a p", "volume weighted average price", "volume-weighted average price")),
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

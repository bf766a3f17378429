"""The indicator registry against TA-Lib on real bars, its documented departures, lookahead, defaults and words.

TA-Lib (dev extra, BSD) is only an oracle here. Every registry indicator is either compared with TA-Lib
(`ORACLE`) or listed in `NO_TALIB` with the reason and checked by hand below, so a new declaration without a
reference check fails `test_every_indicator_has_a_reference_check`.
"""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import talib

from reelquant import indicators as ind
from reelquant.backtest.data import bundled_sample_path
from reelquant.indicators import INDICATOR_NAMES, REGISTRY, IndicatorError, compute

from .text.lessons import REFERENCE_SCORER, require

GOOG_CSV = Path(ind.__file__).resolve().parent / "data" / "GOOG.csv"
# Past this bar every seed difference (EMA, Wilder sums) has decayed below 1e-9 of the value.
WARM_UP = 400


def _bars(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, index_col=0, parse_dates=True)
    df.columns = [c.lower() for c in df.columns]
    return df[["open", "high", "low", "close", "volume"]].astype(float)


@pytest.fixture(scope="module")
def goog() -> pd.DataFrame:
    return _bars(GOOG_CSV)


@pytest.fixture(scope="module")
def eurusd() -> pd.DataFrame:
    """The bundled hourly EURUSD bars: the intraday sample for VWAP."""
    return _bars(bundled_sample_path("EURUSD"))


# (high, low, close, volume, open)
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
Reference = Callable[[dict, Arrays], np.ndarray]


def _shift(values: np.ndarray) -> np.ndarray:
    return np.r_[np.nan, values[:-1]]


# name -> TA-Lib's value for the same resolved params.
ORACLE: dict[str, Reference] = {
    "close": lambda p, a: a[2], "open": lambda p, a: a[4], "high": lambda p, a: a[0], "low": lambda p, a: a[1],
    "volume": lambda p, a: a[3],
    "sma": lambda p, a: talib.SMA(a[2], p["window"]),
    "ema": lambda p, a: talib.EMA(a[2], p["window"]),
    "wma": lambda p, a: talib.WMA(a[2], p["window"]),
    "rsi": lambda p, a: talib.RSI(a[2], p["window"]),
    "macd": lambda p, a: talib.MACD(a[2], p["fast"], p["slow"], p["signal"])[0],
    "macd_signal": lambda p, a: talib.MACD(a[2], p["fast"], p["slow"], p["signal"])[1],
    "macd_hist": lambda p, a: talib.MACD(a[2], p["fast"], p["slow"], p["signal"])[2],
    "bb_upper": lambda p, a: talib.BBANDS(a[2], p["window"], p["std"], p["std"])[0],
    "bb_middle": lambda p, a: talib.BBANDS(a[2], p["window"], p["std"], p["std"])[1],
    "bb_lower": lambda p, a: talib.BBANDS(a[2], p["window"], p["std"], p["std"])[2],
    "donchian_high": lambda p, a: talib.MAX(a[0], p["window"]),
    "donchian_low": lambda p, a: talib.MIN(a[1], p["window"]),
    "highest_high": lambda p, a: _shift(talib.MAX(a[0], p["window"])),
    "lowest_low": lambda p, a: _shift(talib.MIN(a[1], p["window"])),
    "atr": lambda p, a: talib.ATR(a[0], a[1], a[2], p["window"]),
    # %K unsmoothed (slowk period 1), %D its simple mean.
    "stoch_k": lambda p, a: talib.STOCH(a[0], a[1], a[2], p["window"], 1, 0, p["smooth"], 0)[0],
    "stoch_d": lambda p, a: talib.STOCH(a[0], a[1], a[2], p["window"], 1, 0, p["smooth"], 0)[1],
    "adx": lambda p, a: talib.ADX(a[0], a[1], a[2], p["window"]),
    "plus_di": lambda p, a: talib.PLUS_DI(a[0], a[1], a[2], p["window"]),
    "minus_di": lambda p, a: talib.MINUS_DI(a[0], a[1], a[2], p["window"]),
    "cci": lambda p, a: talib.CCI(a[0], a[1], a[2], p["window"]),
    "williams_r": lambda p, a: talib.WILLR(a[0], a[1], a[2], p["window"]),
    "roc": lambda p, a: talib.ROC(a[2], p["window"]),
    "mfi": lambda p, a: talib.MFI(a[0], a[1], a[2], a[3], p["window"]),
    "obv": lambda p, a: talib.OBV(a[2], a[3]),
    # Keltner = EMA(window) ± mult × ATR(window), from TA-Lib's own EMA and ATR.
    "keltner_upper": lambda p, a: talib.EMA(a[2], p["window"]) + p["mult"] * talib.ATR(a[0], a[1], a[2], p["window"]),
    "keltner_middle": lambda p, a: talib.EMA(a[2], p["window"]),
    "keltner_lower": lambda p, a: talib.EMA(a[2], p["window"]) - p["mult"] * talib.ATR(a[0], a[1], a[2], p["window"]),
    "psar": lambda p, a: talib.SAR(a[0], a[1], p["step"], p["max"]),
}
# Indicators TA-Lib does not have, each checked by hand in this file and in tests/backtest/test_indicators.py.
NO_TALIB = {"supertrend": "TA-Lib has no Supertrend", "vwap": "TA-Lib has no session VWAP"}
# Equal to TA-Lib wherever both have a value (the module docstring's first point); the rest after warm-up.
EXACT_FROM_FIRST_VALUE = {"sma", "wma", "rsi", "bb_upper", "bb_middle", "bb_lower", "donchian_high", "donchian_low",
                          "highest_high", "lowest_low", "stoch_k", "stoch_d", "cci", "williams_r", "roc", "mfi",
                          "obv", "psar"}
# A second setting for every indicator with parameters, so that each parameter reaches the computation.
OTHER_SETTINGS: dict[str, dict[str, float]] = {
    "sma": {"window": 7}, "ema": {"window": 9}, "wma": {"window": 10}, "rsi": {"window": 2},
    "macd": {"fast": 5, "slow": 30, "signal": 5}, "macd_signal": {"fast": 5, "slow": 30, "signal": 5},
    "macd_hist": {"fast": 5, "slow": 30, "signal": 5},
    "bb_upper": {"window": 10, "std": 1.5}, "bb_middle": {"window": 10, "std": 1.5},
    "bb_lower": {"window": 10, "std": 1.5}, "donchian_high": {"window": 55}, "donchian_low": {"window": 55},
    "highest_high": {"window": 7}, "lowest_low": {"window": 7}, "atr": {"window": 20},
    "stoch_k": {"window": 5, "smooth": 3}, "stoch_d": {"window": 5, "smooth": 5}, "adx": {"window": 7},
    "plus_di": {"window": 7}, "minus_di": {"window": 7}, "cci": {"window": 14}, "williams_r": {"window": 10},
    "roc": {"window": 12}, "mfi": {"window": 10},
    "keltner_upper": {"window": 10, "mult": 1.5}, "keltner_middle": {"window": 10, "mult": 1.5},
    "keltner_lower": {"window": 10, "mult": 1.5}, "psar": {"step": 0.01, "max": 0.1},
    "supertrend": {"window": 7, "mult": 2},
}
CASES = [(name, None) for name in ORACLE] + [(name, p) for name, p in OTHER_SETTINGS.items() if name in ORACLE]


def _arrays(df: pd.DataFrame) -> Arrays:
    return (df["high"].to_numpy(), df["low"].to_numpy(), df["close"].to_numpy(), df["volume"].to_numpy(),
            df["open"].to_numpy())


def test_every_indicator_has_a_reference_check() -> None:
    assert set(ORACLE) | set(NO_TALIB) == set(INDICATOR_NAMES)
    assert not set(ORACLE) & set(NO_TALIB)
    with_params = {n for n in INDICATOR_NAMES if REGISTRY[n].params}
    assert with_params == set(OTHER_SETTINGS), "every indicator with parameters needs a second setting"


@pytest.mark.parametrize(("name", "params"), CASES, ids=lambda v: v if isinstance(v, str) else str(v or "defaults"))
def test_matches_talib_after_warm_up(goog: pd.DataFrame, name: str, params: dict | None) -> None:
    got = compute(name, params, goog).to_numpy()
    ref = np.asarray(ORACLE[name](ind.resolve_params(name, params), _arrays(goog)), dtype=float)
    assert not np.isnan(got[WARM_UP:]).any()
    np.testing.assert_allclose(got[WARM_UP:], ref[WARM_UP:], rtol=1e-9, atol=1e-9)
    if name in EXACT_FROM_FIRST_VALUE:
        both = ~np.isnan(got) & ~np.isnan(ref)
        assert both.sum() > len(got) - 60
        np.testing.assert_allclose(got[both], ref[both], rtol=1e-10, atol=1e-10)


def test_other_settings_change_the_values(goog: pd.DataFrame) -> None:
    for name, params in OTHER_SETTINGS.items():
        default, other = compute(name, None, goog), compute(name, params, goog)
        assert not np.allclose(default.iloc[WARM_UP:], other.iloc[WARM_UP:]), name


# ------------------------------------------------------------------ the documented departures from TA-Lib


def test_ema_starts_on_the_first_bar_where_talib_waits_for_its_seed(goog: pd.DataFrame) -> None:
    ema = compute("ema", {"window": 20}, goog)
    assert ema.iloc[0] == goog["close"].iloc[0]
    assert np.isnan(talib.EMA(goog["close"].to_numpy(), 20)[18])
    assert compute("macd", None, goog).notna().all()


def test_atr_counts_the_first_bars_range(goog: pd.DataFrame) -> None:
    tr = np.r_[goog["high"].iloc[0] - goog["low"].iloc[0],
               talib.TRANGE(*(goog[c].to_numpy() for c in ("high", "low", "close")))[1:14]]
    atr = compute("atr", {"window": 14}, goog)
    assert atr.iloc[:13].isna().all()
    assert atr.iloc[13] == pytest.approx(tr.mean(), rel=1e-12)


def test_directional_indicators_seed_with_wilders_full_sum(goog: pd.DataFrame) -> None:
    n = 14
    high, low, close = (goog[c].to_numpy() for c in ("high", "low", "close"))
    up, down = np.diff(high), -np.diff(low)
    plus_dm = np.where((up > down) & (up > 0), up, 0.0)
    minus_dm = np.where((down > up) & (down > 0), down, 0.0)
    tr = np.maximum.reduce([high[1:] - low[1:], np.abs(high[1:] - close[:-1]), np.abs(low[1:] - close[:-1])])
    plus, minus = compute("plus_di", {"window": n}, goog), compute("minus_di", {"window": n}, goog)
    assert plus.iloc[:n].isna().all() and minus.iloc[:n].isna().all()
    # First value on bar n: the sums of bars 1..n (TA-Lib seeds with bars 1..n-1).
    assert plus.iloc[n] == pytest.approx(100 * plus_dm[:n].sum() / tr[:n].sum(), rel=1e-12)
    assert minus.iloc[n] == pytest.approx(100 * minus_dm[:n].sum() / tr[:n].sum(), rel=1e-12)
    dx = (100 * (plus - minus).abs() / (plus + minus)).to_numpy()
    adx = compute("adx", {"window": n}, goog)
    assert adx.iloc[: 2 * n - 1].isna().all()
    assert adx.iloc[2 * n - 1] == pytest.approx(dx[n:2 * n].mean(), rel=1e-12)
    assert adx.iloc[2 * n] == pytest.approx(adx.iloc[2 * n - 1] + (dx[2 * n] - adx.iloc[2 * n - 1]) / n, rel=1e-12)


def test_williams_r_is_stochastic_k_less_100(goog: pd.DataFrame) -> None:
    wr = compute("williams_r", {"window": 14}, goog)
    pd.testing.assert_series_equal(wr, compute("stoch_k", {"window": 14}, goog) - 100, check_names=False)
    assert wr.dropna().between(-100, 0).all() and wr.min() == -100 and wr.max() == 0


def test_scales_hold_on_real_bars(goog: pd.DataFrame) -> None:
    for name in INDICATOR_NAMES:
        if name == "vwap":
            continue
        values = compute(name, None, goog).dropna()
        scale = REGISTRY[name].scale
        if scale is ind.Scale.OSCILLATOR:
            assert values.between(0, 100).all(), name
        elif scale is ind.Scale.NEGATIVE_OSCILLATOR:
            assert values.between(-100, 0).all(), name
        elif scale is ind.Scale.PRICE and name != "atr":  # ATR is a distance in price units, not a level
            # Levels live among the prices (stops and bands may step a little outside).
            assert values.between(goog["low"].min() * 0.5, goog["high"].max() * 1.5).all(), name


def test_keltner_is_the_registry_ema_plus_minus_its_atr(goog: pd.DataFrame) -> None:
    p = {"window": 20, "mult": 2}
    middle = compute("keltner_middle", p, goog)
    pd.testing.assert_series_equal(middle, compute("ema", {"window": 20}, goog), check_names=False)
    atr = compute("atr", {"window": 20}, goog)
    np.testing.assert_allclose(compute("keltner_upper", p, goog) - middle, 2 * atr, rtol=1e-12)
    np.testing.assert_allclose(middle - compute("keltner_lower", p, goog), 2 * atr, rtol=1e-12)


def test_supertrend_flips_sides_with_the_close(goog: pd.DataFrame) -> None:
    st = compute("supertrend", None, goog)
    close = goog["close"]
    below = (st < close).iloc[WARM_UP:]
    assert 10 < (below != below.shift()).iloc[1:].sum() < 200
    # Within a trend the line only ratchets towards the price: up in uptrends, down in downtrends.
    same_side = (below == below.shift()).iloc[1:]
    step = st.diff().iloc[WARM_UP + 1:]
    assert (step[same_side & below.iloc[1:]] >= 0).all()
    assert (step[same_side & ~below.iloc[1:]] <= 0).all()


def test_vwap_matches_a_per_day_computation_on_hourly_bars(eurusd: pd.DataFrame) -> None:
    vwap = compute("vwap", None, eurusd)
    typical = (eurusd["high"] + eurusd["low"] + eurusd["close"]) / 3
    expected = []
    for _, day in eurusd.groupby(eurusd.index.date):
        tp, vol = typical.loc[day.index].to_numpy(), day["volume"].to_numpy()
        expected.extend(np.cumsum(tp * vol) / np.cumsum(vol))
    np.testing.assert_allclose(vwap.to_numpy(), expected, rtol=1e-12)
    first_of_day = ~pd.Series(eurusd.index.normalize()).duplicated().to_numpy()
    np.testing.assert_allclose(vwap[first_of_day], typical[first_of_day], rtol=1e-12)


def test_vwap_refuses_daily_bars(goog: pd.DataFrame) -> None:
    with pytest.raises(IndicatorError, match="needs intraday bars.*not daily or weekly"):
        compute("vwap", None, goog)
    with pytest.raises(IndicatorError, match="intraday"):
        compute("vwap", None, goog.resample("W").last())


# ------------------------------------------------------------------ no lookahead


@pytest.mark.parametrize("name", INDICATOR_NAMES)
def test_no_lookahead(goog: pd.DataFrame, eurusd: pd.DataFrame, name: str) -> None:
    """The value at bar t-1 computed from bars[:t] equals the one computed from all bars."""
    df = eurusd.iloc[:1500] if REGISTRY[name].intraday_only else goog
    params = OTHER_SETTINGS.get(name)
    for p in (None, params) if params else (None,):
        full = compute(name, p, df)
        for t in (2, 30, 61, 250, 777, len(df) - 1):
            part = compute(name, p, df.iloc[:t])
            assert part.index.equals(df.index[:t])
            np.testing.assert_allclose(part.to_numpy(), full.iloc[:t].to_numpy(), rtol=1e-12, atol=1e-12,
                                       equal_nan=True, err_msg=f"{name} {p} on bars[:{t}]")


# ------------------------------------------------------------------ defaults and words


def _scorer() -> ModuleType:
    path = require(REFERENCE_SCORER)
    spec = importlib.util.spec_from_file_location("reference_score_specs", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_defaults_equal_the_reference_scorers() -> None:
    scorer = _scorer()
    assert set(scorer.DEFAULTS) <= set(INDICATOR_NAMES)
    for name, defaults in scorer.DEFAULTS.items():
        assert REGISTRY[name].defaults == defaults, name
    # Indicators the scorer leaves out have nothing to default.
    assert all(not REGISTRY[n].params for n in set(INDICATOR_NAMES) - set(scorer.DEFAULTS))


def test_parameter_aliases_agree_with_the_reference_scorer() -> None:
    scorer = _scorer()
    for name, defaults in scorer.DEFAULTS.items():
        family = "bb" if name.startswith("bb_") else "stoch" if name.startswith("stoch") else ""
        aliases = {**scorer.ALIASES, **scorer.PER_FAMILY_ALIASES.get(family, {})}
        for alias, target in aliases.items():
            if target in defaults:
                assert ind.canonical_param(name, alias) == target, (name, alias)


def test_words_name_one_indicator_or_one_family() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for decl in REGISTRY.values():
        for word in (*decl.words, *decl.misheard):
            owners[word].add(decl.name)
        for word in decl.family_words:
            owners[word].add(f"family {decl.family}")
    shared = {w: sorted(o) for w, o in owners.items() if len(o) > 1}
    assert not shared
    for decl in REGISTRY.values():
        assert decl.words, f"{decl.name} has no words"
        assert all(w == w.lower().strip() and w for w in decl.all_words()), decl.name

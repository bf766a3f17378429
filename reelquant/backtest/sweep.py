"""Fast parameter sweeps: a numba kernel that simulates stop-free rules, long, short or both, with run_backtest's conventions.

Signals decided on bar t fill at bar t+1's open with slippage and proportional fees, all cash in, equity
marked at the close; total return, Sharpe and trade count match run_backtest's metrics for the same segment.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numba
import numpy as np
import pandas as pd

from reelquant.backtest.engine import BacktestConfig, BacktestError, cancel_conflicts_nb, split_index
from reelquant.backtest.signals import SIGNAL_NAMES, Signals
from reelquant.indicators import compute

SWEEP_COLUMNS: tuple[str, ...] = ("fast", "slow", "total_return", "sharpe", "trades")


@numba.njit(cache=True, nogil=True)
def _buy(cash: float, position: float, debt: float, free_cash: float, size: float, price: float, fees: float,
         slippage: float) -> tuple[float, float, float, float]:
    """vectorbt's buy_nb without cash locking: `size` shares (np.inf: all the cash) at the open plus slippage."""
    adj_price = price * (1.0 + slippage)
    if cash <= 0.0:
        return cash, position, debt, free_cash
    total = size * adj_price * (1.0 + fees)
    if total <= cash:
        bought, spent = size, total
    else:
        bought, spent = cash / (1.0 + fees) / adj_price, cash
    new_position = position + bought
    if position < 0.0:
        covered = abs(position) if new_position >= 0.0 else bought
        debt_diff = covered * debt / abs(position)
        debt -= debt_diff
        free_cash += 2.0 * debt_diff - spent
    else:
        free_cash -= spent
    return cash - spent, new_position, debt, free_cash


@numba.njit(cache=True, nogil=True)
def _sell(cash: float, position: float, debt: float, free_cash: float, size: float, price: float, fees: float,
          slippage: float) -> tuple[float, float, float, float]:
    """vectorbt's sell_nb without cash locking: `size` shares (np.inf: the long position and as much short as
    the free cash covers, vectorbt's "100 % short") at the open minus slippage."""
    adj_price = price * (1.0 - slippage)
    if np.isinf(size):
        long_size = max(position, 0.0)
        total_free = free_cash + long_size * adj_price * (1.0 - fees)
        size = long_size if total_free <= 0.0 else long_size + total_free / (adj_price * (1.0 + fees))
    if size <= 0.0:
        return cash, position, debt, free_cash
    received = size * adj_price * (1.0 - fees)
    new_position = position - size
    if new_position < 0.0:
        short_value = (size if position < 0.0 else abs(new_position)) * adj_price
        debt += short_value
        free_cash += received - 2.0 * short_value
    else:
        free_cash += received
    return cash + received, new_position, debt, free_cash


@numba.njit(cache=True, nogil=True)
def _simulate_sides(open_: np.ndarray, close: np.ndarray, long_entries: np.ndarray, long_exits: np.ndarray,
                    short_entries: np.ndarray, short_exits: np.ndarray, lo: int, hi: int, init_cash: float,
                    fees: float, slippage: float, equity: np.ndarray) -> int:
    """Fill equity[lo:hi]; a signal on bar i-1 is an order at bar i's open. Returns the number of positions opened.

    vectorbt's from_signals as run_backtest calls it without stops: all cash in, an entry of the other side
    reverses the position, an entry and an exit of one side (or a long and a short entry) on one bar cancel.
    """
    cash, position, debt, free_cash = init_cash, 0.0, 0.0, init_cash
    trades = 0
    for i in range(lo, hi):
        if i > 0:
            le, lx, se, sx = cancel_conflicts_nb(long_entries[i - 1], long_exits[i - 1], short_entries[i - 1],
                                                 short_exits[i - 1])
            before = position
            price = open_[i]
            if position > 0.0:
                if se:
                    cash, position, debt, free_cash = _sell(cash, position, debt, free_cash, np.inf, price, fees,
                                                            slippage)
                elif lx:
                    cash, position, debt, free_cash = _sell(cash, position, debt, free_cash, position, price, fees,
                                                            slippage)
            elif position < 0.0:
                if le:
                    cash, position, debt, free_cash = _buy(cash, position, debt, free_cash, np.inf, price, fees,
                                                           slippage)
                elif sx:
                    cash, position, debt, free_cash = _buy(cash, position, debt, free_cash, -position, price, fees,
                                                           slippage)
            elif le:
                cash, position, debt, free_cash = _buy(cash, position, debt, free_cash, np.inf, price, fees,
                                                       slippage)
            elif se:
                cash, position, debt, free_cash = _sell(cash, position, debt, free_cash, np.inf, price, fees,
                                                        slippage)
            if abs(position) < 1e-9 * max(abs(before), 1.0):
                position = 0.0  # a full close leaves float dust, as vectorbt's is_close_nb treats it
            if position != 0.0 and (before == 0.0 or (position > 0.0) != (before > 0.0)):
                trades += 1
        equity[i] = cash + position * close[i]
    return trades


@numba.njit(cache=True, nogil=True)
def _sharpe_of(equity: np.ndarray, lo: int, hi: int, init_cash: float, ppy: float) -> float:
    """compute_metrics' Sharpe: bar returns from init_cash on, sample std, annualised by bars per year."""
    n = hi - lo
    if n < 2:
        return 0.0
    prev = init_cash
    total = 0.0
    for i in range(lo, hi):
        total += (equity[i] - prev) / prev
        prev = equity[i]
    mean = total / n
    prev = init_cash
    ss = 0.0
    for i in range(lo, hi):
        r = (equity[i] - prev) / prev
        ss += (r - mean) * (r - mean)
        prev = equity[i]
    sd = math.sqrt(ss / (n - 1))
    if sd <= 0.0 or not math.isfinite(sd):
        return 0.0
    return mean / sd * math.sqrt(ppy)


@numba.njit(cache=True, nogil=True)
def _crosses(fast: np.ndarray, slow: np.ndarray, above: np.ndarray, below: np.ndarray) -> None:
    """evaluate_condition's crosses_above / crosses_below of fast against slow; False while either is NaN."""
    above[0] = False
    below[0] = False
    for t in range(1, len(fast)):
        f, s, pf, ps = fast[t], slow[t], fast[t - 1], slow[t - 1]
        known = not (math.isnan(f) or math.isnan(s) or math.isnan(pf) or math.isnan(ps))
        above[t] = known and f > s and pf <= ps
        below[t] = known and f < s and pf >= ps


@numba.njit(cache=True, nogil=True)
def _sma_pairs_kernel(ma: np.ndarray, fast_idx: np.ndarray, slow_idx: np.ndarray, open_: np.ndarray,
                      close: np.ndarray, lo: int, hi: int, init_cash: float, fees: float, slippage: float,
                      ppy: float, out: np.ndarray) -> None:
    n = len(close)
    above = np.zeros(n, dtype=np.bool_)
    below = np.zeros(n, dtype=np.bool_)
    never = np.zeros(n, dtype=np.bool_)
    equity = np.zeros(n)
    for k in range(len(fast_idx)):
        _crosses(ma[fast_idx[k]], ma[slow_idx[k]], above, below)
        trades = _simulate_sides(open_, close, above, below, never, never, lo, hi, init_cash, fees, slippage, equity)
        out[k, 0] = equity[hi - 1] / init_cash - 1.0
        out[k, 1] = _sharpe_of(equity, lo, hi, init_cash, ppy)
        out[k, 2] = trades


def periods_per_year(index: pd.DatetimeIndex) -> float:
    """Bars per year over the index, the annualisation compute_metrics uses."""
    if len(index) < 2:
        return 252.0
    years = (index[-1] - index[0]).days / 365.25
    return (len(index) - 1) / years if years > 0 else 252.0


def segment_bounds(n_bars: int, config: BacktestConfig, segment: str) -> tuple[int, int]:
    """Positions [lo, hi) of run_backtest's segment: full, in_sample or out_of_sample."""
    first_oos = split_index(n_bars, config.oos_fraction)
    bounds = {"full": (0, n_bars), "in_sample": (0, first_oos), "out_of_sample": (first_oos, n_bars)}
    if segment not in bounds:
        raise BacktestError(f"Unknown segment {segment!r}: use full, in_sample or out_of_sample.")
    return bounds[segment]


def _check_config(config: BacktestConfig) -> None:
    if config.whole_shares:
        raise BacktestError("The sweep kernel trades fractional shares: set whole_shares=False to sweep.")


def simulate(df: pd.DataFrame, signals: Signals, config: BacktestConfig | None = None,
             segment: str = "full") -> tuple[pd.Series, int]:
    """Equity of a stop-free rule (long, short or both sides) over one segment, and the positions it opened,
    from boolean signals decided on each close."""
    config = config or BacktestConfig()
    _check_config(config)
    lo, hi = segment_bounds(len(df), config, segment)
    equity = np.zeros(len(df))
    arrays = [np.asarray(getattr(signals, name), dtype=np.bool_) for name in SIGNAL_NAMES]
    trades = _simulate_sides(df["open"].to_numpy(dtype=float), df["close"].to_numpy(dtype=float), *arrays,
                             lo, hi, float(config.init_cash), float(config.fees), float(config.slippage), equity)
    return pd.Series(equity[lo:hi], index=df.index[lo:hi], name="equity"), trades


def sma_crossover_sweep(df: pd.DataFrame, pairs: Iterable[tuple[int, int]], config: BacktestConfig | None = None,
                        segment: str = "full") -> pd.DataFrame:
    """Total return, Sharpe and trades of "long when SMA(fast) crosses above SMA(slow), out on the cross below".

    Every distinct window is computed once; the kernel then runs each pair over the bars. Results equal
    run_backtest's metrics for the same spec, config and segment.
    """
    config = config or BacktestConfig()
    _check_config(config)
    pair_arr = np.asarray(list(pairs), dtype=np.int64).reshape(-1, 2)
    if len(pair_arr) == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in SWEEP_COLUMNS})
    if (pair_arr < 1).any():
        raise BacktestError("SMA windows must be whole numbers of at least 1: fix the sweep grid.")
    if len(df) < 10:
        raise BacktestError(f"Only {len(df)} bars: a sweep needs at least 10, load a longer history.")
    windows = np.unique(pair_arr)
    position = {int(w): i for i, w in enumerate(windows)}
    ma = np.vstack([compute("sma", {"window": int(w)}, df).to_numpy() for w in windows])
    lo, hi = segment_bounds(len(df), config, segment)
    out = np.zeros((len(pair_arr), 3))
    _sma_pairs_kernel(ma, np.array([position[int(w)] for w in pair_arr[:, 0]], dtype=np.int64),
                      np.array([position[int(w)] for w in pair_arr[:, 1]], dtype=np.int64),
                      df["open"].to_numpy(dtype=float), df["close"].to_numpy(dtype=float), lo, hi,
                      float(config.init_cash), float(config.fees), float(config.slippage),
                      periods_per_year(pd.DatetimeIndex(df.index[lo:hi])), out)
    return pd.DataFrame({"fast": pair_arr[:, 0], "slow": pair_arr[:, 1], "total_return": out[:, 0],
                         "sharpe": out[:, 1], "trades": out[:, 2]})


def sma_grid(windows: Sequence[int]) -> list[tuple[int, int]]:
    """Every (fast, slow) pair of the windows with fast < slow."""
    ws = sorted({int(w) for w in windows})
    return [(f, s) for i, f in enumerate(ws) for s in ws[i + 1:]]

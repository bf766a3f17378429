"""Backtest a StrategySpec on vectorbt: signals act at the next bar's open, with costs, stops and an out-of-sample split.

Conventions (the tests in tests/backtest/test_constructs.py work each one out by hand):
- A signal decided on bar t's close fills at bar t + 1's open, with slippage against the trade and fees on
  both fills; all cash goes in (fractional shares unless `whole_shares`).
- Long and short sides trade on their own rules. An entry of the other side while a position is open
  reverses it on that bar, which is how a stop-and-reverse spec flips; an entry and an exit of the same
  side on one bar cancel out, and so do a long and a short entry.
- Stops (`spec.stops`) are measured from the actual fill and mirrored for shorts (a short's stop sits above
  its entry, its target below). They are checked from the bar after the fill on, fill at the stop level
  without slippage, or at the open when a bar gaps through it. An order at a bar's open that closes the
  position (an exit, a reversal, the time exit) comes before any stop inside that bar. With several
  stop-loss kinds (percent, ATR, trailing) the nearest level applies on each bar; with two targets the
  nearer one.
- ATR distances use ATR(`atr_window`) at the signal bar's close, fixed for the life of the trade; a trade
  whose signal bar is still in the ATR's warm-up has no ATR stop.
- `max_bars_held: N` closes a position at the open N bars after its fill (it was held N bars); an entry
  signal still standing then opens a new trade on the next bar. A stop that closes the trade first ends
  the count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numba
import numpy as np
import pandas as pd

from reelquant.backtest.data import OHLCV_COLUMNS, MarketDataError
from reelquant.backtest.signals import SIGNAL_NAMES, Signals, compile_signals
from reelquant.indicators import compute
from reelquant.strategy.spec import StrategySpec

SEGMENTS: tuple[str, ...] = ("full", "in_sample", "out_of_sample")
METRIC_NAMES: tuple[str, ...] = (
    "total_return", "cagr", "volatility", "sharpe", "sortino", "calmar", "max_drawdown",
    "max_drawdown_duration_days", "win_rate", "profit_factor", "expectancy", "trades", "exposure",
    "avg_trade_return", "buy_and_hold_return", "buy_and_hold_sharpe",
)
# Profit factor is unbounded when no trade lost; a cap keeps it a finite, comparable number.
PROFIT_FACTOR_CAP = 100.0


class BacktestError(ValueError):
    """A backtest that cannot run on the given spec or data."""


@dataclass
class BacktestConfig:
    """Cash, costs (fees and slippage as fractions per fill), the out-of-sample share and the bar frequency."""

    init_cash: float = 10_000.0
    fees: float = 0.001
    slippage: float = 0.0005
    oos_fraction: float = 0.3
    freq: str = "1D"
    # Whole shares only, as a broker fills them; off by default so results do not depend on the price level.
    whole_shares: bool = False

    def __post_init__(self) -> None:
        if not 0.0 < self.oos_fraction < 1.0:
            raise BacktestError(f"oos_fraction must be between 0 and 1, got {self.oos_fraction}: fix the config.")
        if self.init_cash <= 0:
            raise BacktestError(f"init_cash must be positive, got {self.init_cash}: fix the config.")


@dataclass
class BacktestResult:
    """Metrics per segment (full, in_sample, out_of_sample), the trades and the full-history equity curve."""

    spec_summary: str
    metrics: dict[str, dict[str, float]]
    trades: pd.DataFrame
    equity: pd.Series
    split_date: pd.Timestamp
    config: BacktestConfig
    signal_counts: dict[str, int] = field(default_factory=dict)
    filtered: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: plain floats, ISO dates, trades as records, equity as two lists."""
        trades = self.trades.copy()
        for col in ("entry_time", "exit_time"):
            trades[col] = trades[col].map(lambda t: t.isoformat() if isinstance(t, pd.Timestamp) else None)
        records = [
            {k: (_clean(v) if isinstance(v, float) else v) for k, v in row.items()}
            for row in trades.to_dict(orient="records")
        ]
        return {
            "spec": self.spec_summary,
            "metrics": {seg: {k: _clean(v) for k, v in m.items()} for seg, m in self.metrics.items()},
            "trades": records,
            "equity": {
                "dates": [t.isoformat() for t in self.equity.index],
                "values": [_clean(float(v)) for v in self.equity.to_numpy()],
            },
            "split_date": self.split_date.isoformat(),
            "config": asdict(self.config),
            "signal_counts": dict(self.signal_counts),
            "filtered": self.filtered,
        }


def _clean(value: float) -> float:
    value = float(value)
    return value if math.isfinite(value) else 0.0


def split_index(n_bars: int, oos_fraction: float) -> int:
    """Position of the first out-of-sample bar: the last `oos_fraction` of bars are out of sample."""
    first_oos = n_bars - int(round(n_bars * oos_fraction))
    return min(max(first_oos, 1), n_bars - 1)


@dataclass(frozen=True)
class StopPlan:
    """A spec's stops and time exit as numbers (NaN or 0 where not taught), with the ATR they need.

    `atr_prev[i]` is ATR(atr_window) at bar i - 1's close: an order filling at bar i's open set its ATR
    distances from what was known when the decision was made.
    """

    stop_loss_pct: float = math.nan
    take_profit_pct: float = math.nan
    trailing_stop_pct: float = math.nan
    stop_loss_atr: float = math.nan
    take_profit_atr: float = math.nan
    max_bars_held: int = 0
    atr_prev: np.ndarray | None = None

    @classmethod
    def of(cls, spec: StrategySpec, df: pd.DataFrame) -> StopPlan:
        """The plan of `spec.stops` on these bars (percent fields become fractions)."""
        stops = spec.stops

        def frac(value: float | None) -> float:
            return value / 100.0 if value else math.nan

        atr_prev = None
        if stops.stop_loss_atr or stops.take_profit_atr:
            atr = compute("atr", {"window": stops.atr_window}, df)
            atr_prev = atr.shift(1).to_numpy(dtype=float)
        return cls(stop_loss_pct=frac(stops.stop_loss_pct), take_profit_pct=frac(stops.take_profit_pct),
                   trailing_stop_pct=frac(stops.trailing_stop_pct),
                   stop_loss_atr=float(stops.stop_loss_atr or math.nan),
                   take_profit_atr=float(stops.take_profit_atr or math.nan),
                   max_bars_held=int(stops.max_bars_held or 0), atr_prev=atr_prev)

    def any_set(self) -> bool:
        """Whether the spec has a stop, a target or a time exit at all."""
        return self.atr_prev is not None or self.max_bars_held > 0 or not all(
            math.isnan(v) for v in (self.stop_loss_pct, self.take_profit_pct, self.trailing_stop_pct))


@numba.njit(cache=True)
def _orders_nb(i: int, col: int, position: float, long_entries: np.ndarray, long_exits: np.ndarray,
               short_entries: np.ndarray, short_exits: np.ndarray, max_bars: np.ndarray,
               entry_i: np.ndarray) -> tuple[bool, bool, bool, bool]:
    """The rule's orders at bar i's open as vectorbt will carry them out, with the time exit added.

    A position opened `max_bars` bars ago closes at this open; the time exit wins over a same-side entry
    on that bar (which would otherwise cancel it), and an opposite entry still reverses the position.
    An entry and an exit of one side cancel out, as do a long and a short entry (vectorbt's defaults).
    """
    le, lx = long_entries[i, col], long_exits[i, col]
    se, sx = short_entries[i, col], short_exits[i, col]
    if position != 0 and max_bars[col] > 0 and entry_i[col] >= 0 and i - entry_i[col] >= max_bars[col]:
        if position > 0:
            lx, le = True, False
        else:
            sx, se = True, False
    return cancel_conflicts_nb(le, lx, se, sx)


@numba.njit(cache=True)
def cancel_conflicts_nb(le: bool, lx: bool, se: bool, sx: bool) -> tuple[bool, bool, bool, bool]:
    """vectorbt's defaults for one bar's orders: an entry and an exit of one side cancel out, and so do a long
    and a short entry. The engine's order callback and the sweep kernel both read orders through this."""
    if le and lx:
        le, lx = False, False
    if se and sx:
        se, sx = False, False
    if le and se:
        le, se = False, False
    return le, lx, se, sx


@numba.njit(cache=True)
def _closes_at_open_nb(i: int, col: int, position: float, long_entries: np.ndarray, long_exits: np.ndarray,
                       short_entries: np.ndarray, short_exits: np.ndarray, max_bars: np.ndarray,
                       entry_i: np.ndarray) -> bool:
    """Whether an order at bar i's open closes (or reverses) the open position: then no stop can fill
    inside that bar, since the position is gone at the open."""
    le, lx, se, sx = _orders_nb(i, col, position, long_entries, long_exits, short_entries, short_exits,
                                max_bars, entry_i)
    return (position > 0 and (lx or se)) or (position < 0 and (sx or le))


@numba.njit(cache=True)
def _adjust_sl_nb(c: Any, sl_pct: np.ndarray, ts_pct: np.ndarray, sl_atr: np.ndarray, atr_prev: np.ndarray,
                  long_entries: np.ndarray, long_exits: np.ndarray, short_entries: np.ndarray,
                  short_exits: np.ndarray, max_bars: np.ndarray, entry_i: np.ndarray) -> tuple[float, bool]:
    """The nearest of the fixed, ATR and trailing stop levels, as vectorbt's fraction of the reference price.

    vectorbt calls this on every bar before it checks the stop, and checks the stop before the rule's
    orders; a bar whose open already closes the position gets no stop, so the order at the open comes
    first. `c.init_i` is the bar the position was opened on (its fill); it is handed to the time exit
    through `entry_i`.
    """
    col = c.col
    if c.position_now == 0 or c.init_i < 0:
        entry_i[col] = -1
        return np.nan, False
    entry_i[col] = c.init_i
    trail = not np.isnan(ts_pct[col])
    if _closes_at_open_nb(c.i, col, c.position_now, long_entries, long_exits, short_entries, short_exits,
                          max_bars, entry_i):
        return np.nan, trail
    init = c.init_price
    # With a trailing stop vectorbt keeps the best price since entry in curr_price; otherwise it is the fill.
    ref = c.curr_price if trail else init
    atr = atr_prev[c.init_i, col]
    level = np.nan
    if c.position_now > 0:
        if not np.isnan(sl_pct[col]):
            level = init * (1.0 - sl_pct[col])
        if not np.isnan(sl_atr[col]) and not np.isnan(atr):
            candidate = init - sl_atr[col] * atr
            level = candidate if np.isnan(level) else max(level, candidate)
        if trail:
            candidate = ref * (1.0 - ts_pct[col])
            level = candidate if np.isnan(level) else max(level, candidate)
        if np.isnan(level):
            return np.nan, trail
        return max(0.0, 1.0 - level / ref), trail
    if not np.isnan(sl_pct[col]):
        level = init * (1.0 + sl_pct[col])
    if not np.isnan(sl_atr[col]) and not np.isnan(atr):
        candidate = init + sl_atr[col] * atr
        level = candidate if np.isnan(level) else min(level, candidate)
    if trail:
        candidate = ref * (1.0 + ts_pct[col])
        level = candidate if np.isnan(level) else min(level, candidate)
    if np.isnan(level):
        return np.nan, trail
    return max(0.0, level / ref - 1.0), trail


@numba.njit(cache=True)
def _adjust_tp_nb(c: Any, tp_pct: np.ndarray, tp_atr: np.ndarray, atr_prev: np.ndarray,
                  long_entries: np.ndarray, long_exits: np.ndarray, short_entries: np.ndarray,
                  short_exits: np.ndarray, max_bars: np.ndarray, entry_i: np.ndarray) -> float:
    """The nearer of the percent and ATR targets, as vectorbt's fraction of the entry price (none on a bar
    whose open closes the position)."""
    col = c.col
    if c.position_now == 0 or c.init_i < 0:
        return np.nan
    if _closes_at_open_nb(c.i, col, c.position_now, long_entries, long_exits, short_entries, short_exits,
                          max_bars, entry_i):
        return np.nan
    init = c.init_price
    atr = atr_prev[c.init_i, col]
    dist = np.nan
    if not np.isnan(tp_pct[col]):
        dist = tp_pct[col] * init
    if not np.isnan(tp_atr[col]) and not np.isnan(atr):
        candidate = tp_atr[col] * atr
        dist = candidate if np.isnan(dist) else min(dist, candidate)
    if np.isnan(dist):
        return np.nan
    return dist / init


@numba.njit(cache=True)
def _signal_nb(c: Any, long_entries: np.ndarray, long_exits: np.ndarray, short_entries: np.ndarray,
               short_exits: np.ndarray, max_bars: np.ndarray, entry_i: np.ndarray) -> tuple[bool, bool, bool, bool]:
    """vectorbt's signal function: the rule's orders for this bar, with the time exit."""
    return _orders_nb(c.i, c.col, c.position_now, long_entries, long_exits, short_entries, short_exits,
                      max_bars, entry_i)


def _per_column(plans: Sequence[StopPlan], name: str) -> np.ndarray:
    return np.array([getattr(p, name) for p in plans], dtype=float)


def _order_kwargs(plans: Sequence[StopPlan], orders: dict[str, pd.DataFrame], lo: int, hi: int,
                  single: bool) -> dict[str, Any]:
    """vectorbt keyword arguments for the orders and stops of each column, over bars [lo, hi).

    Without stops the signal arrays go to vectorbt as they are. With any stop, target or time exit the
    orders go through the signal function and the stops through the adjust functions above, which also
    let an order at a bar's open act before a stop inside that bar (vectorbt's own stops come first).
    """
    if not any(p.any_set() for p in plans):
        return {name.replace("long_", ""): orders[name].iloc[:, 0] if single else orders[name]
                for name in SIGNAL_NAMES}
    n = hi - lo
    atr = np.column_stack([p.atr_prev[lo:hi] if p.atr_prev is not None else np.full(n, np.nan) for p in plans])
    # The bar each column's position was opened on, written by _adjust_sl_nb and read by the order logic.
    entry_i = np.full(len(plans), -1, dtype=np.int64)
    arrays = tuple(np.ascontiguousarray(orders[name].to_numpy(dtype=np.bool_)) for name in SIGNAL_NAMES)
    order_args = (*arrays, np.array([p.max_bars_held for p in plans], dtype=np.int64), entry_i)
    return {
        "signal_func_nb": _signal_nb,
        "signal_args": order_args,
        "adjust_sl_func_nb": _adjust_sl_nb,
        "adjust_sl_args": (_per_column(plans, "stop_loss_pct"), _per_column(plans, "trailing_stop_pct"),
                           _per_column(plans, "stop_loss_atr"), atr, *order_args),
        "adjust_tp_func_nb": _adjust_tp_nb,
        "adjust_tp_args": (_per_column(plans, "take_profit_pct"), _per_column(plans, "take_profit_atr"), atr,
                           *order_args),
    }


def _apply_filter(signals: Signals, entry_filter: pd.Series | None, index: pd.Index) -> tuple[Signals, bool]:
    if entry_filter is None:
        return signals, False
    keep = entry_filter.reindex(index).fillna(True).astype(bool)
    return Signals(
        long_entries=signals.long_entries & keep,
        long_exits=signals.long_exits,
        short_entries=signals.short_entries & keep,
        short_exits=signals.short_exits,
    ), True


def _shifted(s: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """A decision on bar t's close becomes an order on bar t+1."""
    return s.shift(1, fill_value=False).astype(bool)


def _simulate(df: pd.DataFrame, signals: Signals, config: BacktestConfig,
              plans: StopPlan | Sequence[StopPlan], lo: int, hi: int) -> Any:
    """One vectorbt simulation over bars [lo, hi): one column, or one per plan when the signals are frames."""
    import vectorbt as vbt  # heavy import (numba), only paid when a backtest runs

    from reelquant.backtest.kernel_cache import cache_vectorbt_simulation

    cache_vectorbt_simulation()

    seg = df.iloc[lo:hi]
    single = isinstance(plans, StopPlan)
    plan_list = [plans] if isinstance(plans, StopPlan) else list(plans)
    orders = {}
    for name in SIGNAL_NAMES:
        values = _shifted(getattr(signals, name)).iloc[lo:hi]
        orders[name] = values.to_frame() if isinstance(values, pd.Series) else values
    close: pd.Series | pd.DataFrame = seg["close"]
    bar = {k: seg[k] for k in ("open", "high", "low")}
    if not single:
        close = pd.DataFrame(np.repeat(seg[["close"]].to_numpy(), len(plan_list), axis=1), index=seg.index,
                             columns=orders["long_entries"].columns)
        bar = {k: v.to_numpy()[:, None] for k, v in bar.items()}  # one price column for every variant
    return vbt.Portfolio.from_signals(
        close=close,
        price=bar["open"],
        open=bar["open"], high=bar["high"], low=bar["low"],
        fees=config.fees,
        slippage=config.slippage,
        size=np.inf,
        size_granularity=1.0 if config.whole_shares else None,
        init_cash=config.init_cash,
        # Stops are measured from the actual fill, not the bar's close.
        stop_entry_price="fillprice",
        upon_opposite_entry="reverse",
        freq=config.freq,
        **_order_kwargs(plan_list, orders, lo, hi, single),
    )


def _trades_frame(pf: Any, index: pd.DatetimeIndex) -> pd.DataFrame:
    cols = ["entry_time", "exit_time", "direction", "status", "size", "entry_price", "exit_price",
            "pnl", "return"]
    rec = pf.trades.values
    if len(rec) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("direction", "status") else float)
                             for c in cols})
    closed = rec["status"] == 1  # vectorbt TradeStatus: 0 open, 1 closed
    exit_time = pd.Series(index[rec["exit_idx"]]).where(closed)
    out = pd.DataFrame({
        "entry_time": index[rec["entry_idx"]],
        "exit_time": exit_time.to_numpy(),
        "direction": np.where(rec["direction"] == 0, "long", "short"),
        "status": np.where(closed, "closed", "open"),
        "size": rec["size"].astype(float),
        "entry_price": rec["entry_price"].astype(float),
        "exit_price": rec["exit_price"].astype(float),
        "pnl": rec["pnl"].astype(float),
        "return": rec["return"].astype(float),
    })
    return out[cols].sort_values("entry_time", kind="stable").reset_index(drop=True)


def _periods_per_year(index: pd.DatetimeIndex) -> float:
    if len(index) < 2:
        return 252.0
    years = (index[-1] - index[0]).days / 365.25
    return (len(index) - 1) / years if years > 0 else 252.0


def _sharpe(returns: np.ndarray, ppy: float) -> float:
    if len(returns) < 2:
        return 0.0
    sd = returns.std(ddof=1)
    return float(returns.mean() / sd * math.sqrt(ppy)) if sd > 0 else 0.0


def _drawdown(equity: pd.Series) -> pd.Series:
    return equity / equity.cummax() - 1.0


def _max_dd_duration_days(equity: pd.Series) -> float:
    """Longest stretch, in calendar days, from a peak until equity is back at it (or the end)."""
    peak_time = equity.index[0]
    peak = equity.iloc[0]
    longest = 0.0
    for t, v in equity.items():
        if v >= peak:
            peak, peak_time = v, t
        else:
            longest = max(longest, float((t - peak_time).days))
    return longest


def compute_metrics(equity: pd.Series, trades: pd.DataFrame, in_market: pd.Series, init_cash: float,
                    close: pd.Series) -> dict[str, float]:
    """Performance of one segment from its equity curve and trades; every value a finite float."""
    index = pd.DatetimeIndex(equity.index)
    ppy = _periods_per_year(index)
    values = equity.to_numpy(dtype=float)
    returns = np.diff(np.concatenate([[init_cash], values])) / np.concatenate([[init_cash], values[:-1]])
    total_return = values[-1] / init_cash - 1.0
    years = max((index[-1] - index[0]).days / 365.25, 1.0 / 365.25)
    cagr = (1.0 + total_return) ** (1.0 / years) - 1.0 if total_return > -1.0 else -1.0
    downside = np.minimum(returns, 0.0)
    downside_dev = math.sqrt(float((downside ** 2).mean())) if len(returns) else 0.0
    max_dd = float(-_drawdown(equity).min())
    n_trades = len(trades)
    pnl = trades["pnl"].to_numpy(dtype=float) if n_trades else np.array([])
    gross_win = float(pnl[pnl > 0].sum())
    gross_loss = float(-pnl[pnl < 0].sum())
    if gross_loss > 0:
        profit_factor = min(gross_win / gross_loss, PROFIT_FACTOR_CAP)
    else:
        profit_factor = PROFIT_FACTOR_CAP if gross_win > 0 else 0.0
    bh_returns = close.pct_change().dropna().to_numpy(dtype=float)
    metrics = {
        "total_return": total_return,
        "cagr": cagr,
        "volatility": float(returns.std(ddof=1) * math.sqrt(ppy)) if len(returns) > 1 else 0.0,
        "sharpe": _sharpe(returns, ppy),
        "sortino": float(returns.mean() / downside_dev * math.sqrt(ppy)) if downside_dev > 0 else 0.0,
        "calmar": cagr / max_dd if max_dd > 0 else 0.0,
        "max_drawdown": max_dd,
        "max_drawdown_duration_days": _max_dd_duration_days(equity),
        "win_rate": float((pnl > 0).mean()) if n_trades else 0.0,
        "profit_factor": profit_factor,
        "expectancy": float(pnl.mean()) if n_trades else 0.0,
        "trades": float(n_trades),
        "exposure": float(in_market.mean()) if len(in_market) else 0.0,
        "avg_trade_return": float(trades["return"].mean()) if n_trades else 0.0,
        "buy_and_hold_return": float(close.iloc[-1] / close.iloc[0] - 1.0),
        "buy_and_hold_sharpe": _sharpe(bh_returns, ppy),
    }
    return {k: _clean(v) for k, v in metrics.items()}


def _segment_metrics(pf: Any, seg: pd.DataFrame, config: BacktestConfig) -> tuple[dict[str, float], pd.DataFrame]:
    equity = pf.value()
    trades = _trades_frame(pf, pd.DatetimeIndex(seg.index))
    in_market = pf.assets() != 0
    return compute_metrics(equity, trades, in_market, config.init_cash, seg["close"]), trades


def check_inputs(spec: StrategySpec, df: pd.DataFrame) -> None:
    """Refuse, in one sentence, a spec with no rule or bars without OHLCV columns."""
    if not spec.testable:
        raise BacktestError("The spec is not testable, so there is nothing to backtest: extract a rule first.")
    missing = [c for c in OHLCV_COLUMNS if c not in df.columns]
    if missing:
        raise MarketDataError(f"The bars lack {', '.join(missing)}: load them with load_ohlcv.")


def run_backtest(spec: StrategySpec, df: pd.DataFrame, config: BacktestConfig | None = None,
                 entry_filter: pd.Series | None = None) -> BacktestResult:
    """Backtest the spec on the bars: full history, in-sample and out-of-sample, each from fresh cash.

    Signals come from the whole history (indicators need their warm-up), but each segment's
    portfolio only trades inside its own bars. `entry_filter` (True = take the entry) drops
    rule entries, e.g. those a signal model rejects.
    """
    config = config or BacktestConfig()
    check_inputs(spec, df)
    if len(df) < 10:
        raise BacktestError(f"Only {len(df)} bars: a backtest needs at least 10, load a longer history.")
    signals, filtered = _apply_filter(compile_signals(spec, df), entry_filter, df.index)
    stops = StopPlan.of(spec, df)
    n = len(df)
    first_oos = split_index(n, config.oos_fraction)
    bounds = {"full": (0, n), "in_sample": (0, first_oos), "out_of_sample": (first_oos, n)}
    metrics: dict[str, dict[str, float]] = {}
    trades = pd.DataFrame()
    equity = pd.Series(dtype=float)
    for name in SEGMENTS:
        lo, hi = bounds[name]
        pf = _simulate(df, signals, config, stops, lo, hi)
        metrics[name], seg_trades = _segment_metrics(pf, df.iloc[lo:hi], config)
        if name == "full":
            trades, equity = seg_trades, pf.value().rename("equity")
    return BacktestResult(
        spec_summary=spec.summary(), metrics=metrics, trades=trades, equity=equity,
        split_date=pd.Timestamp(df.index[first_oos]), config=config,
        signal_counts=signals.count(), filtered=filtered,
    )


def plot_equity(result: BacktestResult) -> bytes:
    """PNG of the equity curve above its drawdown, with the out-of-sample start marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from reelquant.plots import figure_png

    equity = result.equity
    dd = _drawdown(equity) * 100
    fig, (ax_eq, ax_dd) = plt.subplots(2, 1, figsize=(9, 5), sharex=True,
                                       gridspec_kw={"height_ratios": [3, 1]})
    try:
        ax_eq.plot(equity.index, equity.to_numpy(), color="tab:blue", lw=1.2, label="equity")
        ax_eq.axhline(result.config.init_cash, color="grey", lw=0.8, ls=":")
        ax_dd.fill_between(dd.index, dd.to_numpy(), 0, color="tab:red", alpha=0.4, lw=0)
        for ax in (ax_eq, ax_dd):
            ax.axvline(result.split_date, color="black", ls="--", lw=1)
            ax.grid(alpha=0.3)
        ax_eq.text(result.split_date, ax_eq.get_ylim()[1], "  out of sample →", va="top", fontsize=8)
        ax_eq.set_title(result.spec_summary[:100], fontsize=9)
        ax_eq.set_ylabel("equity")
        ax_dd.set_ylabel("drawdown %")
        return figure_png(fig, dpi=90)
    finally:
        plt.close(fig)

"""SMA-crossover parameter sweep on the bundled GOOG daily bars: reelquant's kernel vs backtesting.py and vectorbt.

Run as `.venv/bin/python bench/sweep.py`. All three engines run in this one process, each warmed up first;
backtesting.py and vectorbt sweep a subset of the grid; the bench stops unless the kernel's total return equals
vectorbt's (on the spec's signals) for every pair of vectorbt's subset and its trade count equals backtesting.py's
on a sample of pairs.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("TQDM_DISABLE", "1")  # backtesting.py draws a progress bar per run otherwise

import backtesting
import numpy as np
import pandas as pd
from backtesting.lib import crossover

from reelquant.backtest.data import bundled_sample_path, load_ohlcv
from reelquant.backtest.engine import BacktestConfig
from reelquant.backtest.signals import compile_signals
from reelquant.backtest.sweep import sma_crossover_sweep, sma_grid
from reelquant.strategy.spec import Condition, ConditionSet, Operand, Side, StrategySpec

FEES = 0.001


def _sma(values: np.ndarray, n: int) -> pd.Series:
    return pd.Series(values).rolling(n).mean()


class SmaCross(backtesting.Strategy):
    """The same rule in backtesting.py; at module level so optimize's worker processes can pickle it."""

    fast = 10
    slow = 20

    def init(self) -> None:
        self.ma_fast = self.I(_sma, self.data.Close, self.fast)
        self.ma_slow = self.I(_sma, self.data.Close, self.slow)

    def next(self) -> None:
        if crossover(self.ma_fast, self.ma_slow):
            self.buy()
        elif crossover(self.ma_slow, self.ma_fast):
            self.position.close()


def bench_reelquant(df: pd.DataFrame, pairs: list[tuple[int, int]], repeats: int) -> tuple[float, pd.DataFrame]:
    config = BacktestConfig(fees=FEES, slippage=0.0)
    sma_crossover_sweep(df, pairs[:10], config)  # loads the cached kernel
    best = float("inf")
    result = pd.DataFrame()
    for _ in range(repeats):
        start = time.perf_counter()
        result = sma_crossover_sweep(df, pairs, config)
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_backtesting(df: pd.DataFrame, windows: range) -> tuple[float, int, dict[tuple[int, int], int]]:
    """Seconds for backtesting.py's optimize over the pairs, their number, and trade counts of a few pairs
    (closed trades plus the one still open, as the kernel counts entries)."""
    bars = df.rename(columns=str.capitalize)
    grid = sma_grid(windows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = backtesting.Backtest(bars, SmaCross, cash=10_000, commission=FEES, exclusive_orders=True)
        bt.run()
        start = time.perf_counter()
        bt.optimize(fast=list(windows), slow=list(windows), constraint=lambda p: p.fast < p.slow,
                    maximize="Sharpe Ratio", max_tries=None)
        elapsed = time.perf_counter() - start
        trades = {}
        for fast, slow in grid[:: max(1, len(grid) // 5)]:
            stats = bt.run(fast=fast, slow=slow)
            trades[(fast, slow)] = int(stats["# Trades"]) + len(stats._strategy.trades)
    return elapsed, len(grid), trades


def bench_vectorbt(df: pd.DataFrame, windows: range) -> tuple[float, int]:
    import vectorbt as vbt

    def run(ws: list[int]) -> int:
        close, open_ = df["close"], df["open"]
        fast, slow = vbt.MA.run_combs(close, window=ws, r=2, short_names=["fast", "slow"])
        entries = fast.ma_crossed_above(slow).shift(1, fill_value=False)
        exits = fast.ma_crossed_below(slow).shift(1, fill_value=False)
        pf = vbt.Portfolio.from_signals(close, entries, exits, price=open_, fees=FEES, freq="1D")
        pf.total_return()
        pf.sharpe_ratio()
        return entries.shape[1]

    run(list(windows))  # numba compilation and first-touch allocations, not part of the timing
    start = time.perf_counter()
    combos = run(list(windows))
    return time.perf_counter() - start, combos


def vectorbt_on_spec_signals(df: pd.DataFrame, pairs: list[tuple[int, int]]) -> pd.Series:
    """vectorbt's total return per pair on the signals the spec compiles to (untimed: the check, not the race).

    vectorbt's own MA and crossing differ from the spec's where two averages meet exactly (its rolling sum
    and its strict "below before" test), so the check feeds both engines the same signals.
    """
    import vectorbt as vbt

    config = BacktestConfig(fees=FEES, slippage=0.0)
    columns = pd.MultiIndex.from_tuples(pairs, names=["fast", "slow"])
    compiled = [compile_signals(sma_cross_spec(f, s), df) for f, s in pairs]
    entries = pd.concat([c.long_entries for c in compiled], axis=1, keys=columns).shift(1, fill_value=False)
    exits = pd.concat([c.long_exits for c in compiled], axis=1, keys=columns).shift(1, fill_value=False)
    pf = vbt.Portfolio.from_signals(df["close"], entries, exits, price=df["open"], fees=config.fees,
                                    init_cash=config.init_cash, freq="1D")
    return pf.total_return()


def sma_cross_spec(fast: int, slow: int) -> StrategySpec:
    """The spec of "long when SMA(fast) crosses above SMA(slow), out on the cross below"."""
    f = Operand(indicator="sma", params={"window": fast})
    s = Operand(indicator="sma", params={"window": slow})
    rules = Side(entry=ConditionSet.of("all", [Condition(left=f, op="crosses_above", right=s)]),
                 exit=ConditionSet.of("any", [Condition(left=f, op="crosses_below", right=s)]))
    return StrategySpec(testable=True, name=f"SMA({fast}, {slow}) cross", long=rules)


def check_same(table: pd.DataFrame, vbt_total: pd.Series, bt_trades: dict[tuple[int, int], int]) -> None:
    """Stop the bench when the engines did not compute the same thing: the kernel's total return must be
    vectorbt's for every pair both ran, and its trade count backtesting.py's for the pairs checked there."""
    ours = table.set_index(["fast", "slow"])
    common = vbt_total.index.intersection(ours.index)
    if len(common) == 0:
        raise SystemExit("sweep: no (fast, slow) pair was run by both reelquant and vectorbt; widen the grids.")
    gap = np.abs(ours.loc[common, "total_return"].to_numpy() - vbt_total.loc[common].to_numpy())
    if not np.all(gap <= 1e-9 * np.maximum(1.0, np.abs(vbt_total.loc[common].to_numpy()))):
        worst = common[int(np.argmax(gap))]
        raise SystemExit(f"sweep: total return differs from vectorbt's for SMA{worst} by {gap.max():.3g}.")
    for pair, trades in bt_trades.items():
        if int(ours.loc[pair, "trades"]) != trades:
            raise SystemExit(f"sweep: SMA{pair} made {int(ours.loc[pair, 'trades'])} trades here and {trades} "
                             "in backtesting.py.")
    print(f"checked: total return equal to vectorbt's on {len(common)} pairs, trade counts equal to "
          f"backtesting.py's on {len(bt_trades)} pairs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-window", type=int, default=150, help="full grid: every pair of 2..N (default 150)")
    parser.add_argument("--bt-window", type=int, default=19, help="backtesting.py subset: pairs of 2..N")
    parser.add_argument("--vbt-window", type=int, default=70, help="vectorbt subset: pairs of 2..N")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    df = load_ohlcv(bundled_sample_path())
    pairs = sma_grid(range(2, args.max_window + 1))
    ours_s, table = bench_reelquant(df, pairs, args.repeats)
    ours_ms = ours_s / len(pairs) * 1e3
    best = table.sort_values("sharpe", ascending=False).iloc[0]
    print(f"reelquant: {len(pairs)} combos on {len(df)} bars in {ours_s:.3f} s ({ours_ms:.4f} ms/combo); "
          f"best SMA({int(best.fast)}, {int(best.slow)}) Sharpe {best.sharpe:.2f}, {int(best.trades)} trades")

    bt_s, bt_n, bt_trades = bench_backtesting(df, range(2, args.bt_window + 1))
    bt_ms = bt_s / bt_n * 1e3
    print(f"backtesting.py optimize: {bt_n} combos in {bt_s:.2f} s ({bt_ms:.2f} ms/combo)")

    vbt_s, vbt_n = bench_vectorbt(df, range(2, args.vbt_window + 1))
    vbt_ms = vbt_s / vbt_n * 1e3
    print(f"vectorbt run_combs + from_signals: {vbt_n} combos in {vbt_s:.2f} s ({vbt_ms:.3f} ms/combo)")
    check_same(table, vectorbt_on_spec_signals(df, sma_grid(range(2, args.vbt_window + 1))), bt_trades)

    print(f"sweep: {len(pairs)} combos in {ours_s:.3f} s, {ours_ms:.4f} ms/combo, "
          f"speedup vs backtesting.py {bt_ms / ours_ms:.0f}x, vs vectorbt {vbt_ms / ours_ms:.1f}x")


if __name__ == "__main__":
    main()

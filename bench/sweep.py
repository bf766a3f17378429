"""SMA-crossover parameter sweep on the bundled GOOG daily bars: reelquant's kernel vs backtesting.py and vectorbt.

Run as `.venv/bin/python bench/sweep.py`. All three engines run in this one process, each warmed up first;
backtesting.py and vectorbt sweep a subset of the grid and are compared per combination.
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
from reelquant.backtest.sweep import sma_crossover_sweep, sma_grid

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


def bench_backtesting(df: pd.DataFrame, windows: range) -> tuple[float, int]:
    bars = df.rename(columns=str.capitalize)
    combos = len(sma_grid(windows))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = backtesting.Backtest(bars, SmaCross, cash=10_000, commission=FEES, exclusive_orders=True)
        bt.run()
        start = time.perf_counter()
        bt.optimize(fast=list(windows), slow=list(windows), constraint=lambda p: p.fast < p.slow,
                    maximize="Sharpe Ratio", max_tries=None)
        elapsed = time.perf_counter() - start
    return elapsed, combos


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

    bt_s, bt_n = bench_backtesting(df, range(2, args.bt_window + 1))
    bt_ms = bt_s / bt_n * 1e3
    print(f"backtesting.py optimize: {bt_n} combos in {bt_s:.2f} s ({bt_ms:.2f} ms/combo)")

    vbt_s, vbt_n = bench_vectorbt(df, range(2, args.vbt_window + 1))
    vbt_ms = vbt_s / vbt_n * 1e3
    print(f"vectorbt run_combs + from_signals: {vbt_n} combos in {vbt_s:.2f} s ({vbt_ms:.3f} ms/combo)")

    print(f"sweep: {len(pairs)} combos in {ours_s:.3f} s, {ours_ms:.4f} ms/combo, "
          f"speedup vs backtesting.py {bt_ms / ours_ms:.0f}x, vs vectorbt {vbt_ms / ours_ms:.1f}x")


if __name__ == "__main__":
    main()

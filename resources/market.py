"""Market data and backtesting resources."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

from reelquant.backtest.data import bundled_sample_path, load_ohlcv, load_symbol
from reelquant.backtest.engine import BacktestConfig
from reelquant.backtest.promotion import PromotionGates


class MarketDataResource(dg.ConfigurableResource):
    """OHLCV source: `bundled` (daily GOOG 2004-2013 shipped with the package) or a folder/file of CSV/Parquet."""

    source: str = "bundled"
    symbol: str = "GOOG"

    def load(self) -> pd.DataFrame:
        if self.source == "bundled":
            return load_ohlcv(bundled_sample_path())
        return load_symbol(Path(self.source).expanduser(), symbol=self.symbol)

    def describe(self) -> str:
        return f"{self.symbol} from {'the bundled sample' if self.source == 'bundled' else self.source}"


class BacktesterResource(dg.ConfigurableResource):
    """vectorbt backtests: cash, costs, the out-of-sample split, and the promotion gates."""

    init_cash: float = 10_000.0
    fees: float = 0.001
    slippage: float = 0.0005
    oos_fraction: float = 0.3
    freq: str = "1D"
    min_trades: int = 10
    min_oos_sharpe: float = 0.5
    max_drawdown: float = 0.35
    min_robustness_share: float = 0.6
    min_deflated_sharpe: float = 0.95
    walk_forward_windows: int = 4
    robustness_max_variants: int = 343

    def config(self) -> BacktestConfig:
        return BacktestConfig(
            init_cash=self.init_cash, fees=self.fees, slippage=self.slippage,
            oos_fraction=self.oos_fraction, freq=self.freq,
        )

    def gates(self) -> PromotionGates:
        return PromotionGates(
            min_trades=self.min_trades, min_oos_sharpe=self.min_oos_sharpe, max_drawdown=self.max_drawdown,
            min_robustness_share=self.min_robustness_share, min_deflated_sharpe=self.min_deflated_sharpe,
        )

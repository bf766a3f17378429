"""Market data (the instruments setups are tested on) and backtesting resources."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

from reelquant.backtest.data import bundled_sample_path, load_ohlcv, load_symbol
from reelquant.backtest.engine import BacktestConfig
from reelquant.backtest.promotion import PromotionGates
from reelquant.strategy.markets import Instrument, infer_timeframe, normalize_timeframe, timeframe_freq


class MarketDataResource(dg.ConfigurableResource):
    """The markets setups are tested on. `bundled`: every file shipped in the package's data folder (daily GOOG
    2004-2013, hourly EURUSD 2017-2018). A folder or file of CSV/Parquet: `symbol` plus any `symbols`, `<SYMBOL>.csv` or
    `<SYMBOL>.parquet` each. A market's bar size is read from its timestamps unless `timeframes` names it
    (`{"EURUSD": "1h"}`)."""

    source: str = "bundled"
    symbol: str = "GOOG"
    symbols: list[str] = []
    timeframes: dict[str, str] = {}

    def _instrument(self, symbol: str, bars: pd.DataFrame) -> Instrument:
        said = self.timeframes.get(symbol)
        return Instrument(symbol, normalize_timeframe(said) if said else infer_timeframe(bars.index), bars)

    def load_instruments(self) -> list[Instrument]:
        if self.source == "bundled":
            folder = bundled_sample_path().parent
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".csv", ".parquet", ".pq"))
            return [self._instrument(p.stem.upper(), load_ohlcv(p)) for p in files]
        source = Path(self.source).expanduser()
        wanted = list(dict.fromkeys([self.symbol, *self.symbols]))
        if source.is_file():  # one file is one market, whatever its name
            return [self._instrument(self.symbol, load_ohlcv(source))]
        return [self._instrument(sym, load_symbol(source, symbol=sym)) for sym in wanted]

    def describe(self) -> str:
        if self.source == "bundled":
            return "the bundled sample data"
        return f"{', '.join(dict.fromkeys([self.symbol, *self.symbols]))} from {self.source}"


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

    def config(self, timeframe: str | None = None) -> BacktestConfig:
        """The backtest settings; with a market's bar size, returns are read at that frequency."""
        return BacktestConfig(
            init_cash=self.init_cash, fees=self.fees, slippage=self.slippage,
            oos_fraction=self.oos_fraction, freq=timeframe_freq(timeframe) if timeframe else self.freq,
        )

    def gates(self) -> PromotionGates:
        return PromotionGates(
            min_trades=self.min_trades, min_oos_sharpe=self.min_oos_sharpe, max_drawdown=self.max_drawdown,
            min_robustness_share=self.min_robustness_share, min_deflated_sharpe=self.min_deflated_sharpe,
        )

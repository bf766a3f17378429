"""The vectorbt engine: next-bar-open fills, stops, segments, metrics, plots, and backtesting.py as an oracle."""

from __future__ import annotations

import io
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from reelquant.backtest.engine import (
    METRIC_NAMES,
    BacktestConfig,
    BacktestError,
    BacktestResult,
    plot_equity,
    run_backtest,
)
from reelquant.indicators import compute
from reelquant.strategy.spec import StrategySpec, load_specs

from .builders import cond, frame, ind, sma_cross, spec_of

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
# The team's labelled lessons live beside the checkout; a checkout without them is a broken setup, not a skip.
SHARED_LESSONS = Path(__file__).resolve().parents[2] / ".." / "shared" / "lessons"
NO_COSTS = BacktestConfig(fees=0.0, slippage=0.0, oos_fraction=0.3)


def _step_bars(n: int = 40) -> pd.DataFrame:
    """Flat at 100, up to 110 on bar 15, back to 100 from bar 25; every open differs from the previous close."""
    close = np.full(n, 100.0)
    close[15:25] = 110.0
    open_ = np.concatenate([[100.0], close[:-1] + 0.5])
    return frame(close.tolist(), open_=open_.tolist())


def test_signal_on_bar_t_fills_at_next_open() -> None:
    df = _step_bars()
    spec = spec_of([cond(ind("close"), ">", 105)], [cond(ind("close"), "<", 105)])
    config = BacktestConfig(fees=0.0, slippage=0.001, oos_fraction=0.2)
    result = run_backtest(spec, df, config)
    trades = result.trades
    assert len(trades) == 1
    trade = trades.iloc[0]
    assert trade["entry_time"] == df.index[16]
    assert trade["entry_price"] == pytest.approx(df["open"].iloc[16] * 1.001)
    assert trade["exit_time"] == df.index[26]
    assert trade["exit_price"] == pytest.approx(df["open"].iloc[26] * 0.999)
    assert result.equity.iloc[15] == pytest.approx(config.init_cash)


def test_fees_are_charged_on_both_fills() -> None:
    df = _step_bars()
    spec = spec_of([cond(ind("close"), ">", 105)], [cond(ind("close"), "<", 105)])
    free = run_backtest(spec, df, NO_COSTS)
    costly = run_backtest(spec, df, BacktestConfig(fees=0.01, slippage=0.0))
    entry, exit_ = df["open"].iloc[16], df["open"].iloc[26]
    assert free.metrics["full"]["total_return"] == pytest.approx(exit_ / entry - 1)
    expected = (1 - 0.01) / (1 + 0.01) * exit_ / entry - 1
    assert costly.metrics["full"]["total_return"] == pytest.approx(expected, rel=1e-9)


SIGNAL = 20  # the bar whose close first crosses above 100.5; the fill is on the next bar's open


def _stop_bars(lows: dict[int, float] | None = None, highs: dict[int, float] | None = None,
               opens: dict[int, float] | None = None) -> pd.DataFrame:
    """Flat at 100, then 101 from bar SIGNAL on, with a 1-point range; single bars changed as given."""
    n = 40
    close = np.full(n, 100.0)
    close[SIGNAL:] = 101.0
    open_ = close.copy()
    for i, v in (opens or {}).items():
        open_[i] = close[i] = v
    high, low = np.maximum(open_, close) + 0.5, np.minimum(open_, close) - 0.5
    for i, v in (lows or {}).items():
        low[i] = v
    for i, v in (highs or {}).items():
        high[i] = v
    return frame(close.tolist(), open_=open_.tolist(), high=high.tolist(), low=low.tolist())


ENTER = [cond(ind("close"), "crosses_above", 100.5)]


def test_stop_loss_exits_at_the_stop_price() -> None:
    df = _stop_bars(lows={24: 90.0})
    result = run_backtest(spec_of(ENTER, stop_loss_pct=5.0), df, NO_COSTS)
    trade = result.trades.iloc[0]
    assert trade["entry_time"] == df.index[SIGNAL + 1] and trade["entry_price"] == pytest.approx(101.0)
    assert trade["exit_time"] == df.index[24]
    assert trade["exit_price"] == pytest.approx(101.0 * 0.95)
    assert run_backtest(spec_of(ENTER), df, NO_COSTS).trades.iloc[0]["status"] == "open"


def test_stop_after_a_gap_fills_at_the_open() -> None:
    df = _stop_bars(opens={24: 90.0})
    trade = run_backtest(spec_of(ENTER, stop_loss_pct=5.0), df, NO_COSTS).trades.iloc[0]
    assert trade["exit_time"] == df.index[24]
    assert trade["exit_price"] == pytest.approx(90.0)


def test_take_profit_exits_at_the_target() -> None:
    df = _stop_bars(highs={23: 120.0})
    trade = run_backtest(spec_of(ENTER, take_profit_pct=10.0), df, NO_COSTS).trades.iloc[0]
    assert trade["exit_time"] == df.index[23]
    assert trade["exit_price"] == pytest.approx(101.0 * 1.10)


def test_trailing_stop_follows_the_peak() -> None:
    df = _stop_bars(opens={23: 115.0, 24: 116.0, 25: 115.0}, highs={24: 120.0}, lows={25: 107.0})
    trade = run_backtest(spec_of(ENTER, trailing_stop_pct=10.0), df, NO_COSTS).trades.iloc[0]
    fixed = run_backtest(spec_of(ENTER, stop_loss_pct=10.0), df, NO_COSTS).trades.iloc[0]
    assert trade["exit_time"] == df.index[25]
    assert trade["exit_price"] == pytest.approx(120.0 * 0.90)
    assert fixed["status"] == "open"


def test_atr_stop_uses_the_atr_known_at_the_signal() -> None:
    df = _stop_bars(lows={26: 80.0})
    trade = run_backtest(spec_of(ENTER, stop_loss_atr=2.0), df, NO_COSTS).trades.iloc[0]
    atr_at_signal = compute("atr", {"window": 14}, df).iloc[SIGNAL]
    assert 1 < atr_at_signal < 1.2
    assert trade["exit_time"] == df.index[26]
    # the distance is 2 ATR from the fill (101), with the ATR of the signal bar's close
    assert trade["exit_price"] == pytest.approx(101.0 - 2.0 * atr_at_signal)


@pytest.fixture(scope="module")
def sma_result(goog: pd.DataFrame) -> BacktestResult:
    return run_backtest(sma_cross(), goog, BacktestConfig())


def _assert_all_finite(result: BacktestResult) -> None:
    for segment in ("full", "in_sample", "out_of_sample"):
        metrics = result.metrics[segment]
        assert set(metrics) == set(METRIC_NAMES)
        for name, value in metrics.items():
            assert isinstance(value, float) and math.isfinite(value), (segment, name, value)


def test_metrics_on_goog_are_finite_and_consistent(sma_result: BacktestResult, goog: pd.DataFrame) -> None:
    _assert_all_finite(sma_result)
    full = sma_result.metrics["full"]
    assert full["trades"] == len(sma_result.trades) > 20
    assert full["total_return"] == pytest.approx(sma_result.equity.iloc[-1] / 10_000 - 1)
    assert 0 < full["max_drawdown"] < 1 and 0 < full["exposure"] < 1 and 0 <= full["win_rate"] <= 1
    assert full["buy_and_hold_return"] == pytest.approx(goog["close"].iloc[-1] / goog["close"].iloc[0] - 1)
    wins = sma_result.trades["pnl"].clip(lower=0).sum()
    losses = -sma_result.trades["pnl"].clip(upper=0).sum()
    assert full["profit_factor"] == pytest.approx(wins / losses)
    assert full["expectancy"] == pytest.approx(sma_result.trades["pnl"].mean())


def test_segments_trade_only_inside_themselves(sma_result: BacktestResult, goog: pd.DataFrame) -> None:
    split = sma_result.split_date
    assert split == goog.index[len(goog) - round(len(goog) * 0.3)]
    before = int((sma_result.trades["entry_time"] < split).sum())
    after = len(sma_result.trades) - before
    # in-sample starts like the full run, so it makes exactly the trades entered before the split
    assert sma_result.metrics["in_sample"]["trades"] == before
    # out-of-sample starts flat at the split, so it may take an entry the full run was too invested to take
    assert after <= sma_result.metrics["out_of_sample"]["trades"] <= after + 1
    # with warm-up enough for SMA(20), earlier history cannot change what happens out of sample
    n_oos = round(len(goog) * 0.3)
    late = run_backtest(sma_cross(), goog.iloc[-(n_oos + 40):], BacktestConfig(oos_fraction=n_oos / (n_oos + 40)))
    assert late.split_date == split
    assert late.metrics["out_of_sample"] == sma_result.metrics["out_of_sample"]


def test_no_trades_gives_zeros_not_nans(goog: pd.DataFrame) -> None:
    never = spec_of([cond(ind("close"), ">", 1e9)])
    result = run_backtest(never, goog)
    _assert_all_finite(result)
    full = result.metrics["full"]
    assert full["trades"] == 0 and full["total_return"] == 0 and full["exposure"] == 0
    assert full["win_rate"] == 0 and full["profit_factor"] == 0 and full["sharpe"] == 0
    assert full["buy_and_hold_return"] > 1


def test_entry_filter_drops_entries(goog: pd.DataFrame, sma_result: BacktestResult) -> None:
    none = run_backtest(sma_cross(), goog, entry_filter=pd.Series(False, index=goog.index))
    assert none.metrics["full"]["trades"] == 0 and none.filtered
    first_signal = sma_result.trades["entry_time"].iloc[0] - pd.offsets.BDay(0)
    signal_bar = goog.index[goog.index.get_loc(first_signal) - 1]
    skip_first = run_backtest(sma_cross(), goog, entry_filter=pd.Series(False, index=[signal_bar]))
    assert skip_first.trades["entry_time"].iloc[0] == sma_result.trades["entry_time"].iloc[1]


def test_to_dict_is_json_safe_and_plot_is_a_png(sma_result: BacktestResult) -> None:
    data = json.loads(json.dumps(sma_result.to_dict(), allow_nan=False))
    assert data["metrics"]["out_of_sample"]["trades"] == sma_result.metrics["out_of_sample"]["trades"]
    assert len(data["equity"]["values"]) == len(sma_result.equity)
    assert data["trades"][0]["entry_time"].startswith("2004")
    png = plot_equity(sma_result)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size[0] > 500


def test_user_errors_are_clear(goog: pd.DataFrame) -> None:
    with pytest.raises(BacktestError, match="not testable"):
        run_backtest(StrategySpec.untestable(["needs order book data"]), goog)
    with pytest.raises(BacktestError, match="oos_fraction must be between 0 and 1"):
        BacktestConfig(oos_fraction=1.5)
    with pytest.raises(BacktestError, match="needs at least 10"):
        run_backtest(sma_cross(), goog.iloc[:5])


def test_every_labelled_lesson_spec_backtests(goog: pd.DataFrame) -> None:
    """Every testable label, ours (v1, upgraded on load) and the team's (v2), runs on daily bars."""
    assert SHARED_LESSONS.is_dir(), f"{SHARED_LESSONS} is missing: check out the shared folder beside the repo"
    paths = sorted(LESSONS.glob("*.spec.json")) + sorted(SHARED_LESSONS.glob("*.spec.json"))
    specs = [s for p in paths for s in load_specs(json.loads(p.read_text()))]
    # Session VWAP needs intraday bars; those labels are run where such bars exist.
    daily = [s for s in specs if s.testable and s.timeframe in ("1d", "1w")]
    assert len(daily) >= 20
    assert any(s.short is not None for s in daily) and any(s.stops.any_set() for s in daily)
    for spec in daily:
        _assert_all_finite(run_backtest(spec, goog))


def test_every_hourly_lesson_spec_backtests_on_hourly_bars() -> None:
    """The team's hourly labels (session VWAP among them) on the bundled hourly EURUSD bars."""
    from reelquant.backtest.data import bundled_sample_path, load_ohlcv

    bars = load_ohlcv(bundled_sample_path("EURUSD"))
    specs = [s for p in sorted(SHARED_LESSONS.glob("*.spec.json")) for s in load_specs(json.loads(p.read_text()))]
    hourly = [s for s in specs if s.testable and s.timeframe == "1h"]
    assert any(o.indicator == "vwap" for s in hourly for o in s.operands())
    config = BacktestConfig(freq="1h")
    traded = 0
    for spec in hourly:
        result = run_backtest(spec, bars, config)
        _assert_all_finite(result)
        traded += result.metrics["full"]["trades"] > 0
    assert traded >= len(hourly) - 1


@pytest.mark.parametrize("direction", ["long", "reverse"])
def test_matches_backtesting_py_on_sma_crossover(goog: pd.DataFrame, direction: str) -> None:
    """Same commission, next-open fills, exclusive orders, whole shares from full cash."""
    import backtesting
    from backtesting.lib import crossover

    def sma(values: np.ndarray, n: int) -> pd.Series:
        return pd.Series(values).rolling(n).mean()

    class SmaCross(backtesting.Strategy):
        def init(self) -> None:
            self.fast = self.I(sma, self.data.Close, 10)
            self.slow = self.I(sma, self.data.Close, 20)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                self.buy()
            elif crossover(self.slow, self.fast):
                if direction == "long":
                    self.position.close()
                else:
                    self.sell()

    bars = goog.rename(columns=str.capitalize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the open last trade is counted below instead
        stats = backtesting.Backtest(bars, SmaCross, cash=10_000, commission=0.002, exclusive_orders=True).run()
    theirs_trades = int(stats["# Trades"]) + len(stats._strategy.trades)
    config = BacktestConfig(init_cash=10_000, fees=0.002, slippage=0.0, whole_shares=True)
    ours = run_backtest(sma_cross(direction=direction), goog, config)
    assert len(ours.trades) == theirs_trades > 40
    assert ours.equity.iloc[-1] == pytest.approx(float(stats["Equity Final [$]"]), rel=0.005)


@pytest.mark.parametrize(("stop_pct", "low", "high"), [(5.0, 30.0, 70.0), (3.0, 40.0, 60.0)])
def test_matches_backtesting_py_on_rsi_rule_with_percent_stop(goog: pd.DataFrame, stop_pct: float, low: float,
                                                              high: float) -> None:
    """Long when RSI(14) crosses up through `low`, out when it crosses up through `high` or at the stop.

    The stop sits `stop_pct` below the actual fill price from the bar after the fill on, filling at the
    stop price, or at the open when the bar gaps through it, in both engines.
    """
    import backtesting

    def rsi(values: np.ndarray, n: int) -> np.ndarray:
        return compute("rsi", {"window": n}, pd.DataFrame({"close": pd.Series(values)})).to_numpy()

    class RsiStop(backtesting.Strategy):
        def init(self) -> None:
            self.rsi = self.I(rsi, self.data.Close, 14)

        def next(self) -> None:
            for trade in self.trades:
                if trade.sl is None:
                    trade.sl = trade.entry_price * (1 - stop_pct / 100)
            now, before = self.rsi[-1], self.rsi[-2]
            if np.isnan(before):
                return
            if now > low >= before and not self.position:
                self.buy()
            elif now > high >= before and self.position:
                self.position.close()

    bars = goog.rename(columns=str.capitalize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        stats = backtesting.Backtest(bars, RsiStop, cash=10_000, commission=0.002, exclusive_orders=True).run()
    theirs = stats._trades
    theirs_trades = len(theirs) + len(stats._strategy.trades)
    rsi_ind = ind("rsi", window=14)
    spec = spec_of([cond(rsi_ind, "crosses_above", low)], [cond(rsi_ind, "crosses_above", high)],
                   stop_loss_pct=stop_pct)
    ours = run_backtest(spec, goog, BacktestConfig(init_cash=10_000, fees=0.002, slippage=0.0, whole_shares=True))
    assert len(ours.trades) == theirs_trades > 15
    stopped = ours.trades["exit_price"] <= ours.trades["entry_price"] * (1 - stop_pct / 100) + 1e-9
    assert stopped.sum() >= 10  # the stop decides many of the exits, so the comparison covers it
    assert ours.equity.iloc[-1] == pytest.approx(float(stats["Equity Final [$]"]), rel=0.005)


@pytest.mark.parametrize("direction", ["long", "short"])
def test_matches_backtesting_py_on_a_time_exit_with_a_percent_stop(goog: pd.DataFrame, direction: str) -> None:
    """RSI(2) reversion, long under 10 or short over 90, out over 70 / under 30, after 5 bars, or at a 3 % stop.

    backtesting.py decides on each close and fills at the next open, as here: a trade filled on bar e is
    closed by the order placed on the close of bar e + 4 (five bars held), filling at bar e + 5's open.
    """
    import backtesting
    long = direction == "long"
    held, stop = 5, 0.03

    def rsi(values: np.ndarray, n: int) -> np.ndarray:
        return compute("rsi", {"window": n}, pd.DataFrame({"close": pd.Series(values)})).to_numpy()

    class RsiTime(backtesting.Strategy):
        def init(self) -> None:
            self.rsi = self.I(rsi, self.data.Close, 2)

        def next(self) -> None:
            for trade in self.trades:
                if trade.sl is None:
                    trade.sl = trade.entry_price * (1 - stop if long else 1 + stop)
            now = self.rsi[-1]
            if np.isnan(now):
                return
            if self.position:
                timed_out = len(self.data) - self.trades[-1].entry_bar >= held
                if timed_out or (now > 70 if long else now < 30):
                    self.position.close()
            elif now < 10 if long else now > 90:
                self.buy() if long else self.sell()

    bars = goog.rename(columns=str.capitalize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        stats = backtesting.Backtest(bars, RsiTime, cash=10_000, commission=0.002, exclusive_orders=True).run()
    theirs_trades = len(stats._trades) + len(stats._strategy.trades)
    rsi2 = ind("rsi", window=2)
    spec = spec_of([cond(rsi2, "<" if long else ">", 10 if long else 90)],
                   [cond(rsi2, ">" if long else "<", 70 if long else 30)], direction=direction,
                   stop_loss_pct=stop * 100, max_bars_held=held)
    # backtesting.py first calls next() on bar 3, one bar after RSI(2)'s first value: no decision before that.
    first_call = pd.Series(np.arange(len(goog)) >= 3, index=goog.index)
    ours = run_backtest(spec, goog, BacktestConfig(init_cash=10_000, fees=0.002, slippage=0.0, whole_shares=True),
                        entry_filter=first_call)
    assert len(ours.trades) == theirs_trades > 40
    held_bars = [goog.index.get_loc(x) - goog.index.get_loc(e) for e, x in
                 zip(ours.trades["entry_time"], ours.trades["exit_time"], strict=True) if isinstance(x, pd.Timestamp)]
    assert max(held_bars) == held and held_bars.count(held) >= 5  # the time exit decides several trades
    closed = stats._trades
    assert list(ours.trades["entry_time"].iloc[:len(closed)]) == list(closed["EntryTime"])
    assert list(ours.trades["exit_time"].iloc[:len(closed)]) == list(closed["ExitTime"])
    assert ours.equity.iloc[-1] == pytest.approx(float(stats["Equity Final [$]"]), rel=1e-9)

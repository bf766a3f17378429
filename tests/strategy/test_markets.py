"""Which setup runs on which market: bar sizes read from the data, intraday-only indicators, reasons for skips."""

from __future__ import annotations

import pandas as pd
import pytest

from reelquant.strategy.markets import (
    Instrument,
    TimeframeError,
    infer_timeframe,
    match_instruments,
    normalize_timeframe,
    timeframe_freq,
)
from reelquant.strategy.spec import StrategySpec


def _bars(freq: str, n: int = 50) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=n, freq=freq)
    return pd.DataFrame({"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0}, index=index)


def _spec(timeframe: str, left: str = "close", right: str = "sma") -> StrategySpec:
    cond = {"left": {"indicator": left}, "op": ">", "right": {"indicator": right}}
    return StrategySpec.from_dict({"version": 2, "testable": True, "timeframe": timeframe,
                                   "long": {"entry": {"all": [cond]}}})


@pytest.mark.parametrize(("text", "tf"), [("1d", "1d"), ("1D", "1d"), ("daily", "1d"), ("60m", "1h"),
                                          ("4 hours", "4h"), ("15m", "15m"), ("weekly", "1w"), ("24h", "1d")])
def test_bar_sizes_are_written_one_way(text: str, tf: str) -> None:
    assert normalize_timeframe(text) == tf


def test_a_bar_size_that_is_not_one_says_how_to_write_it() -> None:
    with pytest.raises(TimeframeError, match="15m, 1h, 1d or 1w"):
        normalize_timeframe("tick")
    assert timeframe_freq("15m") == "15min" and timeframe_freq("1d") == "1D"


@pytest.mark.parametrize(("freq", "tf"), [("B", "1d"), ("h", "1h"), ("15min", "15m"), ("W-FRI", "1w")])
def test_the_bar_size_is_read_from_the_timestamps(freq: str, tf: str) -> None:
    assert infer_timeframe(_bars(freq).index) == tf


def test_a_setup_runs_only_where_its_bars_are() -> None:
    daily, hourly = Instrument("GOOG", "1d", _bars("B")), Instrument("EURUSD", "1h", _bars("h"))
    assert match_instruments(_spec("1d"), [daily, hourly]) == {
        "GOOG 1d": None, "EURUSD 1h": "the setup reads 1d bars and EURUSD 1h has 1h bars"}
    vwap_daily = match_instruments(_spec("1d", right="vwap"), [daily])
    assert vwap_daily["GOOG 1d"] == "vwap needs intraday bars and GOOG 1d has daily or longer bars"
    assert match_instruments(_spec("1h", right="vwap"), [daily, hourly])["EURUSD 1h"] is None


def test_a_bar_size_no_market_has_says_what_data_to_add() -> None:
    reasons = match_instruments(_spec("15m"), [Instrument("GOOG", "1d", _bars("B"))])
    assert "no configured market has 15m bars (have GOOG 1d): add 15m data" in reasons["GOOG 1d"]
    untestable = match_instruments(StrategySpec.untestable(["needs order book"]), [Instrument("G", "1d", _bars("B"))])
    assert untestable == {"G 1d": "the setup is not testable: needs order book"}

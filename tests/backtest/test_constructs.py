"""Each StrategySpec v2 construct on bars small enough to work the trades out by hand, and free of lookahead.

Bars are built so that every decision is visible in the prices: unless a test says otherwise the open is
the previous close, so a fill at bar i's open happens at close[i - 1]. Signals decided on bar t fill at
bar t + 1's open; stops fill inside the bar at the stop level (or at the open when the bar gaps through).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from reelquant.backtest.engine import BacktestConfig, run_backtest
from reelquant.backtest.signals import SIGNAL_NAMES, compile_signals
from reelquant.strategy.spec import StrategySpec

from .builders import both_of, cond, frame, ind, side, spec_of

NO_COSTS = BacktestConfig(fees=0.0, slippage=0.0)
OPEN = None  # exit index of a trade still open at the end


def bars(close: list[float], high: dict[int, float] | None = None, low: dict[int, float] | None = None,
         open_: dict[int, float] | None = None, volume: list[float] | None = None,
         spread: float = 0.0) -> pd.DataFrame:
    """Bars whose open is the previous close (the first opens at its close), high and low `spread` beyond
    the body, with single values replaced as given."""
    c = np.asarray(close, dtype=float)
    o = np.concatenate([[c[0]], c[:-1]])
    for i, v in (open_ or {}).items():
        o[i] = v
    h = np.maximum(o, c) + spread
    lo = np.minimum(o, c) - spread
    for i, v in (high or {}).items():
        h[i] = v
    for i, v in (low or {}).items():
        lo[i] = v
    return frame(c.tolist(), open_=o.tolist(), high=h.tolist(), low=lo.tolist(), volume=volume)


def trades_of(spec: StrategySpec, df: pd.DataFrame, config: BacktestConfig = NO_COSTS) -> list[tuple]:
    """(entry bar, exit bar or OPEN, direction, entry price, exit price or nan) of every trade, in order."""
    trades = run_backtest(spec, df, config).trades
    out = []
    for row in trades.itertuples():
        exit_i = OPEN if row.status == "open" else int(df.index.get_loc(row.exit_time))
        out.append((int(df.index.get_loc(row.entry_time)), exit_i, row.direction, round(row.entry_price, 9),
                    round(row.exit_price, 9) if exit_i is not OPEN else math.nan))
    return out


def assert_trades(got: list[tuple], expected: list[tuple]) -> None:
    assert len(got) == len(expected), got
    for g, e in zip(got, expected, strict=True):
        assert g[:3] == e[:3], (got, expected)
        assert g[3] == pytest.approx(e[3], rel=1e-12), (got, expected)
        if e[1] is not OPEN:
            assert g[4] == pytest.approx(e[4], rel=1e-12), (got, expected)


def true_at(s: pd.Series) -> list[int]:
    return [int(i) for i in np.flatnonzero(s.to_numpy())]


# ---------------------------------------------------------------- short side, both sides, stop-and-reverse

FALL = [100.0] * 10 + [99.0] * 10  # closes under 99.5 from bar 10: a short signal there fills at bar 11


def test_short_with_a_mirrored_percent_stop() -> None:
    """Short at 99 on bar 11; a 5 % stop sits above the entry, at 103.95, and bar 14's high reaches it."""
    spec = spec_of([cond(ind("close"), "crosses_below", 99.5)], direction="short", stop_loss_pct=5.0)
    df = bars(FALL, high={14: 105.0}, spread=0.5)
    assert spec.long is None
    assert_trades(trades_of(spec, df), [(11, 14, "short", 99.0, 99.0 * 1.05)])
    # a gap through the stop fills at the open, above the stop
    gapped = bars(FALL, open_={14: 106.0}, high={14: 106.5}, spread=0.5)
    assert_trades(trades_of(spec, gapped), [(11, 14, "short", 99.0, 106.0)])
    # the same move down does not touch a short's stop
    assert_trades(trades_of(spec, bars(FALL, low={14: 90.0}, spread=0.5)), [(11, OPEN, "short", 99.0, 0)])


# Up through 101 at bar 5, back under 100.5 at bar 8, down through 99 at bar 10, back over 99.5 at bar 13.
BOTH = [100.0, 100, 100, 100, 100, 102, 102, 102, 100, 100, 98, 98, 98, 100, 100, 100]


def test_both_sides_mirrored_trade_each_side_on_its_own_rules() -> None:
    long = side([cond(ind("close"), "crosses_above", 101)], [cond(ind("close"), "crosses_below", 100.5)])
    short = side([cond(ind("close"), "crosses_below", 99)], [cond(ind("close"), "crosses_above", 99.5)])
    spec = both_of(long, short)
    assert not spec.is_stop_and_reverse() and spec.direction == "both"
    df = bars(BOTH)
    assert_trades(trades_of(spec, df), [(6, 9, "long", 102.0, 100.0), (11, 14, "short", 98.0, 100.0)])
    # slippage moves every fill against the trade: a short sells lower and covers higher
    slip = BacktestConfig(fees=0.0, slippage=0.01)
    assert_trades(trades_of(spec, df, slip), [(6, 9, "long", 102.0 * 1.01, 100.0 * 0.99),
                                              (11, 14, "short", 98.0 * 0.99, 100.0 * 1.01)])


# Up through 101 at bar 5, down through 99 at bar 7, up again at bar 10.
FLIP = [100.0, 100, 100, 100, 100, 102, 102, 98, 98, 98, 102, 102, 102, 102]


def test_stop_and_reverse_flips_the_position_on_one_bar() -> None:
    spec = spec_of([cond(ind("close"), "crosses_above", 101)], [cond(ind("close"), "crosses_below", 99)],
                   direction="reverse")
    assert spec.is_stop_and_reverse()
    df = bars(FLIP)
    assert_trades(trades_of(spec, df), [(6, 8, "long", 102.0, 98.0), (8, 11, "short", 98.0, 102.0),
                                        (11, OPEN, "long", 102.0, 0)])
    result = run_backtest(spec, df, NO_COSTS)
    sizes = result.trades["size"].to_numpy()
    # all cash in: 10,000 / 102 shares long, sold at 98 and the proceeds shorted at 98, covered at 102
    assert sizes[0] == pytest.approx(10_000 / 102)
    assert sizes[1] == pytest.approx(sizes[0] * 98 / 98)
    cash_after_cover = sizes[0] * 98 - sizes[1] * (102 - 98)
    assert sizes[2] == pytest.approx(cash_after_cover / 102)
    # never flat after the first fill: the exposure covers every bar from bar 6 on
    assert result.metrics["full"]["exposure"] == pytest.approx((len(df) - 6) / len(df))


# ---------------------------------------------------------------- offset, scale, for_bars, source

# RSI(2) falls exactly on a lower close and rises on a higher one (Wilder's averages move that way), and
# stays put on an unchanged close: down days at 4, 8 and 9, up days at 6, 7, 10 and 11. Bar 3 is up too,
# but with no loss yet RSI is pinned at 100 on bars 2 and 3, so it does not rise.
RSI_PATH = [10.0, 11, 12, 13, 12, 12, 13, 14, 13, 12, 13, 14]


def test_offset_compares_with_the_previous_bar() -> None:
    rsi = ind("rsi", window=2)
    spec = spec_of([cond(rsi, "<", ind("rsi", offset=1, window=2))], [cond(rsi, ">", ind("rsi", offset=1, window=2))])
    df = bars(RSI_PATH)
    signals = compile_signals(spec, df)
    assert true_at(signals.long_entries) == [4, 8, 9]
    assert true_at(signals.long_exits) == [6, 7, 10, 11]
    assert_trades(trades_of(spec, df), [(5, 7, "long", 12.0, 13.0), (9, 11, "long", 13.0, 13.0)])


# SMA(3) at bar 3 is 99.33 (close 98 under it, not 5 % under); at bar 4 it is 96 and 90 < 0.95 * 96 = 91.2;
# at bar 6 the close of 100 is back over SMA(3) = 94.67.
SCALE_PATH = [100.0, 100, 100, 98, 90, 94, 100, 100, 100, 100, 100, 100]


def test_scale_puts_the_level_five_percent_under_the_average() -> None:
    sma = ind("sma", window=3)
    spec = spec_of([cond(ind("close"), "<", ind("sma", scale=0.95, window=3))], [cond(ind("close"), ">", sma)])
    df = bars(SCALE_PATH)
    signals = compile_signals(spec, df)
    assert true_at(signals.long_entries) == [4]
    assert true_at(signals.long_exits) == [6, 7]
    assert_trades(trades_of(spec, df), [(5, 7, "long", 90.0, 100.0)])
    unscaled = spec_of([cond(ind("close"), "<", sma)], [cond(ind("close"), ">", sma)])
    assert true_at(compile_signals(unscaled, df).long_entries) == [3, 4]


# One close under 99 at bar 2, then two in a row at bars 4 and 5 (and a third at 6); out over 100 at bar 7.
FOR_BARS_PATH = [100.0, 100, 98, 100, 98, 98, 97, 101, 101, 101, 101, 101]


def test_for_bars_needs_the_comparison_on_consecutive_bars() -> None:
    spec = spec_of([cond(ind("close"), "<", 99, for_bars=2)], [cond(ind("close"), ">", 100)])
    df = bars(FOR_BARS_PATH)
    assert true_at(compile_signals(spec, df).long_entries) == [5, 6]
    assert_trades(trades_of(spec, df), [(6, 8, "long", 98.0, 101.0)])


def test_for_bars_on_a_cross_is_a_confirmed_cross() -> None:
    """Crossed above 100 at bars 1, 3 and 7; only the cross at 3 stayed above on the next bar."""
    df = bars([99.0, 101, 99, 101, 102, 99, 99, 101, 100, 100, 100, 100])
    c2 = cond(ind("close"), "crosses_above", 100, for_bars=2)
    spec = spec_of([c2], [cond(ind("close"), "<", 99.5)])
    signals = compile_signals(spec, df)
    assert true_at(compile_signals(spec_of([cond(ind("close"), "crosses_above", 100)]), df).long_entries) == [1, 3, 7]
    assert true_at(signals.long_entries) == [4]
    assert_trades(trades_of(spec, df), [(5, 6, "long", 102.0, 99.0)])


# Volume SMA(3) at bar 4 is 1,500, so 2,500 clears 1.5 x 1,500 = 2,250; at bar 5 3,000 < 1.5 x 2,166.67.
# At bars 6 and 7 volume 1,000 is under its average (2,166.67, then 1,666.67).
VOLUME = [1000.0, 1000, 1000, 1000, 2500, 3000, 1000, 1000, 1000, 1000, 1000, 1000]


def test_source_volume_average() -> None:
    avg = ind("sma", window=3, source="volume")
    spec = spec_of([cond(ind("volume"), ">", ind("sma", scale=1.5, window=3, source="volume"))],
                   [cond(ind("volume"), "<", avg)])
    df = bars([100.0 + i for i in range(12)], volume=VOLUME)
    signals = compile_signals(spec, df)
    assert true_at(signals.long_entries) == [4]
    assert true_at(signals.long_exits) == [6, 7]
    assert_trades(trades_of(spec, df), [(5, 7, "long", 104.0, 106.0)])


# ---------------------------------------------------------------- time exit and stops

RISING = [100.0, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114]


def test_max_bars_held_closes_after_n_bars() -> None:
    """In at bar 3, three bars held (3, 4, 5), out at bar 6's open; the entry still holds, so in again."""
    spec = spec_of([cond(ind("close"), ">", 100)], max_bars_held=3)
    df = bars(RISING)
    assert_trades(trades_of(spec, df), [(3, 6, "long", 101.0, 104.0), (7, 10, "long", 105.0, 108.0),
                                        (11, 14, "long", 109.0, 112.0), (15, OPEN, "long", 113.0, 0)])
    short = spec_of([cond(ind("close"), "<", 100)], direction="short", max_bars_held=2)
    falling = bars([200.0 - c for c in RISING])
    assert_trades(trades_of(short, falling)[:2], [(3, 5, "short", 99.0, 97.0), (6, 8, "short", 96.0, 94.0)])


def test_a_stop_before_the_time_exit_restarts_the_count() -> None:
    """Stopped out on bar 4 (low 95 under 101 x 0.95); back in at bar 5, which counts as the new bar one."""
    spec = spec_of([cond(ind("close"), ">", 100)], stop_loss_pct=5.0, max_bars_held=3)
    df = bars(RISING, low={4: 95.0})
    assert_trades(trades_of(spec, df)[:2], [(3, 4, "long", 101.0, 101.0 * 0.95), (5, 8, "long", 103.0, 106.0)])


# Flat at 100 with a 1-point range, so ATR(10) is 1 from bar 9; bar 12 opens at 100 and closes at 101 (a
# range of 99.5 to 101.5, true range 2), so ATR(10) = 1 + (2 - 1) / 10 = 1.1 at the signal bar, and the fill
# at bar 13's open is 101.
ATR_PATH = [100.0] * 12 + [101.0] * 10


def test_atr_stops_use_the_atr_of_the_signal_bar() -> None:
    enter = [cond(ind("close"), "crosses_above", 100.5)]
    stops = {"stop_loss_atr": 2.0, "take_profit_atr": 3.0, "atr_window": 10}
    spec = spec_of(enter, **stops)
    # a wide bar after the fill raises later ATRs; the stops stay where the signal bar put them
    wide = {15: 103.0}
    target = bars(ATR_PATH, high={**wide, 17: 105.0}, low={15: 99.0}, spread=0.5)
    assert_trades(trades_of(spec, target), [(13, 17, "long", 101.0, 101.0 + 3 * 1.1)])
    stopped = bars(ATR_PATH, high=wide, low={15: 99.0, 17: 98.0}, spread=0.5)
    assert_trades(trades_of(spec, stopped), [(13, 17, "long", 101.0, 101.0 - 2 * 1.1)])
    # the default ATR(14) is still warming up at bar 12 (its first value is at bar 13): no ATR stop yet
    default = spec_of(enter, stop_loss_atr=2.0, take_profit_atr=3.0)
    assert_trades(trades_of(default, stopped), [(13, OPEN, "long", 101.0, 0)])
    # mirrored for a short: under 99.5 at bar 12 with ATR(10) 1.1, stop 2 ATR above the fill at 99
    short = spec_of([cond(ind("close"), "crosses_below", 99.5)], direction="short", **stops)
    down = [100.0] * 12 + [99.0] * 10
    assert_trades(trades_of(short, bars(down, high={17: 102.0}, spread=0.5)),
                  [(13, 17, "short", 99.0, 99.0 + 2 * 1.1)])
    assert_trades(trades_of(short, bars(down, low={17: 95.0}, spread=0.5)),
                  [(13, 17, "short", 99.0, 99.0 - 3 * 1.1)])


def test_trailing_stop_on_a_short_follows_the_trough() -> None:
    """Short at 99 on bar 11; bar 12 trades down to 95, so the 5 % trail sits at 99.75 and bar 13 hits it."""
    spec = spec_of([cond(ind("close"), "crosses_below", 99.5)], direction="short", trailing_stop_pct=5.0)
    close = FALL.copy()
    close[12], close[13] = 96.0, 97.0
    df = bars(close, low={12: 95.0}, high={13: 100.0}, open_={13: 96.0}, spread=0.5)
    assert_trades(trades_of(spec, df), [(11, 13, "short", 99.0, 95.0 * 1.05)])
    fixed = spec_of([cond(ind("close"), "crosses_below", 99.5)], direction="short", stop_loss_pct=5.0)
    assert trades_of(fixed, df)[0][1] is OPEN  # 99 x 1.05 = 103.95 is never reached


def test_fixed_and_trailing_stops_together_take_the_nearer_level() -> None:
    """Long at 101 on bar 21: the 3 % fixed stop (97.97) is nearer than the 10 % trail until the high of
    120 on bar 23 lifts the trail to 108, which bar 24 (open 115, low 107) then hits."""
    close = [100.0] * 20 + [101.0] * 10
    spec = spec_of([cond(ind("close"), "crosses_above", 100.5)], stop_loss_pct=3.0, trailing_stop_pct=10.0)
    early = bars(close, low={22: 97.0}, spread=0.5)
    assert_trades(trades_of(spec, early), [(21, 22, "long", 101.0, 101.0 * 0.97)])
    close[23], close[24] = 115.0, 110.0
    late = bars(close, high={23: 120.0}, low={24: 107.0}, spread=0.5)
    assert_trades(trades_of(spec, late), [(21, 24, "long", 101.0, 108.0)])


def test_an_order_at_the_open_comes_before_a_stop_inside_the_bar() -> None:
    """Long at 101 on bar 21 with a 5 % stop (95.95). Bar 24 closes at 100.6, under 100.8: the exit fills at
    bar 25's open (100.6), although bar 25 then trades down to 90 through the stop. The same holds for a
    time exit, and for a stop-and-reverse's flip."""
    close = [100.0] * 20 + [101.0] * 10
    close[24] = 100.6
    df = bars(close, low={25: 90.0}, spread=0.5)
    enter = [cond(ind("close"), "crosses_above", 100.5)]
    leave = [cond(ind("close"), "<", 100.8)]
    assert_trades(trades_of(spec_of(enter, leave, stop_loss_pct=5.0), df)[:1], [(21, 25, "long", 101.0, 100.6)])
    assert_trades(trades_of(spec_of(enter, stop_loss_pct=5.0), df), [(21, 25, "long", 101.0, 101.0 * 0.95)])
    timed = spec_of(enter, stop_loss_pct=5.0, max_bars_held=4)
    assert_trades(trades_of(timed, df)[:1], [(21, 25, "long", 101.0, 100.6)])
    flip = spec_of(enter, leave, direction="reverse", stop_loss_pct=5.0)
    # (the flip's short side is open from bar 1, under 100.8 from the start, until the long entry)
    assert_trades(trades_of(flip, df), [(1, 21, "short", 100.0, 101.0), (21, 25, "long", 101.0, 100.6),
                                        (25, OPEN, "short", 100.6, 0)])


# ---------------------------------------------------------------- no lookahead, construct by construct

RSI2 = ind("rsi", window=2)
CONSTRUCTS: dict[str, StrategySpec] = {
    "short_pct_stop": spec_of([cond(RSI2, "crosses_below", 80)], [cond(RSI2, "<", 30)], direction="short",
                              stop_loss_pct=3.0),
    "both_sides": both_of(side([cond(RSI2, "<", 10)], [cond(RSI2, ">", 60)]),
                          side([cond(RSI2, ">", 90)], [cond(RSI2, "<", 40)])),
    "stop_and_reverse": spec_of([cond(ind("ema", window=10), "crosses_above", ind("sma", window=30))],
                                [cond(ind("ema", window=10), "crosses_below", ind("sma", window=30))],
                                direction="reverse"),
    "offset": spec_of([cond(RSI2, "<", ind("rsi", offset=1, window=2)), cond(RSI2, "<", 20)],
                      [cond(RSI2, ">", ind("rsi", offset=1, window=2))]),
    "scale": spec_of([cond(ind("close"), "<", ind("sma", scale=0.97, window=20))],
                     [cond(ind("close"), ">", ind("sma", window=20))]),
    "for_bars": spec_of([cond(ind("close"), "<", ind("sma", window=10), for_bars=2)],
                        [cond(ind("close"), "crosses_above", ind("sma", window=10), for_bars=2)]),
    "source_volume": spec_of([cond(ind("volume"), ">", ind("sma", scale=1.5, window=50, source="volume")),
                              cond(ind("close"), ">", ind("open"))], max_bars_held=5),
    "max_bars_held": spec_of([cond(RSI2, "<", 15)], [cond(RSI2, ">", 90)], max_bars_held=4),
    "atr_stops": spec_of([cond(ind("close"), ">", ind("highest_high", window=20))],
                         stop_loss_atr=2.0, take_profit_atr=3.0, atr_window=10),
    "short_trailing": spec_of([cond(ind("close"), "<", ind("lowest_low", window=20))], direction="short",
                              trailing_stop_pct=4.0),
}


@pytest.mark.parametrize("name", list(CONSTRUCTS))
def test_truncating_later_bars_changes_nothing_before(goog: pd.DataFrame, name: str) -> None:
    """Signals up to bar t, trades closed by t, and trades open at t are the same with or without the
    bars after t (which here are not just cut off but replaced by other prices)."""
    spec = CONSTRUCTS[name]
    full = run_backtest(spec, goog, NO_COSTS)
    assert len(full.trades) >= 5, name  # the construct trades, so the comparison covers it
    signals = compile_signals(spec, goog)
    for t in (700, 1234, 1801):
        cut = goog.iloc[: t + 1]
        cut_signals = compile_signals(spec, cut)
        for field in SIGNAL_NAMES:
            pd.testing.assert_series_equal(getattr(cut_signals, field), getattr(signals, field).iloc[: t + 1])
        ours = run_backtest(spec, cut, NO_COSTS).trades
        theirs = full.trades[full.trades["entry_time"] <= goog.index[t]].reset_index(drop=True)
        assert len(ours) == len(theirs)
        closed = ours["status"] == "closed"
        cols = ["entry_time", "exit_time", "direction", "size", "entry_price", "exit_price", "pnl"]
        pd.testing.assert_frame_equal(ours.loc[closed, cols], theirs.loc[closed, cols])
        # a trade open at t is the same trade in the full run, closed later or still open
        still_open = ours.loc[~closed, ["entry_time", "direction", "size", "entry_price"]]
        pd.testing.assert_frame_equal(still_open, theirs.loc[~closed, still_open.columns])
        assert (theirs.loc[~closed, "exit_time"].isna() | (theirs.loc[~closed, "exit_time"] > goog.index[t])).all()

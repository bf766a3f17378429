"""The rule reader end to end: phrasings teachers use, each in several voices, written and as heard.

Each test states a small lesson and the conditions a careful trader writes down for it; conditions are
compared as `Condition.describe()` strings so a failure shows what was read.
"""

from __future__ import annotations

import pytest

from reelquant.speech.transcript import Segment, Transcript, Word, transcript_from_text
from reelquant.strategy.spec import StrategySpec
from reelquant.text.rules import EXTRACTOR_NAME, NO_RULE, Reading, build_specs, extract_specs, read_lesson

from .asr_like import asr_like


def specs(text: str, heard: bool = False) -> list[StrategySpec]:
    return extract_specs(transcript_from_text(asr_like(text) if heard else text))


def one(text: str, heard: bool = False) -> StrategySpec:
    got = specs(text, heard)
    assert len(got) == 1, [s.summary() for s in got]
    return got[0]


def part(spec: StrategySpec, name: str) -> set[str]:
    side, which = name.split(".")
    s = getattr(spec, side)
    return set() if s is None else {c.describe() for c in getattr(s, which).conditions}


BOTH = pytest.mark.parametrize("heard", [False, True], ids=["written", "heard"])


# ---------------------------------------------------------------- operands and their settings


@BOTH
@pytest.mark.parametrize(
    "text",
    [
        "The closing price has to be above the two hundred day simple moving average. We use a two period RSI, "
        "and we buy when it drops below ten. We sell when the close is above the five day simple moving average.",
        "Trend first: price above the 200-day SMA. Then RSI(2) under 10, I buy. I get out when price closes above "
        "the 5-day simple moving average.",
        "Only in uptrends, meaning the close must be over the 200 day simple moving average. The 2-period RSI has "
        "to fall below 10, then you buy. Exit once the close gets above the 5 day simple moving average.",
    ],
)
def test_two_period_rsi_pullback_in_three_voices(text: str, heard: bool) -> None:
    spec = one(text, heard)
    assert part(spec, "long.entry") == {"close > sma(200)", "rsi(2) < 10"}
    assert part(spec, "long.exit") == {"close > sma(5)"}
    assert spec.short is None


@BOTH
@pytest.mark.parametrize(
    "text",
    [
        "I use the nine EMA and the twenty one EMA. When the nine crosses over the twenty one, I go long. When the "
        "nine crosses back under the twenty one, I'm out.",
        "Two exponential averages, 9 and 21... the 9 EMA and the 21 EMA. The 9 crosses above the 21: buy. "
        "The 9 crosses below the 21: sell.",
    ],
)
def test_bare_numbers_name_the_averages_already_named(text: str, heard: bool) -> None:
    spec = one(text, heard)
    assert part(spec, "long.entry") == {"ema(9) crosses_above ema(21)"}
    assert part(spec, "long.exit") == {"ema(9) crosses_below ema(21)"}


@pytest.mark.parametrize(
    ("said", "operand"),
    [
        ("the 9 EMA", "ema(9)"),
        ("RSI two", "rsi(2)"),
        ("the 2-period RSI", "rsi(2)"),
        ("RSI(14)", "rsi(14)"),
        ("the fifty day simple moving average", "sma(50)"),
        ("the twenty-one EMA", "ema(21)"),
        ("the ten day weighted moving average", "wma(10)"),
        ("the commodity channel index", "cci(20)"),
    ],
)
def test_an_indicator_and_its_setting_said_many_ways(said: str, operand: str) -> None:
    spec = one(f"I buy when the close is above {said}. I sell when the close is below {said}.")
    left = "close" if operand.split("(")[0] in ("ema", "sma", "wma") else None
    if left:
        assert part(spec, "long.entry") == {f"close > {operand}"}
    else:  # an oscillator against a price reads nothing: the scales differ
        assert spec.testable is False


@pytest.mark.parametrize(
    ("said", "line", "signal"),
    [
        ("MACD 12 26 9", "macd(12,26,9)", "macd_signal(12,26,9)"),
        ("the MACD with the standard settings", "macd(12,26,9)", "macd_signal(12,26,9)"),
        ("MACD five, thirty five, five", "macd(5,35,5)", "macd_signal(5,35,5)"),
    ],
)
def test_macd_settings_said_once_are_used_for_every_line(said: str, line: str, signal: str) -> None:
    spec = one(
        f"I trade {said}. Buy when the MACD line crosses above the signal line. Sell when the MACD "
        "line crosses below the signal line."
    )
    assert part(spec, "long.entry") == {f"{line} crosses_above {signal}"}


def test_default_settings_are_filled_in_and_listed_as_assumptions() -> None:
    spec = one(
        "Put Bollinger Bands on a daily chart with the default settings. Buy when the price closes "
        "below the lower band. Sell when it closes above the middle band."
    )
    assert part(spec, "long.entry") == {"close < bb_lower(20,2)"}
    assert any("default" in a.lower() for a in spec.assumptions)


@BOTH
def test_bollinger_and_keltner_settings_said_as_numbers(heard: bool) -> None:
    spec = one(
        "Bollinger 20 and 2.5 on the daily. When price closes under the lower band, I buy. When price "
        "closes over the middle band, I sell.",
        heard,
    )
    assert part(spec, "long.entry") == {"close < bb_lower(20,2.5)"}
    spec = one(
        "Keltner channels, 20 and 1.5. Short when price closes below the lower Keltner channel. Cover "
        "when price closes above the middle line.",
        heard,
    )
    assert part(spec, "short.entry") == {"close < keltner_lower(20,1.5)"}
    assert part(spec, "short.exit") == {"close > keltner_middle(20,1.5)"}


def test_stochastic_said_with_two_numbers_and_both_of_them() -> None:
    spec = one(
        "Stochastic 14 3 on the daily. When percent K crosses above percent D, and both of them are "
        "under twenty, I buy. I sell when percent K gets above eighty."
    )
    assert part(spec, "long.entry") == {
        "stoch_k(14,3) crosses_above stoch_d(14,3)",
        "stoch_k(14,3) < 20",
        "stoch_d(14,3) < 20",
    }
    assert part(spec, "long.exit") == {"stoch_k(14,3) > 80"}


@pytest.mark.parametrize(
    ("said", "want"),
    [
        ("today's close is below yesterday's low", "close < low[1]"),
        ("the close is under the low of the day before", "close < low[1]"),
        ("the RSI is lower than it was the day before", "rsi(14) < rsi(14)[1]"),
        ("the OBV is higher than it was 20 days ago", "obv > obv[20]"),
    ],
)
def test_offsets_from_yesterday_and_n_days_ago(said: str, want: str) -> None:
    spec = one(f"Daily chart. I buy when {said}. I sell after five days.")
    assert part(spec, "long.entry") == {want}
    assert spec.stops.max_bars_held == 5


@pytest.mark.parametrize(
    ("said", "want"),
    [
        ("the close is above the highest high of the last 20 days", "close > highest_high(20)"),
        ("price makes a new fifty day high", None),
        ("the close breaks above the 55 day high", "close > highest_high(55)"),
        ("the close is below the lowest low of the past seven days", "close < lowest_low(7)"),
    ],
)
def test_highs_and_lows_of_the_last_n_days(said: str, want: str | None) -> None:
    got = specs(f"I buy when {said}. I sell when the close is below the 10 day low.")
    if want is None:  # "makes a new high" has no comparison word: nothing is invented
        assert all(want is None or not s.testable for s in got)
        return
    assert part(got[0], "long.entry") == {want}


@BOTH
@pytest.mark.parametrize(
    ("said", "want"),
    [
        ("the close is 3 % below the 20 EMA", "close < ema(20)x0.97"),
        (
            "price closes at least three percent under the twenty day exponential moving average",
            "close < ema(20)x0.97",
        ),
        ("the close is 5 percent above the 50 day simple moving average", "close > sma(50)x1.05"),
    ],
)
def test_a_distance_in_percent_scales_the_average(said: str, want: str, heard: bool) -> None:
    spec = one(f"I buy when {said}. I sell when the close is above the 20 EMA.", heard)
    assert want in part(spec, "long.entry")


@pytest.mark.parametrize(
    ("said", "want"),
    [
        ("volume is twice the 50-day average volume", "volume > sma(50,volume)x2"),
        (
            "volume is at least one and a half times the average volume of the last twenty days",
            "volume > sma(20,volume)x1.5",
        ),
        ("volume is above its 20 day average", "volume > sma(20,volume)"),
    ],
)
def test_volume_against_its_own_average(said: str, want: str) -> None:
    spec = one(
        f"Buy the breakout when the close is above the 50 day high and {said}. Sell when the close is "
        "below the 20 day low."
    )
    assert want in part(spec, "long.entry")


def test_an_indicator_named_three_ways_is_one_operand() -> None:
    spec = one(
        "Today the relative strength index. We set the RSI to two periods. When the 2-period RSI drops "
        "below 10 I buy, and when RSI two gets above 70 I sell."
    )
    assert part(spec, "long.entry") == {"rsi(2) < 10"}
    assert part(spec, "long.exit") == {"rsi(2) > 70"}


# ---------------------------------------------------------------- comparisons and scales


@pytest.mark.parametrize(
    ("said", "want"),
    [
        ("the MACD line turns positive", "macd(12,26,9) > 0"),
        ("the MACD histogram turns negative", "macd_hist(12,26,9) < 0"),
        ("Williams %R drops below minus 80", "williams_r(14) < -80"),
        ("Williams %R is below 80", "williams_r(14) < -80"),
        ("the CCI crosses back above minus one hundred", "cci(20) crosses_above -100"),
    ],
)
def test_thresholds_are_read_on_the_indicators_scale(said: str, want: str) -> None:
    spec = one(f"I buy when {said}. I sell after ten days.")
    assert part(spec, "long.entry") == {want}


def test_a_price_never_compares_with_a_small_bare_number() -> None:
    got = specs("I buy when the price closes above 30. I sell when the price closes below 20.")
    assert got[0].testable is False


def test_two_closes_in_a_row() -> None:
    spec = one(
        "We wait for two closes in a row below the lower Bollinger Band, then we buy. We sell at the "
        "middle band: when the close is above the middle band."
    )
    assert part(spec, "long.entry") == {"close < bb_lower(20,2) for 2 bars"}


# ---------------------------------------------------------------- who does what to which side


def test_short_only_with_cover() -> None:
    spec = one(
        "Short setup only. I short when the close is below the 50 day simple moving average and the "
        "RSI is above 70. I cover when the RSI drops under 30."
    )
    assert spec.long is None
    assert part(spec, "short.entry") == {"close < sma(50)", "rsi(14) > 70"}
    assert part(spec, "short.exit") == {"rsi(14) < 30"}


@pytest.mark.parametrize(
    "mirror",
    [
        "Shorts are the same in reverse.",
        "For shorts, just mirror it.",
        "The short side is the exact opposite.",
    ],
)
def test_mirrored_short_side_flips_comparisons_and_levels(mirror: str) -> None:
    spec = one(
        "I buy when the close is above the upper Bollinger Band and the RSI is above 60. I sell when the "
        f"close is below the middle band. {mirror}"
    )
    assert part(spec, "short.entry") == {"close < bb_lower(20,2)", "rsi(14) < 40"}
    assert part(spec, "short.exit") == {"close > bb_middle(20,2)"}


def test_mirror_swaps_channels_and_directional_lines() -> None:
    spec = one(
        "Buy when the close is above the highest high of the last 20 days and plus DI is above minus DI. "
        "Sell when the close is below the lowest low of the last 10 days. Shorts are the mirror image."
    )
    assert part(spec, "short.entry") == {"close < lowest_low(20)", "minus_di(14) > plus_di(14)"}
    assert part(spec, "short.exit") == {"close > highest_high(10)"}


@pytest.mark.parametrize("reverse", ["It's a stop and reverse system.", "You are always in the market."])
def test_stop_and_reverse_swaps_entry_and_exit(reverse: str) -> None:
    spec = one(
        f"Supertrend 10 and 3 on the hourly. {reverse} Buy when the close crosses above the Supertrend. "
        "Sell when the close crosses below the Supertrend."
    )
    assert spec.is_stop_and_reverse()
    assert spec.timeframe == "1h"


@pytest.mark.parametrize("long_only", ["I don't short.", "Long only.", "We only trade the long side."])
def test_long_only_keeps_the_mirror_away(long_only: str) -> None:
    spec = one(
        f"Buy when the RSI is below 30. Sell when the RSI is above 70. {long_only} Some do the opposite."
    )
    assert spec.short is None


# ---------------------------------------------------------------- stops, targets, time, timeframe


@BOTH
def test_percent_stop_target_and_trailing(heard: bool) -> None:
    spec = one(
        "Buy when the RSI is below 30, sell when the RSI is above 70. Stop loss one and a half percent "
        "under your entry. Take profit at 3 percent.",
        heard,
    )
    assert (spec.stops.stop_loss_pct, spec.stops.take_profit_pct) == (1.5, 3.0)
    spec = one(
        "Buy when the close crosses above the 50 day moving average. I use a trailing stop of 8 percent.",
        heard,
    )
    assert spec.stops.trailing_stop_pct == 8.0


def test_atr_stop_and_target_with_the_atr_window() -> None:
    spec = one(
        "Buy when the close is above the 20 day high. The stop goes two times the ATR below the entry, "
        "using a ten day ATR, and the target is four times the ATR."
    )
    assert (spec.stops.stop_loss_atr, spec.stops.take_profit_atr, spec.stops.atr_window) == (2.0, 4.0, 10)


@pytest.mark.parametrize(
    ("said", "tf", "bars"),
    [
        ("Daily chart. I'm out after five days.", "1d", 5),
        ("On the daily, if it hasn't worked within two weeks, I close it.", "1d", 10),
        ("Weekly chart. Out after 6 weeks.", "1w", 6),
        ("One-hour candles. I exit after 12 hours.", "1h", 12),
    ],
)
def test_time_exits_in_bars_of_the_timeframe(said: str, tf: str, bars: int) -> None:
    spec = one(f"Buy when the RSI is under 30. {said}")
    assert (spec.timeframe, spec.stops.max_bars_held) == (tf, bars)


def test_no_stop_said_means_none() -> None:
    spec = one("Buy when the RSI is under 30, sell when it is over 70. I don't use a stop loss of 5 percent.")
    assert spec.stops.stop_loss_pct is None


# ---------------------------------------------------------------- several setups, webinars, corrections


def test_two_setups_each_with_its_own_stops() -> None:
    got = specs(
        "Setup number one, the breakout. Buy when the close is above the 20 day high. Sell when the "
        "close is below the 10 day low. Setup number two, the dip. Buy when the RSI is under 30 and "
        "sell when the RSI is above 50. Use a 3 percent stop on this one."
    )
    assert len(got) == 2
    by_entry = {frozenset(part(s, "long.entry")): s for s in got}
    dip = by_entry[frozenset({"rsi(14) < 30"})]
    breakout = by_entry[frozenset({"close > highest_high(20)"})]
    assert dip.stops.stop_loss_pct == 3.0 and breakout.stops.stop_loss_pct is None


@pytest.mark.parametrize("said", ["seventy, no sorry, eighty", "seventy, I mean eighty", "70, actually 80"])
def test_a_corrected_number_is_the_new_one(said: str) -> None:
    spec = one(f"Buy when the money flow index is under 20. Sell when the MFI climbs above {said}.")
    assert part(spec, "long.exit") == {"mfi(14) > 80"}


def test_a_hedge_is_not_the_rule() -> None:
    spec = one("When the RSI drops under ten, we buy. Below five is even better. We sell above 70.")
    assert part(spec, "long.entry") == {"rsi(14) < 10"}


def test_a_recap_restates_without_adding() -> None:
    spec = one(
        "Buy when the close is above the 200 day SMA and the RSI is under 30. Sell when the RSI is over "
        "70. To recap: above the 200, RSI under 30, buy; RSI over 70, sell."
    )
    assert part(spec, "long.entry") == {"close > sma(200)", "rsi(14) < 30"}


# ---------------------------------------------------------------- not testable


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Buy the stock when earnings beat estimates and the RSI is above 50.", "earnings"),
        ("When the VIX closes above thirty, I buy the S&P. When the VIX closes under twenty, I sell.", "vix"),
        ("Watch the level 2 order book: when the bids stack up, you buy.", "order book"),
        ("I buy calls when the put/call ratio is above one.", "options"),
        # the rule reads a chart pattern: the reason names the pattern, not "no rule"
        ("Let the double bottom finish, then go long as soon as price clears the middle peak.",
         "chart pattern (double bottom)"),
        ("Once the cup and handle is complete, buy the breakout over the handle's high.",
         "chart pattern (cup and handle)"),
        # the rule ranks instruments against each other: it needs other symbols
        ("Each month I buy the two countries whose index funds are outperforming the world index.",
         "other symbols"),
        ("I buy the five stocks with the best relative performance against the Nasdaq and rotate them monthly.",
         "other symbols"),
    ],
)
def test_rules_on_data_we_do_not_have_are_not_testable(text: str, why: str) -> None:
    got = specs(text)
    assert len(got) == 1 and got[0].testable is False
    assert why in " ".join(got[0].unsupported).lower()


@pytest.mark.parametrize(
    "text",
    [
        "I buy when the RSI drops under 30, forget the earnings calendar, and I sell when it goes above 70.",
        "I buy when the RSI drops under 30 and I sell when it goes above 70. Economic news is nothing to do with "
        "my rule, I never even look at it.",
        "You buy when the RSI drops under 30, I ignore the order book. You sell when it goes above 70.",
    ],
)
def test_a_remark_about_data_we_do_not_have_is_not_a_rule_on_it(text: str) -> None:
    spec = one(text)
    assert spec.testable is True
    assert part(spec, "long.entry") == {"rsi(14) < 30"}


@pytest.mark.parametrize(
    "remark",
    ["I never trade double tops.", "Forget the head and shoulders.", "Last year I lost money on a bull flag."],
)
def test_a_chart_pattern_named_in_passing_before_a_rule_is_not_a_rule_on_it(remark: str) -> None:
    spec = one(f"{remark} I buy when the RSI is under 30 and sell when it is over 70.")
    assert part(spec, "long.entry") == {"rsi(14) < 30"}


def test_a_lesson_without_a_rule_says_so() -> None:
    got = specs("Trading is about patience. The RSI, the MACD and moving averages are tools. Be disciplined.")
    assert len(got) == 1 and got[0].unsupported == [NO_RULE]


# ---------------------------------------------------------------- the reading: provenance and tables


def _timed(words: list[tuple[str, float]]) -> Transcript:
    ws = [Word(w, t, t + 0.4) for w, t in words]
    return Transcript([Segment(0, ws[0].start, ws[-1].end, " ".join(w for w, _ in words), ws)], engine="test")


SPOKEN = "When the RSI drops below thirty I buy and I sell when the RSI rises above seventy"


def test_every_part_points_at_the_words_it_came_from() -> None:
    words = SPOKEN.split()
    tr = _timed([(w, 10.0 + i) for i, w in enumerate(words)])
    spec = extract_specs(tr)[0]
    prov = {p.part: p for p in spec.provenance}
    assert set(prov) == {"long.entry[0]", "long.exit[0]"}
    assert prov["long.entry[0]"].start_s >= 10.0 and "thirty" not in prov["long.entry[0]"].text
    assert "30" in prov["long.entry[0]"].text


def test_reading_round_trips_and_gives_table_rows() -> None:
    reading = read_lesson(
        transcript_from_text(
            "Buy when the RSI is under 30. Sell when it is over 70. Stop at 2 percent below the entry."
        )
    )
    again = Reading.from_dict(reading.to_dict())
    assert build_specs(again)[0].to_dict() == build_specs(reading)[0].to_dict()
    rows = reading.records()
    kinds = {r["kind"] for r in rows}
    assert {"rule", "stop_loss_pct"} <= kinds
    assert all(isinstance(r["start_s"], float) and r["text"] for r in rows)
    assert EXTRACTOR_NAME == "rules-v2"


def test_numbers_in_one_unpunctuated_segment() -> None:
    text = (
        "so on the daily chart when the r s i goes below thirty i buy and when it goes above seventy i sell "
        "my stop is two percent"
    )
    spec = extract_specs(transcript_from_text(text))[0]
    assert part(spec, "long.entry") == {"rsi(14) < 30"} and spec.stops.stop_loss_pct == 2.0


# ---------------------------------------------------------------- more phrasings


def test_settings_said_by_their_units() -> None:
    spec = one(
        "Bollinger Bands on the daily. They're twenty days, but two and a half standard deviations, not the "
        "usual two. Short when the close is above the upper band. Cover when the close is below the middle "
        "band."
    )
    assert part(spec, "short.entry") == {"close > bb_upper(20,2.5)"}


def test_a_correction_in_a_later_sentence_updates_the_number() -> None:
    spec = one(
        "I buy when the close is more than four percent below the 20 day EMA. I sell when the close is "
        "above the 20 day EMA. Rob asks: you said four percent, the newsletter says three? What I actually "
        "trade is three percent. More than three percent below the 20 day EMA."
    )
    assert part(spec, "long.entry") == {"close < ema(20)x0.97"}


def test_stay_long_until_and_buy_back_the_short() -> None:
    spec = one(
        "I go long when the plus DI crosses above the minus DI, and I stay long until the plus DI crosses "
        "back below the minus DI."
    )
    assert part(spec, "long.exit") == {"plus_di(14) crosses_below minus_di(14)"}
    spec = one(
        "Short when the close is above the upper Bollinger band. I buy back the short when the close drops "
        "below the middle band."
    )
    assert part(spec, "short.exit") == {"close < bb_middle(20,2)"}


@BOTH
@pytest.mark.parametrize(
    ("text", "side"),
    [
        ("I buy when the RSI drops under 30. I take it off when the RSI gets back above 55.", "long"),
        ("Go long when the close is above the 50 day EMA. The position comes off when the RSI is over 70.", "long"),
        ("I buy when the RSI drops under 30, and I flatten when the RSI gets back above 55.", "long"),
        ("Sell short when the RSI is above 70. A short comes off when the RSI is under 45.", "short"),
    ],
)
def test_other_exit_verbs_close_the_side_named(text: str, side: str, heard: bool) -> None:
    spec = one(text, heard)
    assert len(part(spec, f"{side}.exit")) == 1
    assert getattr(spec, "short" if side == "long" else "long") is None


@BOTH
@pytest.mark.parametrize(
    "join",
    [
        "When both of those are true, I go short.",
        "Once all of these line up, I sell short.",
        "If all of them hold, I go short.",
    ],
)
def test_an_action_that_joins_the_conditions_just_described(join: str, heard: bool) -> None:
    spec = one(
        "I want a stretched, overbought market: the RSI above 75, and the close under the 10 day EMA. "
        f"{join} I buy them back when the RSI falls below 40.",
        heard,
    )
    assert part(spec, "short.entry") == {"rsi(14) > 75", "close < ema(10)"}
    assert part(spec, "short.exit") == {"rsi(14) < 40"}
    assert spec.long is None


@pytest.mark.parametrize(
    ("text", "heard"),
    [
        ("The 100 day EMA has to be higher today than it was 20 days ago. I buy when the RSI closes under 35 "
         "three sessions running. I sell when the RSI is over 60.", False),
        ("The 100 day EMA has to be higher today than it was 20 days ago. I buy when the RSI closes under 35 "
         "three sessions running. I sell when the RSI is over 60.", True),
        # a set-up said first, then after a comma the speaker's own rule: the rule is read (written only: the
        # comma is what separates them)
        ("I need the 100 day EMA higher now than 20 days ago. I use the RSI on its usual settings, and I want it "
         "under 35 for three sessions running, then I buy. I sell when the RSI is over 60.", False),
    ],
)
def test_a_series_against_itself_bars_back_and_sessions_running(text: str, heard: bool) -> None:
    spec = one(text, heard)
    assert part(spec, "long.entry") == {"ema(100) > ema(100)[20]", "rsi(14) < 35 for 3 bars"}
    assert part(spec, "long.exit") == {"rsi(14) > 60"}
    assert spec.stops.max_bars_held is None


def test_per_cent_in_two_words_is_a_percent() -> None:
    spec = one("Buy when the RSI is under 30, sell when it is over 70, with a stop two per cent under the entry.")
    assert spec.stops.stop_loss_pct == 2.0


def test_a_pattern_the_lesson_defines_is_applied_a_bar_back() -> None:
    spec = one(
        "An inside bar is a day whose high is lower than the previous day's high, and whose low is higher "
        "than the previous day's low. Yesterday must be an inside bar. Buy when today closes above "
        "yesterday's high. Out after 5 days."
    )
    assert part(spec, "long.entry") == {"high[1] < high[2]", "low[1] > low[2]", "close > high[1]"}


def test_both_directions_share_the_conditions_that_read_the_same_upside_down() -> None:
    spec = one(
        "We trade it in both directions. Volume has to be above its 20 day average. Buy when the close is "
        "above the 20 day high. Short when the close is below the 20 day low. Out after 5 days."
    )
    assert "volume > sma(20,volume)" in part(spec, "short.entry")


def test_an_explanation_after_so_is_not_a_second_rule() -> None:
    spec = one(
        "Weekly chart. The 12 week rate of change must be above zero, so the price is higher than 12 weeks "
        "ago. Then I buy. I sell when the rate of change is below zero."
    )
    assert part(spec, "long.entry") == {"roc(12) > 0"}


def test_one_comparison_per_pair_for_an_action() -> None:
    spec = one(
        "Buy when the MACD line crosses above the signal line. First it has to cross up, and then when "
        "it crosses back down, I'm out."
    )
    assert part(spec, "long.exit") == {"macd(12,26,9) crosses_below macd_signal(12,26,9)"}


def test_a_chart_story_with_dates_is_not_a_rule() -> None:
    spec = one(
        "Buy when the RSI is under 30, sell when it is above 70. Here's Costco in January: the RSI under "
        "25, I buy, and four days later it's back above 60."
    )
    assert part(spec, "long.entry") == {"rsi(14) < 30"} and part(spec, "long.exit") == {"rsi(14) > 70"}


def test_bare_numbers_as_the_subject_of_a_cross() -> None:
    spec = one(
        "Ten EMA and thirty EMA on the daily. Entry: ten crosses above thirty, buy. Exit: ten crosses back "
        "below thirty, sell."
    )
    assert part(spec, "long.entry") == {"ema(10) crosses_above ema(30)"}
    assert part(spec, "long.exit") == {"ema(10) crosses_below ema(30)"}


@pytest.mark.parametrize("buyer", ["I'm a buyer", "you're a buyer", "we are a buyer"])
def test_being_a_buyer_is_an_entry(buyer: str) -> None:
    spec = one(f"When the RSI drops below 30, {buyer}. I get out when the RSI is above 70.")
    assert part(spec, "long.entry") == {"rsi(14) < 30"}


# ---------------------------------------------------------------- an average's kind, filters and sides


@BOTH
@pytest.mark.parametrize(
    "text",
    [
        "We use two exponential moving averages, a fast twenty day average and a slow fifty day average. Buy "
        "when the twenty day average crosses above the fifty day average. Sell when the twenty day average "
        "crosses back below the fifty day average.",
        "My averages are the 10 EMA and the 40 EMA... no wait. Okay: I buy when the twenty day exponential "
        "moving average crosses above the fifty day exponential moving average, and I sell when the twenty day "
        "average crosses back below the fifty day average.",
        "Twenty EMA, fifty EMA, daily. The twenty day line crosses over the fifty day line, you're long. The "
        "twenty day line crosses under the fifty day line, you're out.",
    ],
)
def test_an_average_said_without_its_kind_takes_the_kind_the_lesson_gave_it(text: str, heard: bool) -> None:
    spec = one(text, heard)
    assert part(spec, "long.entry") == {"ema(20) crosses_above ema(50)"}
    assert part(spec, "long.exit") == {"ema(20) crosses_below ema(50)"}


def test_an_average_of_unknown_kind_is_simple_and_says_so() -> None:
    spec = one(
        "Buy when the close is above the 50-day average. Sell when the close is below the 50-day average."
    )
    assert part(spec, "long.entry") == {"close > sma(50)"}
    assert any("without its kind" in a for a in spec.assumptions)
    named = one("Buy when the close is above the 50-day simple moving average. Sell when it closes below it.")
    assert not any("without its kind" in a for a in named.assumptions)


def test_a_volume_average_does_not_take_the_kind_of_a_price_average() -> None:
    spec = one(
        "Buy when the close is above the 50 EMA and volume is more than twice the 50-day average volume. "
        "Sell when the close is below the 50 EMA."
    )
    assert part(spec, "long.entry") == {"close > ema(50)", "volume > sma(50,volume)x2"}


@BOTH
@pytest.mark.parametrize(
    "text",
    [
        "First, the trend filter. The daily close must be above the two hundred day simple moving average. If "
        "price is below that line, we do nothing. Second, the trigger: a very short RSI, the two period RSI. "
        "When it falls below ten, that is our buy signal. Both conditions must be true on the same day. We sell "
        "when the two period RSI climbs back above seventy. Long only.",
        "Price has to be above the 200-day SMA, and if it's under it I stand aside. Then I want the 2-period RSI "
        "under 10, and I buy. I sell when the 2-period RSI is over 70. We never short this.",
        "Rule one, the close needs to be above the 200 day simple moving average, otherwise stay out. Rule two, "
        "the RSI two drops under ten. Both true, I'm a buyer. When RSI two gets above seventy, I'm out. I don't go "
        "short with it.",
    ],
)
def test_a_filter_and_its_stay_out_join_the_entry_of_the_side_the_lesson_trades(
    text: str, heard: bool
) -> None:
    spec = one(text, heard)
    # the filter as stated ("must be above"), not its stay-out form ("if below, nothing") said after it
    assert part(spec, "long.entry") == {"close > sma(200)", "rsi(2) < 10"}
    assert part(spec, "long.exit") == {"rsi(2) > 70"}
    assert spec.short is None


@pytest.mark.parametrize(
    "short_word",
    [
        "a very short RSI, the 3-period RSI",
        "the short RSI, the 5-period RSI",
        "a rather short RSI, the RSI 3",
    ],
)
def test_short_as_a_length_is_not_a_short_trade(short_word: str) -> None:
    spec = one(f"We use {short_word}. Buy when it drops below 20, sell when it gets above 80.")
    assert spec.short is None and spec.long is not None


@pytest.mark.parametrize("only", ["Long only.", "We never short it.", "I don't short this one."])
def test_long_only_forbids_any_short_side(only: str) -> None:
    spec = one(
        "Buy when the close crosses above the 20 EMA, sell when it crosses below the 20 EMA. "
        f"Go short when the RSI is above 80. {only}"
    )
    assert spec.short is None
    assert part(spec, "long.entry") == {"close crosses_above ema(20)"}


@BOTH
@pytest.mark.parametrize(
    "text",
    [
        "Daily chart. Go short when the close falls below the 50-day average. Cover when the close gets back "
        "above the 50-day average.",
        "We trade both sides. Go long when the close rises above the 50-day average, and sell when it falls back "
        "below it. Go short when the close falls below the 50-day average. Cover when it gets back above it.",
        "Buy when the close rises above the 50-day average. Sell when it falls below. Go short when the close "
        "falls below the 50-day average. Cover when it gets back above.",
    ],
)
def test_a_short_entry_below_an_average_and_pronouns_for_both_sides(text: str, heard: bool) -> None:
    spec = one(text, heard)
    assert part(spec, "short.entry") == {"close < sma(50)"}
    assert part(spec, "short.exit") == {"close > sma(50)"}
    if spec.long is not None:
        assert part(spec, "long.entry") == {"close > sma(50)"} and part(spec, "long.exit") == {
            "close < sma(50)"
        }


# ---------------------------------------------------------------- unpunctuated speech


def heard_one(text: str) -> StrategySpec:
    """One spec from text as a recognizer without punctuation returns it, as one segment."""
    got = extract_specs(
        Transcript([Segment(0, 0, 30, text)], engine="pocketsphinx")  # one pause-free stretch of speech
    )
    assert len(got) == 1, [s.summary() for s in got]
    return got[0]


def heard_lines(lines: list[str]) -> StrategySpec:
    """One spec from unpunctuated speech with a pause (a segment border) after each line."""
    segments = [Segment(i, 3.0 * i, 3.0 * i + 3, line) for i, line in enumerate(lines)]
    got = extract_specs(Transcript(segments, engine="pocketsphinx"))
    assert len(got) == 1, [s.summary() for s in got]
    return got[0]


@pytest.mark.parametrize(
    "text",
    [
        "step four the exit a long is closed when the close falls below the lowest low of the last twenty days "
        "a short is closed when the close rises above the highest high of the last twenty days",
        "the exit longs get closed when the close drops under the lowest low of the last twenty days and "
        "shorts get closed when the close gets over the highest high of the last twenty days",
    ],
)
def test_an_action_waiting_for_its_condition_takes_the_when_clause_after_it(text: str) -> None:
    lead = (
        "daily bars go long when the close is above the highest high of the last fifty five days go short "
        "when the close is below the lowest low of the last fifty five days "
    )
    spec = heard_one(lead + text)
    assert part(spec, "long.exit") == {"close < lowest_low(20)"}
    assert part(spec, "short.exit") == {"close > highest_high(20)"}


@pytest.mark.parametrize(
    "text",
    [
        "twenty e m a and fifty e m a daily the twenty crosses over the fifty you're long the twenty crosses "
        "under the fifty you're out",
        "we use the twenty e m a and the fifty e m a on the daily when the twenty crosses above the fifty i "
        "buy when the twenty crosses below the fifty i sell",
        "the twenty e m a and the fifty e m a daily i buy when the twenty crosses above the fifty and i sell "
        "when the twenty crosses below the fifty",
    ],
)
def test_unpunctuated_conditions_pair_with_their_own_action(text: str) -> None:
    spec = heard_one(text)
    assert part(spec, "long.entry") == {"ema(20) crosses_above ema(50)"}
    assert part(spec, "long.exit") == {"ema(20) crosses_below ema(50)"}


@pytest.mark.parametrize(
    "remark",
    ["", "that's the whole system ", "so simple even my dad trades it "],
)
def test_an_unpunctuated_stop_said_after_the_rules_is_read(remark: str) -> None:
    spec = heard_one(
        f"buy when the r s i drops below thirty sell when the r s i rises above seventy {remark}i always place "
        "a stop loss two percent below my entry price"
    )
    assert part(spec, "long.entry") == {"rsi(14) < 30"} and part(spec, "long.exit") == {"rsi(14) > 70"}
    assert spec.stops.stop_loss_pct == 2.0


@pytest.mark.parametrize(
    ("setting", "band"),
    [
        ("the keltner channel twenty two point five", "keltner_upper(20,2.5)"),
        ("keltner channels set to twenty two point five", "keltner_upper(20,2.5)"),
        ("bollinger bands twenty two", "bb_upper(20,2)"),
        ("bollinger bands twenty two point five", "bb_upper(20,2.5)"),
    ],
)
def test_a_run_of_number_words_is_read_as_the_settings_it_fits(setting: str, band: str) -> None:
    spec = heard_one(
        f"i use {setting} daily buy when the close crosses above the upper band sell when the close crosses "
        "below the upper band"
    )
    assert part(spec, "long.entry") == {f"close crosses_above {band}"}


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (
            "i trade the twenty two e m a buy when the close crosses above it sell when the close crosses below it",
            "close crosses_above ema(22)",
        ),
        ("the r s i twenty two buy when it is below thirty sell when it is above seventy", "rsi(22) < 30"),
    ],
)
def test_a_name_with_one_setting_keeps_the_joined_number(text: str, rule: str) -> None:
    assert rule in part(heard_one(text), "long.entry")


@pytest.mark.parametrize(
    "text",
    [
        "RSI 14. Buy when it is below 30, sell above 70.",
        "The RSI, 14 periods. I buy when it's under 30 and sell above 70.",
        "rsi fourteen buy when it is below thirty sell above seventy",
    ],
)
def test_a_later_action_takes_a_comparison_whose_subject_was_said_before_it(text: str) -> None:
    spec = one(text)
    assert part(spec, "long.entry") == {"rsi(14) < 30"} and part(spec, "long.exit") == {"rsi(14) > 70"}


@BOTH
@pytest.mark.parametrize(
    "text",
    [
        "When the RSI drops below 30 the market is oversold, and that is where I buy. I sell when the RSI is "
        "above 70.",
        "Once the RSI falls under 30, it's oversold. That's where we buy. We sell when the RSI is above 70.",
        "If the RSI is below 30 the stock is oversold, and this is when you buy. You sell when the RSI is over 70.",
    ],
)
def test_an_action_that_points_back_takes_the_zone_just_described(text: str, heard: bool) -> None:
    spec = one(text, heard)
    assert part(spec, "long.entry") == {"rsi(14) < 30"} and part(spec, "long.exit") == {"rsi(14) > 70"}


@BOTH
@pytest.mark.parametrize("ease", ["even simpler", "even easier", "even shorter"])
def test_an_exit_said_to_be_even_simpler_is_not_a_hedge(ease: str, heard: bool) -> None:
    spec = one(
        f"Buy when the close is below the lowest low of the last 7 days. The exit is {ease}: the first day it "
        "closes above the previous day's high, I'm out.",
        heard,
    )
    assert part(spec, "long.exit") == {"close > high[1]"}


@BOTH
@pytest.mark.parametrize(
    "text",
    [
        "Bollinger bands, default settings; the two outer lines are the bands. We wait for two closes in a row "
        "below the lower band, two daily candles, then we buy. We sell when the price closes back "
        "above the middle band.",
        "Default Bollinger bands. When we get two closes in a row under the lower band, I buy. I sell when the "
        "close is above the middle band.",
    ],
)
def test_counted_closes_are_neither_a_setting_nor_a_setup_number(text: str, heard: bool) -> None:
    spec = one(text, heard)
    assert part(spec, "long.entry") == {"close < bb_lower(20,2) for 2 bars"}
    assert part(spec, "long.exit") == {"close > bb_middle(20,2)"}


@BOTH
@pytest.mark.parametrize(
    "text",
    [
        "Weekly chart, CCI 20. You buy when it crosses back up above minus 100, not before. You sell when the CCI, "
        "having been up over plus 100, crosses back down below plus 100.",
        "On the weekly, the CCI at 20 periods. Buy when the CCI crosses above minus one hundred, not until then. "
        "Sell when it crosses below plus one hundred.",
    ],
)
def test_not_before_narrows_a_rule_and_a_signed_level_is_not_an_average(text: str, heard: bool) -> None:
    spec = one(text, heard)
    assert part(spec, "long.entry") == {"cci(20) crosses_above -100"}
    assert part(spec, "long.exit") == {"cci(20) crosses_below 100"}


@pytest.mark.parametrize(
    "text",
    [
        "daily bars the two period r s i when it drops under ten we buy honestly below five is even better we sell "
        "when the r s i gets above seventy",
        "two period r s i daily when it drops under ten we buy ideally we'd see it lower we sell when the r s i "
        "gets above seventy that usually happens a few days later",
        "on the daily the r s i two we buy when it drops under ten that is even better near five we exit when the "
        "r s i gets above seventy which usually comes three or four days later",
    ],
)
def test_unpunctuated_hedges_and_stories_reach_only_their_own_words(text: str) -> None:
    spec = heard_one(text)
    assert part(spec, "long.entry") == {"rsi(2) < 10"} and part(spec, "long.exit") == {"rsi(2) > 70"}


@pytest.mark.parametrize(
    "text",
    [
        "daily chart for the buy the plus d i crosses over the minus d i i buy for the sell the minus d i crosses "
        "over the plus d i and i go short when i exit if i am long and the plus d i crosses back under the minus "
        "d i i close if i am short and the minus d i crosses back under the plus d i i close",
        "daily chart i go long when the plus d i crosses above the minus d i i go short when the minus d i "
        "crosses above the plus d i if i'm long and the plus d i crosses below the minus d i i get out if i'm "
        "short and the minus d i crosses below the plus d i i get out",
    ],
)
def test_unpunctuated_sides_said_in_the_condition_and_headings(text: str) -> None:
    spec = heard_one(text)
    assert part(spec, "long.entry") == {"plus_di(14) crosses_above minus_di(14)"}
    assert part(spec, "short.entry") == {"minus_di(14) crosses_above plus_di(14)"}
    assert part(spec, "long.exit") == {"plus_di(14) crosses_below minus_di(14)"}
    assert part(spec, "short.exit") == {"minus_di(14) crosses_below plus_di(14)"}


@BOTH
@pytest.mark.parametrize(
    "text",
    [
        "Standard Bollinger bands. I want two consecutive daily closes below the lower band, not one, two in a row, "
        "and I buy at the next open. I sell when a daily close gets back above the middle band.",
        "Bollinger bands on default. Two closes in a row under the lower band - not just one - then I buy. I sell "
        "when the close is back above the middle band.",
    ],
)
def test_not_before_a_count_takes_the_count_back_and_keeps_the_rule(text: str, heard: bool) -> None:
    spec = one(text, heard)
    assert part(spec, "long.entry") == {"close < bb_lower(20,2) for 2 bars"}
    assert part(spec, "long.exit") == {"close > bb_middle(20,2)"}


@pytest.mark.parametrize("heard", [False, True], ids=["written", "heard with pauses"])
@pytest.mark.parametrize(
    "text",
    [
        "Buy when the close crosses above the 20 day EMA. But do not buy when the RSI is above 70. Exit when the "
        "close crosses below the 20 day EMA.",
        "I go long when the close crosses above the 20 day EMA. Don't go long when the RSI is over 70. I sell when "
        "the close crosses under the 20 day EMA.",
    ],
)
def test_a_negated_entry_said_on_its_own_is_a_filter(text: str, heard: bool) -> None:
    spec = heard_lines(asr_like(text.replace(". ", ".\n")).splitlines()) if heard else one(text)
    assert part(spec, "long.entry") == {"close crosses_above ema(20)", "rsi(14) <= 70"}


@pytest.mark.parametrize(
    "lines",
    [
        [
            "daily chart the entry needs both price must be above the two hundred day simple moving average",
            "and the two period r s i must drop below ten",
            "sell when the two period r s i rises above ninety",
        ],
        [
            "on daily bars i buy when two things are true the close has to be above the two hundred day simple "
            "moving average",
            "and the two period r s i has to be below ten",
            "i sell when the two period r s i rises above ninety",
        ],
    ],
)
def test_unpunctuated_required_conditions_joined_by_and_stay_on_the_entry(lines: list[str]) -> None:
    spec = heard_lines(lines)
    assert part(spec, "long.entry") == {"close > sma(200)", "rsi(2) < 10"}
    assert part(spec, "long.exit") == {"rsi(2) > 90"}


@BOTH
@pytest.mark.parametrize(
    "text",
    [
        "Hourly bars, CCI 20. Long entry: when the CCI crosses above plus 100, buy. Long exit: when the CCI crosses "
        "back below plus 100, sell. Short entry: when the CCI crosses below minus 100, sell short. Short exit: "
        "when the CCI crosses back above minus 100, cover.",
        "Step one long entry when the CCI 20 crosses above plus 100 buy. Step two long exit when it crosses back "
        "below plus 100 sell. Some traders hold until zero. Step three short entry when the CCI crosses below "
        "minus 100 sell short. Step four short exit when the CCI crosses back above minus 100 get out.",
    ],
)
def test_a_side_said_before_its_part_is_that_sides_part(text: str, heard: bool) -> None:
    spec = one(text, heard)
    assert part(spec, "long.exit") == {"cci(20) crosses_below 100"}
    assert part(spec, "short.entry") == {"cci(20) crosses_below -100"}
    assert part(spec, "short.exit") == {"cci(20) crosses_above -100"}


@BOTH
@pytest.mark.parametrize(
    "text",
    [
        "Daily chart. The parabolic SAR: the acceleration factor starts at point oh two and it maxes out at point "
        "two. I buy when the close is above the parabolic, and I sell when the close is below it.",
        "I run the parabolic with a step of 0.02 and a maximum of 0.2 on the daily. Buy when the close is above "
        "the parabolic SAR. Sell when the close is below the parabolic SAR.",
    ],
)
def test_a_setting_named_by_its_lead_in(text: str, heard: bool) -> None:
    spec = one(text, heard)
    assert part(spec, "long.entry") == {"close > psar(0.02,0.2)"}


@BOTH
@pytest.mark.parametrize(
    "recap",
    [
        "So that's it: daily bars, RSI under 30 buy, RSI over 70 sell, and the close above the 50 day average.",
        "So, that's it. RSI below 30, buy. Price over the 50-day, sell. Easy.",
    ],
)
def test_a_recap_after_so_thats_it_adds_nothing(recap: str, heard: bool) -> None:
    spec = one(
        f"Daily bars. I buy when the RSI drops under 30. I sell when the RSI rises over 70. {recap}", heard
    )
    assert part(spec, "long.entry") == {"rsi(14) < 30"} and part(spec, "long.exit") == {"rsi(14) > 70"}


@pytest.mark.parametrize(
    "lines",
    [
        [
            "an inside bar is a day whose high is lower than the previous day's high",
            "and whose low is higher than the previous day's low",
            "yesterday must be an inside bar",
            "today closes above yesterday's high i buy",
            "i sell after five days",
        ],
        [
            "an inside day is a day whose high is below the high of the day before",
            "and whose low is above the low of the day before",
            "the setup yesterday has to be an inside day",
            "when today closes above yesterday's high buy",
            "get out after five days",
        ],
    ],
)
def test_an_unpunctuated_definition_goes_on_after_and_whose(lines: list[str]) -> None:
    spec = heard_lines(lines)
    assert part(spec, "long.entry") == {"high[1] < high[2]", "low[1] > low[2]", "close > high[1]"}


@pytest.mark.parametrize(
    "lines",
    [
        [
            "buy when the r s i drops under thirty sell when the r s i gets above seventy",
            "somebody asked whether",
            "i short the opposite when the r s i is above seventy",
            "nope",
        ],
        [
            "buy when the r s i drops under thirty sell when the r s i gets above seventy",
            "some of you only take this when the a d x is above twenty",
            "i don't bother",
        ],
    ],
)
def test_a_question_or_someone_elses_way_cut_by_a_pause_is_no_rule(lines: list[str]) -> None:
    spec = heard_lines(lines)
    assert spec.short is None
    assert part(spec, "long.entry") == {"rsi(14) < 30"} and part(spec, "long.exit") == {"rsi(14) > 70"}

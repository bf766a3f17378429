"""The rule reader on words a recognizer writes for trading words it heard ("cell" for sell, "by" for buy,
"about" for above, "to ATR" for two ATR, "set 4" for step 4, "along" for a long, "one" for when): each is
read back only where grammar leaves the trading word, and each misheard lesson is read like its written twin.
Where the ordinary word is meant ("by the way", "is about 167", "along with"), it stays."""

from __future__ import annotations

import pytest

from reelquant.speech.transcript import Segment, Transcript, transcript_from_text
from reelquant.text.rules import extract_specs
from reelquant.text.rules.normalize import clauses


def _read(text: str) -> list[str]:
    return [s.summary() for s in extract_specs(transcript_from_text(text))]


def _words(text: str) -> str:
    return " | ".join(" ".join(c.words) for c in clauses(transcript_from_text(text)))


@pytest.mark.parametrize(
    ("heard", "written"),
    [
        # "sell" heard as "cell", "buy" as "by" opening a clause that compares
        ("Daily chart. When the CCI crosses above 100 we by at the next open. When it crosses back below 100, "
         "cell at the next open.",
         "Daily chart. When the CCI crosses above 100 we buy at the next open. When it crosses back below 100, "
         "sell at the next open."),
        # "above" heard as "a but" and "about" right after a crossing verb
        ("Daily chart. When the close crosses a but the 50 SMA I buy. When it closes about the upper Bollinger band "
         "I sell.",
         "Daily chart. When the close crosses above the 50 SMA I buy. When it closes above the upper Bollinger band "
         "I sell."),
        # "two" heard as "to" before the unit a count takes
        ("Daily chart. Buy when the close crosses above the 50 SMA. Sell when it crosses below. "
         "Place a stop to ATR from the entry price.",
         "Daily chart. Buy when the close crosses above the 50 SMA. Sell when it crosses below. "
         "Place a stop two ATR from the entry price."),
        # "step" heard as "set", "a long" as "along": a heading's number is no setting, the exit keeps its side
        ("Step 3. Buy when the ADX is above 25 and the close is above the 20 EMA. Set 4, the exit. Close along when "
         "the close falls below the 20 EMA.",
         "Step 3. Buy when the ADX is above 25 and the close is above the 20 EMA. Step 4, the exit. Close a long "
         "when the close falls below the 20 EMA."),
        # "when" heard as "one" between an order and its condition
        ("Daily chart. Buy when Williams %R crosses above -80. Cell 1% R is above -20.",
         "Daily chart. Buy when Williams %R crosses above -80. Sell when %R is above -20."),
    ],
)
def test_a_misheard_lesson_reads_like_its_written_twin(heard: str, written: str) -> None:
    assert _read(heard) == _read(written)
    assert any(s.testable for s in extract_specs(transcript_from_text(written)))


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("by the way, the close is above the band", "by the way"),
        ("a reading of 167 is about 167 percent of normal", "is about 167"),
        ("the price moves along with the trend", "along with"),
        ("a cell phone alert when the close crosses above the band", "cell phone"),
        ("it waits for percent R to cross back up", "for percent r"),
        ("the stop is set to 2 ATR", "set to 2 atr"),
    ],
)
def test_the_ordinary_word_stays_where_it_is_meant(said: str, kept: str) -> None:
    assert kept in _words(said)


def test_a_stop_said_apart_from_its_atr_window_takes_the_window() -> None:
    # A recognizer ends the sentence where the writer had a comma: the window still belongs to the stop.
    heard = ("Buy when the close breaks above the highest high of the last 20 days. Exit when it falls below the "
             "lowest low of the last 10 days. The stop goes two times the average true range below the entry. "
             "Using the 20 day ATR. That is the whole system.")
    written = heard.replace("entry. Using", "entry, using")
    assert _read(heard) == _read(written)
    assert "SL 2xATR(20)" in _read(heard)[0]


def test_a_percent_of_the_account_is_no_stop() -> None:
    lesson = ("Buy when the close breaks above the highest high of the last 55 days. Exit when it falls below the "
              "lowest low of the last 20 days. The stop is two times the 20 day ATR. They called it the 2% stop, "
              "because a move of two N cost 2 percent of the account.")
    summary = _read(lesson)[0]
    assert "SL 2xATR(20)" in summary and "SL 2%" not in summary


@pytest.mark.parametrize(
    ("heard", "written"),
    [
        # "within" heard as "with an", "two" as "to" before "consecutive"
        ("Daily chart. I want to consecutive closes below the lower Bollinger band, then I buy. I sell when the close "
         "is above the middle band. If it hasn't come back with an eight trading days, I sell anyway.",
         "Daily chart. I want two consecutive closes below the lower Bollinger band, then I buy. I sell when the "
         "close is above the middle band. If it hasn't come back within eight trading days, I sell anyway."),
        # a setup heading run into the sentence before it, "set up" for "setup", the chart's bars no setting
        ("This is ES on 1-hour bars, and I've got the Keltner channel on here, set up one, the snapback, when an "
         "hourly bar closes below the lower Keltner band I buy, I sell when it closes above the middle line, set up "
         "to, the trend rider, I buy when the plus DI crosses above the minus DI, I sell when it crosses back below.",
         "This is ES on one hour bars, and I've got the Keltner channel on here. Setup one, the snapback. When an "
         "hourly bar closes below the lower Keltner band I buy. I sell when it closes above the middle line. Setup "
         "two, the trend rider. I buy when the plus DI crosses above the minus DI. I sell when it crosses back "
         "below."),
        # the settings said, then the condition after "when", with no comma between them
        ("Hourly chart. Twenty periods with the bands two ATRs out when a bar closes below the lower Keltner band. "
         "I buy the next bar. I sell when a bar closes back above the middle line.",
         "Hourly chart. Twenty periods with the bands two ATRs out. When a bar closes below the lower Keltner band, "
         "I buy the next bar. I sell when a bar closes back above the middle line."),
        # "three quarters of one percent" as a recognizer writes it
        ("Daily chart. I buy when the close crosses above the 20 EMA and sell when it crosses below. The stop is "
         "three quarters of 1% from the entry.",
         "Daily chart. I buy when the close crosses above the 20 EMA and sell when it crosses below. The stop is "
         "three quarters of a percent from the entry."),
        # an example run into the rule with a comma is no part of it
        ("Daily chart. When I see the second close under the lower band, I buy at the next open, as you can see "
         "right here, I bought it in August, and I wasn't sure it would work. I sell above the middle band.",
         "Daily chart. When I see the second close under the lower band, I buy at the next open. As you can see "
         "right here, I bought it in August, and I wasn't sure it would work. I sell above the middle band."),
    ],
)
def test_a_run_on_or_misheard_lesson_reads_like_its_written_twin(heard: str, written: str) -> None:
    assert _read(heard) == _read(written)
    assert all(s.testable for s in extract_specs(transcript_from_text(written)))


def _segments(*texts: str) -> Transcript:
    return Transcript(segments=[Segment(i, 10.0 * i, 10.0 * i + 9.0, t) for i, t in enumerate(texts)],
                      engine="faster_whisper")


def test_a_pause_after_a_comma_does_not_end_the_sentence() -> None:
    # The recognizer ended a segment at a pause where it wrote a comma: the action is in the next segment.
    heard = _segments("Daily chart. When the RSI drops below 30,", "I buy at the next open. I sell when it is "
                      "above 70.")
    assert [s.summary() for s in extract_specs(heard)] == _read(
        "Daily chart. When the RSI drops below 30, I buy at the next open. I sell when it is above 70.")


def test_a_long_stretch_without_a_mark_is_cut_like_unpunctuated_speech() -> None:
    # One segment the recognizer left unmarked among punctuated ones: its condition and its refusal stay apart.
    heard = _segments("Daily chart.", "The thick line is the 200 day simple moving average the idea is a rubber "
                      "band the stock has to close above its 200 day simple moving average if it is below the 200",
                      "I am not buying anything. When the RSI drops below 30, I buy. I sell when the RSI is above 70.")
    got = [s.summary() for s in extract_specs(heard)]
    assert len(got) == 1 and "close < sma(200)" not in got[0] and "close > sma(200)" in got[0], got


def test_a_pattern_defined_with_a_contraction_is_still_defined() -> None:
    # "An inside bar's a day whose ..." as a recognizer writes it: "and inside bars a day whose ...".
    rules = ("Yesterday must be an inside bar. Today closes above yesterday's high. Buy at the next open. Place a "
             "stop one ATR from the entry price.")
    heard = ("Definitions, and inside bars a day whose high is lower than the previous day's high, and whose low is "
             "higher than the previous day's low. " + rules)
    written = ("Definitions. An inside bar is a day whose high is lower than the previous day's high, and whose low "
               "is higher than the previous day's low. " + rules)
    assert _read(heard) == _read(written)
    assert "high[1] < high[2]" in _read(written)[0]


@pytest.mark.parametrize(
    ("heard", "written"),
    [
        # a reversal: the condition said before "I sell my long, and I go short" closes one side, opens the other
        ("Daily chart. When the close crosses above the Supertrend line, I go long at the next open, when the "
         "close crosses below the Supertrend line, I sell my long, and I go short, and when it crosses back above, "
         "I cover the short and go long again.",
         "Daily chart. When the close crosses above the Supertrend line, I go long at the next open. When the close "
         "crosses below the Supertrend line, I sell my long and I go short. When it crosses back above, I cover the "
         "short and go long again."),
        # "above" heard as "but" where no clause can start
        ("Daily chart. Buy when the close is below the lowest low of the last 7 days. The first day it closes but "
         "the previous day's high, I'm out.",
         "Daily chart. Buy when the close is below the lowest low of the last 7 days. The first day it closes above "
         "the previous day's high, I'm out."),
        # "both" counting the conditions that follow, not a subject
        ("Daily chart. When I see both below the 200 day SMA and above the upper Bollinger band I sell short. I "
         "cover when the close is below the middle band.",
         "Daily chart. When I see both, below the 200 day SMA and above the upper Bollinger band, I sell short. I "
         "cover when the close is below the middle band."),
    ],
)
def test_speech_forms_of_a_rule_read_like_the_written_rule(heard: str, written: str) -> None:
    assert _read(heard) == _read(written)
    assert all(s.testable for s in extract_specs(transcript_from_text(written)))


def test_a_correction_split_from_its_number_by_a_pause_still_corrects() -> None:
    heard = _segments("Daily chart. Buy when the MFI is under 20. We sell when the MFI climbs back above 70, no sorry",
                      "80, 80, I always mix those up.")
    got = [s.summary() for s in extract_specs(heard)]
    assert got == ["1d | long: entry mfi(14) < 20; exit mfi(14) > 80"], got


def test_a_condition_cut_by_a_pause_goes_on_in_the_next_segment() -> None:
    heard = _segments("Weekly chart. You buy when the CCI crosses back up above minus 100. You sell when the CCI",
                      "crosses back down below plus 100.")
    got = [s.summary() for s in extract_specs(heard)]
    assert got == ["1w | long: entry cci(20) crosses_above -100; exit cci(20) crosses_below 100"], got


def test_a_correction_said_as_its_own_sentence_replaces_the_number() -> None:
    heard = ("Daily chart. Buy when the close is above the 50 day SMA and the ADX is above 20. No, 25. Sell when the "
             "close is below the 50 day SMA.")
    written = ("Daily chart. Buy when the close is above the 50 day SMA and the ADX is above 25. Sell when the close "
               "is below the 50 day SMA.")
    assert _read(heard) == _read(written)


@pytest.mark.parametrize(
    ("heard", "kept"),
    [
        ("Daily chart. Price must close up of the highest high of the last 50 days, then I buy.", "above"),
        ("Daily chart. It closes up at the high of the day, which is strength.", "up at the high"),
    ],
)
def test_above_heard_as_two_words_is_read_back_only_before_a_line(heard: str, kept: str) -> None:
    assert kept in _words(heard)


def test_a_garbled_exit_invents_no_rule() -> None:
    # Whisper base on the Festival-voiced RSI sample: "when ... climbs back above seventy" came out as "in ...
    # climbs back up of 7G", and "above the entry" names the entry price. No exit is read, none is made up.
    heard = _segments(
        "This lesson is about buying pullbacks inside an uptrend. First, the trend filter, the daily close must be "
        "above the 200-day simple moving average. If price is below that line, we do nothing. Second the trigger, "
        "we use a very short RSI, the 2-period RSI. When the 2-period RSI falls below 10, the pullback is "
        "stretched and that is our bisignal.",
        "Both conditions must be true on the same day before we enter We sell in the 2-period RSI climbs back up "
        "of 7G On top of that I set a take per off at 6% above the entry, whichever comes first Long only, daily "
        "candles")
    got = [s.summary() for s in extract_specs(heard)]
    assert not any("exit rsi(2) < 10" in g for g in got), got


def test_a_short_said_no_to_does_not_make_the_entry_a_short() -> None:
    # A run-on as Whisper writes it: "you're in" takes the side said in the clause, and "I don't short this"
    # says which side it is not.
    got = _read("We use the 9 EMA and the 21 EMA on the hourly chart. Okay, here's the play, when the 9 crosses "
                "above the 21 you're in, long, that's it, that's the entry, I don't short this, I'm not a bear. "
                "And when the 9 crosses back under the 21, you're out.")
    assert got == ["1h | long: entry ema(9) crosses_above ema(21); exit ema(9) crosses_below ema(21)"], got
    shorted = _read("Hourly chart. When the 9 EMA crosses below the 21 EMA you're in short. When it crosses back "
                    "above, you're out.")
    assert shorted and shorted[0].startswith("1h | short: entry ema(9) crosses_below ema(21)"), shorted


@pytest.mark.parametrize(
    ("said", "clauses_said"),
    [
        # a whole rule, then the other side or a new condition: the next rule begins at the comma
        ("When a bar closes back above the middle line, I'm out, and the short is the mirror image, a close above "
         "the upper band.",
         "when a bar closes back above the middle line , i'm out | and the short is the mirror image , a close above "
         "the upper band"),
        ("When the RSI is under 30, I buy, and when it gets above 70, I sell.",
         "when the rsi is under 30 , i buy | and when it gets above 70 , i sell"),
        # a further condition of the same rule stays with it
        ("When the close is above the band, I buy, and the RSI must be under 30 too.",
         "when the close is above the band , i buy , and the rsi must be under 30 too"),
        # no condition before the action: nothing ends
        ("I buy the open, and the short side is for another day.",
         "i buy the open , and the short side is for another day"),
    ],
)
def test_a_comma_after_a_whole_rule_begins_the_next(said: str, clauses_said: str) -> None:
    assert _words(said) == clauses_said


KELTNER_ENTRIES = ("Daily chart. We use the Keltner channel, 20 periods and a multiple of 2. Step 2, the long entry: the "
                   "close is above the upper Keltner line, buy at the next open. Step 3, the short entry: the close is "
                   "below the lower Keltner line, sell short at the next open. ")
KELTNER_READ = ["1d | long: entry close > keltner_upper(20,2); exit close < keltner_middle(20,2) | short: entry "
                "close < keltner_lower(20,2); exit close > keltner_middle(20,2)"]


@pytest.mark.parametrize(
    "exits",
    [
        # both exits said as orders, in sentences of their own
        "Close a long when the price closes below the middle line. Close a short when the price closes above the "
        "middle line.",
        # one run-on, as Whisper writes it, ending on a comma: each order with its condition is a rule
        "Step 4, the exit, close a long when the price closes below the middle line of the Keltner channel, close "
        "a short when the price closes above the middle line,",
    ],
)
def test_close_a_side_is_that_sides_exit(exits: str) -> None:
    assert _read(KELTNER_ENTRIES + exits) == KELTNER_READ


@pytest.mark.parametrize(
    ("said", "closed"),
    [
        ("close a long when it drops", ("long", 2)),
        ("and , close the shorts", ("short", 4)),
        ("close longs at the open", ("long", 1)),
        ("close above the band", None),  # the bar's close
        ("the close is above a long line", None),
        ("a close a long way off", None),  # not opening a clause or a part of it
    ],
)
def test_close_is_an_order_only_before_a_side(said: str, closed: tuple[str, int] | None) -> None:
    from reelquant.text.rules.frames import _closed_side

    words = said.split()
    at = words.index("close")
    assert _closed_side(words, at) == closed


@pytest.mark.parametrize(
    ("said", "clauses_said"),
    [
        ("The close must be above the 40 week average, daily traders use the 200 day step 2, the entry, buy when "
         "the MACD crosses above 0.",
         "the close must be above the 40 week average , daily traders use the 200 day | step 2 , the entry , buy "
         "when the macd crosses above 0"),
        # a heading talked about stays where it is
        ("We covered this in lesson 3, so the stop is the same.",
         "we covered this in lesson 3 , so the stop is the same"),
    ],
)
def test_a_numbered_heading_with_its_own_mark_begins_a_clause(said: str, clauses_said: str) -> None:
    assert _words(said) == clauses_said


def test_an_explanation_run_on_without_its_comma_does_not_hide_the_rule() -> None:
    # "... percent K is below 20 so it's a turn up from deep oversold": what follows "so it's" explains; the
    # word "oversold" in it does not make the rule a definition of a zone
    heard = _segments(
        "Setup 2, the stochastic turn. This is the slow stochastic, 14, 3, 3, and the 100-day simple moving average.",
        "The stock must be above its 100-day moving average, then the percent K line crosses above the percent D "
        "line and at the moment of the cross, percent K is below 20 so it's a turn up from deep oversold",
        "and a stock that's still on an uptrend.",
        "I buy the next open. I sell when percent K gets above 80. Same price stop, 6 percent.")
    got = [s.summary() for s in extract_specs(heard)]
    assert got == ["1d | long: entry close > sma(100) and stoch_k(14,3) crosses_above stoch_d(14,3) and "
                   "stoch_k(14,3) < 20; exit stoch_k(14,3) > 80 | SL 6%"], got


VWAP_LONG = ("QQQ on the 1-hour chart. The orange line is VWAP. The 2 thin lines are exponential moving averages, the 9 "
             "and the 21. The trigger is the 9 EMA crossing up through the 21 EMA, and that same bar has to close above "
             "VWAP. When I get both I buy at the open of the next bar. I'm out of a long when a bar closes back below "
             "VWAP. Stop 1.5 ATR. ")


@pytest.mark.parametrize(
    ("said", "short"),
    [
        # the setup turned around without naming a side (the short entry itself was garbled: "I'm sure it")
        ("The 9 crossing down through the 21, I'm sure it on the next bar. Same rules, just flipped.", True),
        ("And it works the other way too.", True),
        # the same rules, nothing flipped; and a flip of one part, not of the setup
        ("Same rules on the daily chart.", False),
        ("The exit is the mirror image of the entry.", False),
    ],
)
def test_a_setup_turned_around_without_naming_a_side_trades_both(said: str, short: bool) -> None:
    got = _read(VWAP_LONG + said)
    assert len(got) == 1 and ("short: entry ema(9) crosses_below ema(21) and close < vwap; exit close > vwap" in got[0]
                              ) is short, got


@pytest.mark.parametrize(
    ("said", "need"),
    [
        # breadth said as the share of an index's members, and "breadth" itself heard as "bread"
        ("Daily chart of SPY. I buy when the percent of Nasdaq 100 stocks trading above their own 50-day moving "
         "average is under 20 percent. I sell when the stochastic gets above 80.", "market breadth"),
        # the put/call ratio as a recognizer writes it
        ("Daily chart of SPY. I buy when the put - call is above 1 and the stochastic turns up. I sell when the "
         "stochastic gets above 80.", "options data"),
        ("Daily chart of SPY. I buy when the equity put call ratio closes above 1. I sell when the stochastic "
         "gets above 80.", "options data"),
    ],
)
def test_data_the_bars_lack_is_heard_in_the_forms_speech_takes(said: str, need: str) -> None:
    specs = extract_specs(transcript_from_text(said))
    assert len(specs) == 1 and not specs[0].testable, specs[0].summary()
    assert any(need in r for r in specs[0].unsupported), specs[0].unsupported


def test_the_charts_timeframe_is_no_window_of_the_indicator_named_after_it() -> None:
    got = _read("Okay, this is ES on 1 hour bars, and I've got 2 things on here, a Keltner channel, and the 14 period "
                "RSI. The Keltner channel is on its default settings, 20 periods with the bands 2 ATRs out. When a bar "
                "closes below the lower Keltner band and the RSI is under 30, I buy the next bar. When a bar closes "
                "back above the middle of the channel, I'm out.")
    assert got == ["1h | long: entry close < keltner_lower(20,2) and rsi(14) < 30; exit close > keltner_middle(20,2)"], got


def test_an_exit_said_without_its_side_that_repeats_a_sides_exit_stays_on_that_side() -> None:
    # the long entry's "crosses above" was lost ("crosses a plus 100"): the long exit and its restatement
    # must not become the short's exit
    got = _read("Hourly bars, the CCI over 20 bars. Step 1, long entry, when the CCI crosses a plus 100, buy at the "
                "open of the next bar. Step 2, long exit. When the CCI crosses back below plus 100, sell at the open. "
                "In this module, the exit is the cross back below plus 100. Step 3, short entry when the CCI crosses "
                "below minus 100, sell short. Step 4, short exit when the CCI crosses back above minus 100, cover.")
    assert got == ["1h | short: entry cci(20) crosses_below -100; exit cci(20) crosses_above -100"], got


def test_above_heard_as_of_a_before_the_level_crossed() -> None:
    assert "buy the cross above plus 100" in _words("Hourly bars. Buy the cross of a plus 100.")
    assert "the cost of a trade" in _words("Daily bars. Think about the cost of a trade.")


def test_a_run_on_keeps_a_definition_and_a_time_exit_with_their_words() -> None:
    # Whisper's run-ons: a pattern defined after ", definitions, and ..." and a time exit whose order follows
    # its condition after a comma
    heard = _segments(
        "Lesson 11, the inside bar breakout, daily bars, every trade has a stop, a target, and a fixed time limit, "
        "there is no indicator exit at all, definitions, and inside bars a day whose high is lower than the "
        "previous day's high",
        "and whose low is higher than the previous day's low.",
        "The average true range, or ATR, in this lesson we use the 14-day ATR. Step 1, yesterday must be an inside "
        "bar. Step 2, the long entry, today closes above yesterday's high, buy at the next open.",
        "Step 3, the stop, place a stop 1 ATR from the entry price, below for a long, step 4, the target, place a "
        "profit target 2 ATR from the entry price, above for a long, step 5, the time exit, if neither the stop nor "
        "the target has been hit after 5 trading days, close the trade, 5 days, no extensions.")
    got = [s.summary() for s in extract_specs(heard)]
    assert got == ["1d | long: entry high[1] < high[2] and low[1] > low[2] and close > high[1]; exit (stops only) | "
                   "SL 1xATR(14) | TP 2xATR(14) | out after 5 bars"], got


def test_an_example_goes_on_through_we_exit() -> None:
    # "we exit at the next open" inside a worked example is the example's, not a turn back to the rules
    rules = ("Daily bars. Buy when the close is above the highest high of the previous 55 days. A long is closed "
             "when the close falls below the lowest low of the previous 20 days. ")
    example = ("A worked example. Suppose crude closes above its 55-day high at 80 dollars. We buy at the next open. "
               "By then, the 20-day low is 91.50. If crude closes at 91.40 below that low, we exit at the next open. "
               "These are illustration numbers.")
    assert _read(rules + example) == _read(rules)
    assert _read(rules) == ["1d | long: entry close > highest_high(55); exit close < lowest_low(20)"]


def test_a_long_stretch_without_a_mark_inside_a_punctuated_segment_is_cut_at_its_cue_words() -> None:
    heard = _segments(
        "We're on daily bars, and we only trade the long side. The trend filter is the 200-day simple moving "
        "average. Price has to close above it. We use the 2 period RSI. When it drops under 10, we buy at the "
        "next open.",
        "Third, the exit, we don't wait for the RSI to get overbought we exit when the price closes above the 5-day "
        "simple moving average that usually happens just a few days later and if the trade hasn't reached that "
        "exit within 5 trading days i close it anyway dead money is a cost too there's no stop loss in the classic "
        "version")
    got = [s.summary() for s in extract_specs(heard)]
    assert got == ["1d | long: entry close > sma(200) and rsi(2) < 10; exit close > sma(5) | out after 5 bars"], got


def test_above_heard_as_up_of_after_a_rising_verb_and_back() -> None:
    assert "climbs back above 70" in _words("We sell when the money flow index climbs back up of 70.")
    assert "gets back up off the floor" in _words("It gets back up off the floor.")


def test_a_condition_cut_from_a_reported_question_by_a_pause_is_still_the_question() -> None:
    rules = ("Daily chart. Buy when the close is at least 3 percent below the 20 EMA. Sell when it closes back above "
             "the 20 EMA. ")
    heard = _segments(rules, "Somebody ask whether I short the opposite", "when a stock is 3 percent above the EMA.",
                      "Nope. Long only.")
    assert [s.summary() for s in extract_specs(heard)] == _read(rules)


def test_a_remark_between_a_condition_and_its_consequence_does_not_part_them() -> None:
    # one run-on segment, as Whisper wrote the lesson: each "when ..." keeps "and you buy" after a remark
    heard = _segments(
        "Hello my friends, today I show you the Supertrend strategy, very simple but very powerful, settings is 10 "
        "and 3, so ATR period 10, and multiplier 3, timeframe is the 1 hour candle, now the rules, when the candle "
        "close above the Supertrend line, the line become green, and you buy, when the candle close below the "
        "line, it become red, and you close your buy and you take the sell, same moment, so you are always inside "
        "the market")
    got = [s.summary() for s in extract_specs(heard)]
    assert got and got[0].startswith("1h | long: entry close > supertrend(10,3); exit close < supertrend(10,3)"), got


def test_a_condition_a_pause_cuts_before_its_consequence_goes_on() -> None:
    heard = _segments("Daily chart. When the close crosses below the 50 day simple moving average",
                      "the trend is over and you sell.", "When it crosses back above the 50 day average, you buy.")
    said = [" ".join(c.words) for c in clauses(heard)]
    assert "when the close crosses below the 50 day simple moving average the trend is over and you sell" in said
    # a condition said as a sentence of its own stays one
    alone = _segments("Daily chart. When the close crosses below the 50 day simple moving average.", "You sell.")
    assert "you sell" in [" ".join(c.words) for c in clauses(alone)]


def test_a_condition_whose_own_order_was_garbled_does_not_join_the_rule_before() -> None:
    # "you short" heard as "you sure": that condition has its own (unread) order; it is not the buy's
    got = _read("Daily chart. When price closes above the highest high of the last 20 days, you buy. When price "
                "closes below the lowest low of the last 20 days, you sure. If you're long, you get out when price "
                "closes below the lowest low of the last 10 days.")
    assert got == ["1d | long: entry close > highest_high(20); exit close < lowest_low(10)"], got


def test_a_setup_is_named_back_whatever_hyphens_the_recognizer_wrote() -> None:
    from reelquant.text.rules.reading import _contains

    assert _contains(["what", "about", "stops", "on", "the", "2", "times", "-", "close"], ("2", "times", "close"))
    assert _contains(["the", "stop", "on", "the", "2", "times", "close"], ("2", "times", "-", "close"))
    assert not _contains(["2", "times", "the", "close"], ("2", "times", "close"))


@pytest.mark.parametrize(
    "heard",
    [
        # the heading said as a sentence of its own
        ("Daily chart, only buy pullbacks in an uptrend. The entry needs both. Price must be above the 200-day simple "
         "moving average, and the 2-period RSI must drop below 10. Sell when the 2-period RSI rises above 90.",),
        # a pause right after it
        ("Daily chart, only buy pullbacks in an uptrend. The entry needs both",
         "price must be above the 200-day simple moving average, and the 2-period RSI must drop below 10. Sell when "
         "the 2-period RSI rises above 90."),
    ],
)
def test_a_heading_that_announces_its_conditions_takes_them(heard: tuple[str, ...]) -> None:
    got = [s.summary() for s in extract_specs(_segments(*heard))]
    assert got == ["1d | long: entry close > sma(200) and rsi(2) < 10; exit rsi(2) > 90"], got


def test_buy_heard_as_by_in_a_clause_with_no_other_verb() -> None:
    assert "buy next open" in _words("Daily bars. RSI 14 above 50, both true, by next open.")
    assert "by next open we are flat" in _words("Daily bars. By next open we are flat.")
    assert "both true at today's close , buy at the next open" in _words(
        "The entry, when steps 1 and 2 are both true at today's close, by at the next open.")
    assert "by the open we are flat" in _words("Daily bars. By the open we are flat.")


def test_a_heading_with_number_before_its_count_begins_a_clause() -> None:
    said = _words("None of that is part of the setups, it's just the weather we're trading in, setup number one, "
                  "the volume breakout.")
    assert said.endswith("| setup number one , the volume breakout"), said


def test_a_setup_heading_said_after_a_lead_in_and_a_pause_starts_the_setup() -> None:
    heard = _segments(
        "Today I will explain you 2 different setups, both on the daily chart.",
        "So let's talk about rules setup number one",
        "price must close above the highest high of the last 50 days, all together I buy, and I sell when the "
        "price closes below the lowest low of the last 20 days.",
        "Setup number 2, when the RSI drops below 30 I buy, and I sell when the RSI rises above 70.")
    got = [s.summary() for s in extract_specs(heard)]
    assert got == ["1d | long: entry close > highest_high(50); exit close < lowest_low(20)",
                   "1d | long: entry rsi(14) < 30; exit rsi(14) > 70"], got

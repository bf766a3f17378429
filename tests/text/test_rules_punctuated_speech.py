"""The rule reader on speech as a punctuating recognizer (Whisper) writes it: full stops heard as commas, so
that sentences run on; a heading run into its step with a comma; an explanation or a role change said in
the same sentence as a rule. Each case is read the same way as its carefully written twin."""

from __future__ import annotations

import pytest

from reelquant.speech.transcript import Segment, Transcript, transcript_from_text
from reelquant.text.rules import extract_specs
from reelquant.text.rules.frames import clause_marks
from reelquant.text.rules.normalize import RUN_ON, clauses


def _read(text: str) -> list[str]:
    return [s.summary() for s in extract_specs(transcript_from_text(text))]


# A crossover lesson written with its full stops, and as a recognizer that hears none of them writes it.
WRITTEN = ("Okay, this one is for the daily chart. I keep it simple. The fast line is the 10 EMA, the slow line is "
           "the 30 EMA. When the 10 EMA crosses over the 30 EMA I buy. I sell when the 10 EMA crosses back under "
           "the 30 EMA. There is no stop on this one. A viewer asked me whether I trail a stop. Honestly I never "
           "bother with that, the crossover does the job. Thanks for watching.")
RUN_ON_SPEECH = ("Okay, this one is for the daily chart, I keep it simple, the fast line is the 10 EMA, the slow line "
                 "is the 30 EMA, when the 10 EMA crosses over the 30 EMA I buy, I sell when the 10 EMA crosses back "
                 "under the 30 EMA, there is no stop on this one, a viewer asked me whether I trail a stop, honestly "
                 "I never bother with that, the crossover does the job, thanks for watching.")


def test_a_run_on_sentence_is_read_like_the_sentences_it_joins() -> None:
    # One sentence of far more tokens than any written one: a question reported in it ("asked me whether")
    # and a refusal ("I never bother") belong to their own parts, not to the rules said before them.
    assert len(clauses(transcript_from_text(RUN_ON_SPEECH))[0].tokens) < RUN_ON  # it was cut
    assert _read(RUN_ON_SPEECH) == _read(WRITTEN) == [
        "1d | long: entry ema(10) crosses_above ema(30); exit ema(10) crosses_below ema(30)"]


@pytest.mark.parametrize(
    ("heard", "kept"),
    [
        # a list of settings stays whole
        ("MACD 12, 26, 9", "12, 26, 9"),
        # the subject's own comparison, said around an aside, stays with it
        ("the CCI, having been over 100, crosses back under 100",
         "the cci, having been over 100, crosses back under 100"),
        # a part that names what follows waits for it
        ("so the rule is, price must close above the band", "so the rule is, price must close above the band"),
        # a list of conditions joined by "and"
        ("the close is over the 50 EMA, and the RSI is under 40",
         "the close is over the 50 ema, and the rsi is under 40"),
    ],
)
def test_a_run_on_is_not_cut_inside_what_belongs_together(heard: str, kept: str) -> None:
    filler = "I have been trading this for years, it works on stocks and futures, the charts are all daily"
    said = f"{filler}, {filler}, {heard}, {filler}, thanks for watching."
    pieces = [c.text() for c in clauses(transcript_from_text(said))]
    assert len(pieces) > 3 and any(kept in piece for piece in pieces), pieces  # cut elsewhere, whole here


def test_a_written_sentence_with_commas_is_not_cut() -> None:
    said = ("When the fast average crosses below the slow one, I sell my long and I go short at once, and I hold "
            "that short until the fast one crosses back above, where I cover and go long again.")
    assert len(clauses(transcript_from_text(said))) == 1


def _heard(text: str) -> Transcript:
    """One recognizer segment holding `text`, as Whisper writes a stretch of speech."""
    return Transcript(segments=[Segment(0, 0.0, 8.0, text)], engine="faster_whisper")


def test_a_stop_inside_an_abbreviation_ends_no_sentence() -> None:
    said = "Every morning at 9 a.m. before the open I check the daily chart and buy when the RSI is under 30."
    assert len(clauses(_heard(said))) == 1
    assert len(clauses(_heard("I buy at 9. Then I wait. I sell at 3 p.m. Then I rest."))) == 4


def test_a_condition_list_said_before_the_exit_belongs_to_the_entry() -> None:
    # "the exit is when ..." takes what follows it, not the entry's conditions said just before it
    said = ("So the entry is, the close must be above the 100 EMA, and the RSI must cross above 50, both "
            "together, the exit is when the RSI crosses back below 50.")
    assert _read(said) == ["1d | long: entry close > ema(100) and rsi(14) crosses_above 50; "
                           "exit rsi(14) crosses_below 50"]


def test_a_step_heading_run_into_its_rule_and_an_explanation_after_it() -> None:
    written = ("Step 2. Yesterday, the RSI closed above 70. So the stock got overbought. Step 3. Today the close "
               "breaks under yesterday's low, and you sell short. You cover when the RSI falls under 30.")
    heard = ("Step 2, yesterday, the RSI closed above 70, so the stock got overbought. Step 3, today the close "
             "breaks under yesterday's low, and you sell short. You cover when the RSI falls under 30.")
    assert _read(heard) == _read(written) == [
        "1d | short: entry rsi(14)[1] > 70 and close < low[1]; exit rsi(14) < 30"]


@pytest.mark.parametrize(
    ("said", "definition"),
    [
        ("above 70 is overbought", True),
        ("the RSI closed above 70, so the stock got overbought", False),  # a rule, then why
        ("the RSI closed above 70, meaning the stock is overbought", False),
        ("under 30 the stock is oversold, so I buy", True),
    ],
)
def test_a_zone_named_in_an_explanation_is_no_definition(said: str, definition: bool) -> None:
    clause = clauses(transcript_from_text(said))[0]
    assert clause_marks(clause).definition is definition


@pytest.mark.parametrize("heard", ["closes above the previous days high", "closes above yesterdays high",
                                   "closes above the prior bars high"])
def test_a_possessive_written_without_its_apostrophe(heard: str) -> None:
    assert _read(f"Buy when the RSI is under 30. Sell when the stock {heard}.") == [
        "1d | long: entry rsi(14) < 30; exit close > high[1]"]


def test_a_refusal_in_a_run_on_keeps_the_condition_it_refuses() -> None:
    said = ("Welcome back, this one is on the daily chart, the ADX has to be over 25 first, under 25 the market is "
            "asleep, there is no trend, I don't enter, then when the RSI drops under 30 I buy, and I sell when the "
            "RSI gets back above 50, that is the whole thing, thanks for watching.")
    assert _read(said) == ["1d | long: entry adx(14) > 25 and rsi(14) < 30; exit rsi(14) > 50"]


def test_an_entry_that_can_never_hold_is_not_a_rule() -> None:
    # what a misheard word can leave: one series above and below the same level at once
    (spec,) = extract_specs(transcript_from_text(
        "The ADX must be above 20. The ADX must be below 20. I buy when the RSI drops below 30. I sell when the "
        "RSI is above 70."))
    assert not spec.testable
    assert spec.unsupported == ["the long entry heard cannot hold: adx(14) > 20 and adx(14) < 20 contradict each other"]

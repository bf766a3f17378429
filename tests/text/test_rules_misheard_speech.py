"""The rule reader on words a recognizer writes for trading words it heard ("cell" for sell, "by" for buy,
"about" for above, "to ATR" for two ATR, "set 4" for step 4, "along" for a long, "one" for when): each is
read back only where grammar leaves the trading word, and each misheard lesson is read like its written twin.
Where the ordinary word is meant ("by the way", "is about 167", "along with"), it stays."""

from __future__ import annotations

import pytest

from reelquant.speech.transcript import transcript_from_text
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

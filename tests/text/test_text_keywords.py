"""Keyword spotting: lexicon terms found in transcripts, with their times."""

import pandas as pd
import pytest

from reelquant.speech.transcript import Segment, Transcript, Word
from reelquant.text.keywords import KEYWORD_COLUMNS, find_keyword_hits
from reelquant.text.lexicon import registry_terms


def _words(text: str, start: float, step: float) -> list[Word]:
    return [
        Word(w, round(start + i * step, 3), round(start + (i + 1) * step, 3))
        for i, w in enumerate(text.split())
    ]


def test_hits_take_their_times_from_the_words() -> None:
    text = "When the R S I drops below thirty I buy on the daily chart"
    seg = Segment(id=7, start=10.0, end=16.0, text=text, words=_words(text, 10.0, 0.5))
    hits = find_keyword_hits(Transcript(segments=[seg], engine="test"))
    assert list(hits.columns) == KEYWORD_COLUMNS
    rsi = hits[hits["canonical_id"] == "rsi"].iloc[0]
    # "R S I" are words 2..4: 11.0 to 12.5
    assert (rsi["start_s"], rsi["end_s"]) == (11.0, 12.5)
    assert rsi["surface"] == "R S I" and rsi["term"] == "Relative strength index" and rsi["category"] == "indicators"
    assert rsi["segment_id"] == 7
    daily = hits[hits["canonical_id"] == "tf_1d"].iloc[0]
    assert daily["surface"] == "daily chart" and daily["start_s"] == 16.0  # word 12


def test_hits_without_words_are_placed_within_the_segment() -> None:
    text = "bollinger bands and then a trailing stop"
    seg = Segment(id=0, start=100.0, end=110.0, text=text)
    hits = find_keyword_hits(Transcript(segments=[seg], engine="test")).set_index("canonical_id")
    assert hits.loc["bb", "start_s"] == 100.0
    trail = hits.loc["trailing_stop"]
    assert 100.0 < trail["start_s"] < trail["end_s"] == 110.0


def test_longest_alias_wins_and_case_is_ignored() -> None:
    seg = Segment(id=0, start=0.0, end=5.0, text="The Simple Moving Average and the MACD Signal Line.")
    hits = find_keyword_hits(Transcript(segments=[seg], engine="test"))
    assert list(hits["canonical_id"]) == ["sma", "macd_signal"]


def test_no_terms_gives_an_empty_frame_with_the_columns() -> None:
    seg = Segment(id=0, start=0.0, end=2.0, text="hello there everyone")
    hits = find_keyword_hits(Transcript(segments=[seg], engine="test"))
    assert hits.empty and list(hits.columns) == KEYWORD_COLUMNS
    assert pd.api.types.is_float_dtype(hits["start_s"])


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("the plus DI crosses above the D I minus while the ADX is over twenty",
         ["plus_di", "minus_di", "adx"]),
        ("Williams percent R under minus eighty and the super trend below price", ["williams_r", "supertrend"]),
        ("short under the lower Keltner band, cover at the Keltner middle line", ["keltner_lower", "keltner_middle"]),
        ("the stochastic and the MACD histogram", ["stoch", "macd_hist"]),
        ("the parabolic SAR and the money flow index and the commodity channel index", ["psar", "mfi", "cci"]),
    ],
)
def test_registry_indicators_are_spotted(text: str, ids: list[str]) -> None:
    seg = Segment(id=0, start=0.0, end=5.0, text=text)
    hits = find_keyword_hits(Transcript(segments=[seg], engine="test"))
    registry_ids = {t.id for t in registry_terms()}
    assert [i for i in hits["canonical_id"] if i in registry_ids] == ids


def test_words_that_need_context_are_not_spotted_alone() -> None:
    text = "On average the buy signal shows up when the stock goes parabolic near the high of the day"
    seg = Segment(id=0, start=0.0, end=5.0, text=text)
    hits = find_keyword_hits(Transcript(segments=[seg], engine="test"))
    assert not set(hits["canonical_id"]) & {"sma", "macd_signal", "psar", "high"}

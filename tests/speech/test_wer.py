import sys

import pytest

from reelquant.speech import wer
from reelquant.speech.wer import (
    NormalizerUnavailableError,
    align_words,
    misheard_spans,
    normalized_words,
    word_error_rate,
    word_errors,
    word_score,
)


@pytest.mark.parametrize(("said", "heard"), [
    ("Use the 200-day average.", "use the two hundred day average"),
    ("Risk 1.5 times the ATR", "risk one point five times the ATR"),
    ("A 20% pullback", "a twenty percent pullback"),
    ("a 10 per cent stop", "A 10% stop"),
    ("The 9 EMA and the 21 EMA", "the nine EMA and the twenty-one EMA"),
    ("RSI below thirty, then BUY!", "rsi below 30 then buy"),
    ("Sell on the 1st close", "sell on the first close"),
    ("Um, the colour of the candle", "the color of the candle"),
    ("The classic settings, twelve, twenty six and nine.", "the classic settings 12, 26 and 9"),
    ("Below the last twenty. Ten days later", "below the last 20. 10 days later"),
    ("Buy 1,000 shares at $1,500.", "buy one thousand shares at fifteen hundred dollars"),
    ("The plus DI and the A.T.R.", "the plus D I and the ATR"),
    ("Two times the A-T-R, I buy", "two times the ATR, I buy"),
    ("Sell when percent R is above 80", "sell when %R is above 80"),
])
def test_ways_of_writing_the_same_words_are_no_error(said: str, heard: str) -> None:
    assert word_errors(said, heard) == (0, len(normalized_words(said)))
    assert normalized_words(said) == normalized_words(heard)


@pytest.mark.parametrize(("said", "heard", "edits"), [
    ("Use the 200-day average.", "use the 20 day average", 1),
    ("A 20% pullback", "a 25 percent pullback", 1),
    ("buy above the 50 day", "buy below the 50 day", 1),
    ("when MACD crosses", "when Mac D crosses", 2),
    ("buy the close now", "buy a close", 2),
    ("the D I, I buy", "the D, I buy", 1),
])
def test_real_differences_still_count(said: str, heard: str, edits: int) -> None:
    assert word_errors(said, heard)[0] == edits


def test_word_error_rate() -> None:
    assert word_error_rate("buy the close now", "buy the close now") == 0.0
    assert word_error_rate("buy the close now", "buy a close") == 0.5
    assert word_errors("Long-only, twenty day!", "long only twenty a day") == (1, 4)
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("buy now", "") == 1.0


def test_alignment_accounts_for_every_word_once() -> None:
    said, heard = "the nine EMA crosses above the 21 EMA", "the 9E2A crosses over the twenty one EMA today"
    pairs = align_words(said, heard)
    assert [r for r, _ in pairs if r is not None] == normalized_words(said)
    assert [h for _, h in pairs if h is not None] == normalized_words(heard)
    # "9E2A" is read as the words 9 e 2 a: ema -> e, +2, +a, above -> over, +today.
    assert sum(r != h for r, h in pairs) == word_errors(said, heard)[0] == 5


def test_misheard_spans_group_runs_of_wrong_words() -> None:
    spans = misheard_spans("the nine EMA crosses above the 21 EMA", "the 9E2A crosses over the twenty one EMA today")
    assert spans == [("ema", "e 2 a"), ("above", "over"), ("", "today")]
    assert misheard_spans("when the MACD line crosses", "when the Mac D crosses") == [("macd line", "mac d")]
    assert misheard_spans("buy the close", "buy the close") == []


def test_missing_whisper_package_is_one_clear_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    wer.english_normalizer.cache_clear()
    try:
        with pytest.raises(NormalizerUnavailableError, match=r"openai-whisper package .* is not installed; "
                                                             r"install it with `pip install openai-whisper"):
            word_errors("a", "a")
    finally:
        monkeypatch.undo()
        wer.english_normalizer.cache_clear()
    assert word_errors("a", "a") == (0, 1)


def test_normalizer_does_not_import_whisper_whole() -> None:
    assert normalized_words("two hundred") == ["200"]
    assert wer._NORMALIZERS_MODULE in sys.modules
    assert "whisper" not in sys.modules


def test_word_score_is_one_alignment_of_both() -> None:
    said, heard = "Buy when the 9 EMA crosses the 21 EMA", "by when the nine e m a crosses the twenty one"
    score = word_score(said, heard)
    # "e m a", spelled letter by letter, is the word "ema"
    assert (score.edits, score.words) == word_errors(said, heard) == (2, 9)
    assert score.spans == misheard_spans(said, heard) == [("buy", "by"), ("ema", "")]
    assert score.rate == word_error_rate(said, heard) == 2 / 9

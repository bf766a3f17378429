import math

from reelquant.text.extract import extract_spec, transcript_from_text
from reelquant.text.features import FEATURE_DOCS, lesson_features
from reelquant.text.keywords import find_keyword_hits

LESSON = (
    "I use the standard fourteen period RSI on daily candles.\n"
    "When the RSI drops below thirty, I buy.\n"
    "I sell when the RSI rises above seventy.\n"
    "Place a stop loss two percent below the entry. Do not revenge trade."
)


def _features(text: str) -> dict[str, float]:
    tr = transcript_from_text(text, words_per_second=2.0)
    return lesson_features(tr, find_keyword_hits(tr), extract_spec(tr))


def test_at_least_thirty_documented_finite_features() -> None:
    f = _features(LESSON)
    assert len(f) >= 30 and set(f) == set(FEATURE_DOCS)
    assert all(isinstance(v, float) and math.isfinite(v) for v in f.values())


def test_features_measure_the_lesson() -> None:
    f = _features(LESSON)
    words = len(LESSON.split())
    assert f["word_count"] == words
    # 2 words per second -> 120 words per minute
    assert abs(f["speech_rate_wpm"] - 120.0) < 3.0
    assert f["segment_count"] == 5
    assert (f["entry_rule_count"], f["exit_rule_count"], f["stop_count"]) == (1.0, 1.0, 1.0)
    assert f["testable"] == 1.0 and f["direction_long"] == 1.0
    assert f["provenance_coverage"] == 1.0
    assert f["numbers_mentioned"] == 4.0 and f["percent_mentions"] == 1.0
    assert f["psychology_per_min"] > 0 and f["indicators_per_min"] > f["psychology_per_min"]


def test_features_of_an_empty_or_ruleless_lesson_stay_finite() -> None:
    f = _features("Be patient and keep a trading journal.")
    assert f["testable"] == 0.0 and f["entry_rule_count"] == 0.0 and f["first_rule_frac"] == 1.0
    assert all(math.isfinite(v) for v in f.values())


def test_features_of_a_silent_transcript_are_zero_not_nan() -> None:
    f = _features("")
    assert f["duration_s"] == 0.0 and f["speech_rate_wpm"] == 0.0 and f["hit_count"] == 0.0
    assert all(math.isfinite(v) for v in f.values())

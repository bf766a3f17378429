"""Numeric features of a lesson: its speech, its trading terms, and the list of StrategySpec v2 setups it teaches."""

import math

from reelquant.speech.transcript import Transcript, transcript_from_text
from reelquant.strategy.spec import StrategySpec
from reelquant.text.features import FEATURE_DOCS, lesson_features
from reelquant.text.keywords import find_keyword_hits

LESSON = (
    "I use the standard fourteen period RSI on daily candles.\n"
    "When the RSI drops below thirty, I buy.\n"
    "I sell when the RSI rises above seventy.\n"
    "Place a stop loss two percent below the entry. Do not revenge trade."
)


def _quote(tr: Transcript, part: str, words: str) -> dict:
    seg = next(s for s in tr.segments if words in s.text)
    return {"part": part, "start_s": seg.start, "end_s": seg.end, "text": seg.text}


def _rsi(op: str, level: int) -> dict:
    return {"left": {"indicator": "rsi", "params": {"window": 14}}, "op": op, "right": level}


def _rsi_setup(tr: Transcript) -> StrategySpec:
    """What the lesson teaches, with each rule quoted where it is said."""
    return StrategySpec.from_dict({
        "version": 2, "testable": True, "name": "RSI 30/70", "timeframe": "1d",
        "long": {"entry": {"all": [_rsi("<", 30)]}, "exit": {"any": [_rsi(">", 70)]}},
        "stops": {"stop_loss_pct": 2.0},
        "provenance": [_quote(tr, "long.entry[0]", "drops below thirty"), _quote(tr, "long.exit[0]", "seventy"),
                       _quote(tr, "stops", "stop loss")],
        "confidence": 0.9,
    })


def _features(text: str, specs: list[StrategySpec] | None = None) -> dict[str, float]:
    tr = transcript_from_text(text, words_per_second=2.0)
    if specs is None:
        specs = [_rsi_setup(tr)] if "RSI" in text else [StrategySpec.untestable(["no rule taught"])]
    return lesson_features(tr, find_keyword_hits(tr), specs)


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
    assert f["testable"] == 1.0 and f["direction_long"] == 1.0 and f["direction_both"] == 0.0
    assert f["setup_count"] == 1.0 and f["testable_setups"] == 1.0
    assert f["provenance_coverage"] == 1.0  # "stops" quotes the stop loss
    assert f["numbers_mentioned"] == 4.0 and f["percent_mentions"] == 1.0
    assert f["psychology_per_min"] > 0 and f["indicators_per_min"] > f["psychology_per_min"]
    first_rule = next(s for s in transcript_from_text(LESSON, 2.0).segments if "thirty" in s.text).start
    assert f["first_rule_frac"] == first_rule / f["duration_s"]


def test_features_count_every_setup_side_and_stop_of_the_list() -> None:
    tr = transcript_from_text(LESSON, words_per_second=2.0)
    rsi = _rsi_setup(tr)
    reverse = StrategySpec.from_dict({
        "version": 2, "testable": True, "name": "RSI flip", "timeframe": "1d",
        "long": {"entry": {"all": [_rsi("<", 30)]}, "exit": {"any": [_rsi(">", 70)]}},
        "short": {"entry": {"all": [_rsi(">", 70)]}, "exit": {"any": [_rsi("<", 30)]}},
        "stops": {"stop_loss_atr": 2.0, "take_profit_atr": 3.0, "max_bars_held": 10},
        "confidence": 0.5,
    })
    f = lesson_features(tr, find_keyword_hits(tr), [rsi, reverse])
    assert f["setup_count"] == 2.0 and f["testable_setups"] == 2.0
    assert (f["entry_rule_count"], f["exit_rule_count"], f["stop_count"]) == (3.0, 3.0, 4.0)
    assert f["has_atr_stop"] == f["has_time_exit"] == f["has_take_profit"] == 1.0 and f["has_trailing_stop"] == 0.0
    assert f["direction_both"] == f["stop_and_reverse"] == f["direction_long"] == 1.0
    assert f["direction_short"] == 0.0
    # rsi(14) is one series however many conditions and setups read it.
    assert f["distinct_spec_indicators"] == 1.0
    assert f["confidence"] == (0.9 + 0.5) / 2
    # The flip's four conditions and three stops carry no quote: 3 of 10 rules are quoted.
    assert f["provenance_coverage"] == 3 / 10
    # The same numbers from the specs' JSON form, as the asset holds them.
    assert lesson_features(tr, find_keyword_hits(tr), [rsi.to_dict(), reverse.to_dict()]) == f


def test_features_of_an_empty_or_ruleless_lesson_stay_finite() -> None:
    f = _features("Be patient and keep a trading journal.")
    assert f["testable"] == 0.0 and f["entry_rule_count"] == 0.0 and f["first_rule_frac"] == 1.0
    assert f["setup_count"] == 1.0 and f["testable_setups"] == 0.0 and f["unsupported_count"] == 1.0
    assert all(math.isfinite(v) for v in f.values())


def test_features_of_a_silent_transcript_are_zero_not_nan() -> None:
    f = _features("")
    assert f["duration_s"] == 0.0 and f["speech_rate_wpm"] == 0.0 and f["hit_count"] == 0.0
    assert f == _features("", specs=[]) | {"setup_count": 1.0, "unsupported_count": 1.0}
    assert all(math.isfinite(v) for v in f.values())

"""Filters said without an action word, stay-out conditions, said condition counts, channel breakouts."""

import pytest

from reelquant.speech.transcript import Segment, Transcript, Word
from reelquant.strategy.scoring import score_spec
from reelquant.strategy.spec import StrategySpec
from reelquant.text.extract import extract_spec, transcript_from_text

from .asr_like import asr_like
from .lessons import SAMPLE_LESSONS, lesson_names, load_lesson

SAMPLES = lesson_names(SAMPLE_LESSONS)


def _extract(text: str) -> StrategySpec:
    return extract_spec(transcript_from_text(text))


def _entries(spec: StrategySpec) -> set[str]:
    return {f"{c.left.indicator} {c.op} {getattr(c.right, 'indicator', c.right)}" for c in spec.entry.conditions}


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("variant", ["written", "asr"])
def test_sample_lessons_are_recovered_exactly(name: str, variant: str) -> None:
    text, label = load_lesson(SAMPLE_LESSONS, name)
    spec = _extract(text if variant == "written" else asr_like(text))
    assert score_spec(spec, label)["exact"], (name, spec.summary(), label.summary())


@pytest.mark.parametrize(
    "filter_sentence",
    [
        "The daily close must be above the 200 day simple moving average.",
        "Price has to stay above the 200 day simple moving average.",
        "We only trade when the close is above the 200 day simple moving average.",
        "If price is below the 200 day simple moving average, we do nothing.",
        "When the close is under the 200 day simple moving average we stay out.",
    ],
)
def test_a_filter_said_on_its_own_is_an_entry_condition(filter_sentence: str) -> None:
    text = (
        f"{filter_sentence} We buy when the 2 period RSI drops below 10. "
        "We sell when the 2 period RSI rises above 70. Long only."
    )
    spec = _extract(text)
    assert spec.testable, spec.unsupported
    assert spec.entry.mode == "all"
    assert len(spec.entry.conditions) == 2
    assert any(e in _entries(spec) for e in ("close > sma", "close >= sma")), spec.summary()


def test_stay_out_below_that_line_is_one_filter_with_the_positive_rule() -> None:
    spec = _extract(
        "The close must be above the 100 day exponential moving average. If price is below that line, "
        "we do nothing. We buy when the RSI drops below 30 and sell when it rises above 60."
    )
    assert _entries(spec) == {"close > ema", "rsi < 30"}, spec.summary()
    window = next(c.right.params["window"] for c in spec.entry.conditions if c.left.indicator == "close")
    assert window == 100


def test_fewer_conditions_than_the_lesson_says_is_not_testable() -> None:
    spec = _extract(
        "Both conditions must be true on the same day before we buy. "
        "We buy when the 2 period RSI drops below 10. We sell when it rises above 70."
    )
    assert not spec.testable
    assert any("2 entry conditions" in r for r in spec.unsupported), spec.unsupported


def test_an_explanation_without_rule_words_is_not_a_filter() -> None:
    spec = _extract(
        "When the RSI is above 70 traders call it overbought. "
        "We buy when the RSI drops below 30 and sell when it rises above 60."
    )
    assert _entries(spec) == {"rsi < 30"}, spec.summary()


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("We buy when the close breaks above the upper channel.", "close > highest_high"),
        ("We buy when price crosses above the upper Donchian channel.", "close crosses_above highest_high"),
    ],
)
def test_a_break_of_the_donchian_channel_is_a_break_of_the_prior_bars(said: str, expected: str) -> None:
    spec = _extract(
        f"We use a 40 day Donchian channel. {said} We sell when the close falls below the lower channel."
    )
    assert _entries(spec) == {expected}, spec.summary()
    assert spec.entry.conditions[0].right.params == {"window": 40}
    assert spec.exit.conditions[0].right.indicator == "lowest_low"


# What pocketsphinx heard in Festival-voiced lessons: each drops or garbles one part of the rule.
PARTIAL_READINGS = [
    (
        "we buy when the two period rsi falls below ten we sell when the two period rsi climbs back events "
        "seventy take profit six percent above the entry long only",
        "could not be read",
    ),
    (
        "buy when the close moves above the highest high of the past fifty five bars sell when the close drops "
        "under the lowest low of the past twenty bars the initial stop two playing five times the average true "
        "range below the entry",
        "size could not be read",
    ),
    (
        "i only buy pullbacks an up trend the entry as price must be above the two hundred day simple moving "
        "average on the two period rsi must drops below ten sell when the two period rsi rises above ninety "
        "take profit at six percent this is a long only",
        "entry or an exit",
    ),
    (
        "we buy when the rsi drops below thirty we sell when the dar es ein rises above seventy stop loss two percent",
        "could not be read",
    ),
]


@pytest.mark.parametrize(("heard", "why"), PARTIAL_READINGS)
def test_a_partial_reading_is_not_testable_and_says_why(heard: str, why: str) -> None:
    spec = extract_spec(transcript_from_text(heard))
    assert not spec.testable, spec.summary()
    assert any(why in r for r in spec.unsupported), spec.unsupported


def _heard_with_confidence(words: list[tuple[str, float]]) -> Transcript:
    timed = [Word(text=w, start=i * 0.4, end=i * 0.4 + 0.3, confidence=c) for i, (w, c) in enumerate(words)]
    segment = Segment(id=0, start=0.0, end=timed[-1].end, text=" ".join(w for w, _ in words), words=timed)
    return Transcript(segments=[segment], engine="pocketsphinx")


@pytest.mark.parametrize(("confidence", "testable"), [(0.9, True), (0.02, False)])
def test_a_number_the_recognizer_barely_heard_is_not_taken(confidence: float, testable: bool) -> None:
    said = "we buy when the rsi drops below thirty we sell when the rsi rises above seventy take profit at"
    words = [(w, 0.95) for w in said.split()] + [("two", confidence), ("percent", 1.0)]
    spec = extract_spec(_heard_with_confidence(words))
    assert spec.testable is testable, spec.unsupported
    if testable:
        assert spec.take_profit_pct == 2.0
    else:
        assert any("size could not be read" in r for r in spec.unsupported), spec.unsupported

"""What keeps a rule out or turns it around: filters said without an action, stay-out sentences, negated
actions, optional filters, indicators named and not used, stories, reported questions, channel breaks, and
what a recognizer garbled (a partial rule is worse than none)."""

from __future__ import annotations

import pytest

from reelquant.speech.transcript import Segment, Transcript, Word, transcript_from_text
from reelquant.strategy.spec import StrategySpec
from reelquant.text.rules import extract_specs

from .asr_like import asr_like

RSI_RULES = (
    "We buy when the 2 period RSI drops below 10. We sell when the 2 period RSI rises above 70. Long only."
)


def one(text: str) -> StrategySpec:
    got = extract_specs(transcript_from_text(text))
    assert len(got) == 1, [s.summary() for s in got]
    return got[0]


def entry(spec: StrategySpec) -> set[str]:
    return (
        {c.describe().replace(">=", ">").replace("<=", "<") for c in spec.long.entry.conditions}
        if spec.long
        else set()
    )


@pytest.mark.parametrize("heard", [False, True], ids=["written", "heard"])
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
def test_a_filter_said_on_its_own_joins_the_entry(filter_sentence: str, heard: bool) -> None:
    text = f"{filter_sentence} {RSI_RULES}"
    spec = one(asr_like(text) if heard else text)
    assert entry(spec) == {"close > sma(200)", "rsi(2) < 10"}, spec.summary()


def test_do_not_buy_when_keeps_the_opposite() -> None:
    spec = one(
        "Buy when the close crosses above the 20 day EMA, but do not buy when the RSI is above seventy. "
        "Exit when the close crosses below the 20 day EMA."
    )
    assert entry(spec) == {"close crosses_above ema(20)", "rsi(14) < 70"}
    assert next(c for c in spec.long.entry.conditions if c.left.indicator == "rsi").op == "<="


def test_an_explanation_without_an_action_is_not_a_filter() -> None:
    spec = one(
        "When the RSI is above 70 traders call it overbought. We buy when the RSI drops below 30 and "
        "sell when it rises above 60."
    )
    assert entry(spec) == {"rsi(14) < 30"}


@pytest.mark.parametrize(
    "aside",
    [
        "Some people add the MACD, I don't.",
        "I keep the stochastic on my screen but I don't use it. When the stochastic is under 20 it looks nice.",
        "Optionally, only buy when the ADX is above 25.",
        "If you want, you can add a filter: the close above the 50 day average.",
        "Beginners buy when the price is above the upper band, and they get run over.",
        "Somebody asked whether I short when the RSI is above 80. Nope.",
        "Last year the RSI dipped to 38 and I bought it, and it ran.",
    ],
)
def test_asides_are_not_rules(aside: str) -> None:
    spec = one(f"We buy when the RSI drops below 30. {aside} We sell when the RSI rises above 60.")
    assert entry(spec) == {"rsi(14) < 30"}
    assert spec.short is None


def test_a_worked_example_is_not_a_rule() -> None:
    spec = one(
        "Buy when the RSI drops below 30. Sell when it rises above 70.\nA worked example. Suppose the "
        "stock closes at 50 dollars. The RSI is below 25, so we buy. The numbers are only an example."
    )
    assert entry(spec) == {"rsi(14) < 30"}


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("We buy when the close breaks above the upper channel.", "close > highest_high(40)"),
        (
            "We buy when price crosses above the upper Donchian channel.",
            "close crosses_above highest_high(40)",
        ),
    ],
)
def test_a_break_of_the_donchian_channel_is_a_break_of_the_prior_bars(said: str, expected: str) -> None:
    spec = one(
        f"We use a 40 day Donchian channel. {said} We sell when the close falls below the lower channel."
    )
    assert entry(spec) == {expected}
    assert {c.describe() for c in spec.long.exit.conditions} == {"close < lowest_low(40)"}


# What pocketsphinx heard in Festival-voiced lessons: each drops or garbles one part of the rule.
@pytest.mark.parametrize(
    "heard",
    [
        "we buy when the two period rsi falls below ten we sell when the two period rsi climbs back events "
        "seventy long only",
        "buy when the close moves above the highest high of the past fifty five bars and then the dar es ein",
        "i only buy pullbacks an up trend the entry as price must be above the two hundred day simple moving "
        "average on the two period rsi must drops below ten long only",
    ],
)
def test_a_reading_without_a_way_out_is_not_testable(heard: str) -> None:
    got = extract_specs(transcript_from_text(heard))
    assert len(got) == 1 and not got[0].testable, got[0].summary()


def _heard_with_confidence(words: list[tuple[str, float]]) -> Transcript:
    timed = [Word(text=w, start=i * 0.4, end=i * 0.4 + 0.3, confidence=c) for i, (w, c) in enumerate(words)]
    segment = Segment(id=0, start=0.0, end=timed[-1].end, text=" ".join(w for w, _ in words), words=timed)
    return Transcript(segments=[segment], engine="pocketsphinx")


@pytest.mark.parametrize(("confidence", "testable"), [(0.9, True), (0.02, False)])
def test_a_number_the_recognizer_barely_heard_is_not_taken(confidence: float, testable: bool) -> None:
    said = "we buy when the rsi drops below thirty we sell when the rsi rises above seventy take profit at"
    words = [(w, 0.95) for w in said.split()] + [("two", confidence), ("percent", 1.0)]
    spec = extract_specs(_heard_with_confidence(words))[0]
    assert spec.testable is testable, spec.unsupported
    if testable:
        assert spec.stops.take_profit_pct == 2.0
    else:
        assert any("could not be read" in r for r in spec.unsupported), spec.unsupported


@pytest.mark.parametrize(("again", "testable"), [("forty", True), ("fifty", False)])
def test_an_unsure_number_the_clause_says_clearly_too_is_taken(again: str, testable: bool) -> None:
    # "above the forty week average forty weeks is about a year": the second, unsure forty repeats the first
    said = (f"weekly chart we buy when the close is above the forty week simple moving average {again} weeks "
            "is about a year we sell when the close is below the forty week simple moving average")
    words = [(w, 0.02 if k == 15 else 0.95) for k, w in enumerate(said.split())]
    assert said.split()[15] == again
    spec = extract_specs(_heard_with_confidence(words))[0]
    assert spec.testable is testable, spec.unsupported

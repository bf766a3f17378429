import pytest

from reelquant.speech.transcript import Segment, Transcript, Word
from reelquant.strategy.scoring import score_many, score_spec
from reelquant.strategy.spec import StrategySpec
from reelquant.text.extract import (
    PatternExtractor,
    RuleExtractor,
    build_spec,
    canonical_text,
    extract_concepts,
    extract_spec,
    transcript_from_text,
)

from .asr_like import asr_like
from .lessons import OWN_LESSONS, SHARED_LESSONS, lesson_names, load_lesson

SHARED = lesson_names(SHARED_LESSONS)
OWN = lesson_names(OWN_LESSONS)
needs_shared = pytest.mark.skipif(SHARED_LESSONS is None, reason="the shared labeled lessons are not here")


def _extract(text: str) -> StrategySpec:
    return extract_spec(transcript_from_text(text))


def test_own_lesson_set_is_large_and_varied() -> None:
    assert len(OWN) >= 12
    labels = [load_lesson(OWN_LESSONS, n)[1] for n in OWN]
    assert sum(not lab.testable for lab in labels) >= 4
    assert any(lab.direction == "short" for lab in labels if lab.testable)
    assert any(lab.trailing_stop_pct for lab in labels)
    assert any(c.left.indicator == "ema" for lab in labels for c in lab.entry.conditions)
    assert any("highest_high" in {i.indicator for i in lab.indicators()} for lab in labels)


@needs_shared
@pytest.mark.parametrize("name", SHARED)
def test_shared_lesson_is_recovered_exactly(name: str) -> None:
    text, label = load_lesson(SHARED_LESSONS, name)
    score = score_spec(_extract(text), label)
    assert score["exact"], (name, _extract(text).summary(), label.summary())


@needs_shared
@pytest.mark.parametrize("name", SHARED)
def test_shared_lesson_is_recovered_from_asr_like_text(name: str) -> None:
    text, label = load_lesson(SHARED_LESSONS, name)
    heard = asr_like(text)
    assert heard == heard.lower() and "," not in heard
    score = score_spec(_extract(heard), label)
    assert score["exact"], (name, _extract(heard).summary(), label.summary())


@needs_shared
@pytest.mark.parametrize("name", SHARED)
def test_shared_lesson_is_recovered_from_one_unpunctuated_segment(name: str) -> None:
    text, label = load_lesson(SHARED_LESSONS, name)
    heard = asr_like(text).replace("\n", " ")
    tr = transcript_from_text(heard)
    assert len(tr.segments) == 1
    assert score_spec(extract_spec(tr), label)["exact"], name


def _variant(text: str, variant: str) -> str:
    if variant == "written":
        return text
    heard = asr_like(text)
    return heard.replace("\n", " ") if variant == "asr_one_segment" else heard


@pytest.mark.parametrize("variant", ["written", "asr", "asr_one_segment"])
def test_own_lessons_meet_the_quality_bar(variant: str) -> None:
    pairs = []
    for name in OWN:
        text, label = load_lesson(OWN_LESSONS, name)
        pairs.append((_extract(_variant(text, variant)), label))
    totals = score_many(pairs)
    assert totals["precision"] >= 0.95, totals
    assert totals["recall"] >= 0.9, totals
    assert totals["wrong_testable"] == 0, totals


def test_asr_like_text_really_is_spelled_out() -> None:
    heard = asr_like("The 14 period RSI, MACD and 2.5 ATR; a 200 day moving average.")
    assert heard == (
        "the fourteen period r s i m a c d and two point five a t r a two hundred day moving averages"
    )


def test_canonical_text_reads_spoken_indicators() -> None:
    assert canonical_text("When the R S I drops below thirty") == "when the rsi drops below 30"
    assert canonical_text("the two hundred period Exponential Moving Average") == "the 200 period ema"
    assert canonical_text("two simple moving averages") == "sma"


def test_distractor_indicator_is_not_a_rule() -> None:
    spec = _extract(
        "Some traders buy when the RSI crosses above fifty, but I don't.\n"
        "I buy when the close crosses above the fifty day simple moving average.\n"
        "I sell when the close crosses below the fifty day simple moving average."
    )
    assert spec.testable
    assert {i.indicator for i in spec.indicators()} == {"close", "sma"}


def test_defaults_are_written_to_assumptions() -> None:
    spec = _extract(
        "I use the standard RSI and the classic MACD.\n"
        "Buy when the RSI drops below thirty and the MACD line crosses above the signal line.\n"
        "Sell when the RSI rises above seventy."
    )
    params = {c.left.indicator: dict(c.left.params) for c in spec.entry.conditions}
    assert params == {"rsi": {"window": 14}, "macd": {"fast": 12, "slow": 26, "signal": 9}}
    joined = " ".join(spec.assumptions)
    assert "RSI" in joined and "MACD" in joined and "12/26/9" in joined


def test_default_bollinger_is_twenty_two() -> None:
    spec = _extract(
        "Use the default Bollinger Bands. Buy when the close drops below the lower band. "
        "Sell when the close rises above the upper band."
    )
    assert spec.entry.conditions[0].right.params == {"window": 20, "std": 2}
    assert any("Bollinger" in a for a in spec.assumptions)


def test_provenance_points_at_the_sentence_that_said_each_part() -> None:
    text = (
        "Welcome to the show.\nWhen the RSI drops below thirty, I buy.\n"
        "I sell when the RSI rises above seventy.\nUse a stop loss of two percent."
    )
    transcript = transcript_from_text(text)
    spec = extract_spec(transcript)
    by_part = {p.part: p for p in spec.provenance}
    segs = transcript.segments
    assert by_part["entry[0]"].text == segs[1].text and by_part["entry[0]"].start_s == segs[1].start
    assert by_part["exit[0]"].end_s == segs[2].end
    assert by_part["stop_loss_pct"].text.startswith("Use a stop loss")
    assert 0.0 <= spec.confidence <= 1.0


def test_concepts_carry_kind_condition_text_and_times() -> None:
    concepts = extract_concepts(
        transcript_from_text(
            "On the daily chart, buy when the close breaks above the twenty day high. "
            "Sell when the close breaks below the ten day low. Take profit at ten percent."
        )
    )
    kinds = [c["kind"] for c in concepts]
    assert kinds == ["timeframe", "entry", "exit", "take_profit"]
    entry = concepts[1]
    assert entry["condition"]["right"] == {"indicator": "highest_high", "params": {"window": 20}}
    assert entry["end_s"] > entry["start_s"] and entry["segment_id"] == 0
    spec = build_spec(concepts)
    assert spec.take_profit_pct == 10.0 and spec.timeframe == "1d"


def test_unsupported_data_makes_the_lesson_untestable() -> None:
    spec = _extract(
        "I buy when the RSI is below thirty and the order book shows big bids. "
        "I sell when the RSI is above seventy."
    )
    assert not spec.testable
    assert any("order book" in u for u in spec.unsupported)


def test_long_and_short_rules_together_are_not_forced_into_one_spec() -> None:
    spec = _extract("I buy when the RSI drops below thirty. I sell short when the RSI rises above seventy.")
    assert not spec.testable and spec.direction == "long_short"


def test_moving_average_without_a_length_is_not_guessed() -> None:
    spec = _extract("Buy when price crosses above the moving average. Sell when it crosses below it.")
    assert not spec.testable


def test_pattern_extractor_fits_the_interface() -> None:
    extractor: RuleExtractor = PatternExtractor()
    spec = extractor.extract(
        transcript_from_text("Buy when the RSI drops below 25. Sell when the RSI rises above 75.")
    )
    assert [c.right for c in spec.entry.conditions + spec.exit.conditions] == [25, 75]


def test_transcript_from_text_spreads_words_evenly() -> None:
    tr = transcript_from_text("One two three. Four five!\nSix", words_per_second=2.0)
    assert [s.text for s in tr.segments] == ["One two three.", "Four five!", "Six"]
    starts = [w.start for s in tr.segments for w in s.words]
    assert starts == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    assert tr.duration_s == 3.0
    with pytest.raises(ValueError, match="positive"):
        transcript_from_text("x", words_per_second=0)


@pytest.mark.parametrize(
    ("text", "entry", "exit_"),
    [
        (
            "Go long once the fast EMA of ten crosses over the slow EMA of thirty. "
            "Get out when the fast EMA crosses under the slow EMA.",
            "long | entry ema(10) crosses_above ema(30)",
            "exit ema(10) crosses_below ema(30)",
        ),
        (
            "I enter long when the RSI(14) goes below 25 and exit when it climbs above 60.",
            "long | entry rsi(14) < 25",
            "exit rsi(14) > 60",
        ),
        (
            "Entry: close above upper Bollinger Band (20, 2.5). Exit: close below the middle band.",
            "long | entry close > bb_upper(20,2.5)",
            "exit close < bb_middle(20,2.5)",
        ),
        (
            "The MACD histogram turning positive is my buy signal, and I sell when it turns negative.",
            "long | entry macd_hist(12,26,9) > 0",
            "exit macd_hist(12,26,9) < 0",
        ),
        (
            "If the stock closes above its twenty day high, I buy. If it closes under the ten day low, I sell.",
            "long | entry close > highest_high(20)",
            "exit close < lowest_low(10)",
        ),
        (
            "We short when price breaks below the 20 day low and cover when price closes above the 10 day "
            "high. This is a short side only system.",
            "short | entry close < lowest_low(20)",
            "exit close > highest_high(10)",
        ),
    ],
)
def test_phrasing_variants(text: str, entry: str, exit_: str) -> None:
    parts = _extract(text).summary().split(" | ")
    assert " | ".join(parts[:2]) == entry and parts[2] == exit_


def _chunked(text: str, n: int) -> Transcript:
    """Segments cut every n words regardless of sentences, as some engines do, with word times."""
    words = text.split()
    segs = []
    for i in range(0, len(words), n):
        chunk = words[i : i + n]
        ws = [Word(w, (i + j) * 0.4, (i + j + 1) * 0.4) for j, w in enumerate(chunk)]
        segs.append(Segment(id=len(segs), start=ws[0].start, end=ws[-1].end, text=" ".join(chunk), words=ws))
    return Transcript(segments=segs, engine="test")


@pytest.mark.parametrize("n", [7, 13])
def test_rules_split_across_segments_are_still_read(n: int) -> None:
    pairs = []
    for folder, names in ((SHARED_LESSONS, SHARED), (OWN_LESSONS, OWN)):
        for name in names:
            text, label = load_lesson(folder, name)
            pairs.append((extract_spec(_chunked(asr_like(text), n)), label))
            pairs.append((extract_spec(_chunked(text, n)), label))
    totals = score_many(pairs)
    assert totals["exact"] == totals["n"], totals


def test_provenance_of_unpunctuated_speech_quotes_the_rule_not_the_whole_lesson() -> None:
    text = asr_like(
        "Welcome back, today we talk about many things and none of them matter for the rule.\n"
        "I always have coffee first and then I look at the charts for a while before the open.\n"
        "When the RSI drops below thirty I buy. I sell when the RSI rises above seventy."
    ).replace("\n", " ")
    spec = extract_spec(transcript_from_text(text))
    entry = next(p for p in spec.provenance if p.part == "entry[0]")
    assert "drops below thirty" in entry.text and "coffee" not in entry.text
    assert entry.start_s > 10.0

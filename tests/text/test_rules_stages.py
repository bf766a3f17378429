"""Each stage of the rule reader on its own: normalize, operands, frames, stops, specs."""

from __future__ import annotations

import pytest

from reelquant.speech.transcript import Segment, Transcript, Word, transcript_from_text
from reelquant.strategy.spec import Condition, Operand
from reelquant.text.rules import vocab
from reelquant.text.rules.frames import clause_marks, find_actions, find_comparisons
from reelquant.text.rules.normalize import clauses, tokenize_segment
from reelquant.text.rules.operands import find_mentions
from reelquant.text.rules.specs import _mirror, mirror_operand
from reelquant.text.rules.stops import bars, read_stops, timeframes


def _clause(text: str):
    return clauses(transcript_from_text(text))[0]


# ---------------------------------------------------------------- normalize


@pytest.mark.parametrize(
    ("said", "values"),
    [
        ("the 200-day average", [200.0]),
        ("the two hundred day average", [200.0]),
        ("a 3% stop", [3.0]),
        ("one and a half times ATR", [1.5]),
        ("the twenty-one EMA", [21.0]),
        ("three quarters of a percent", [0.75]),
        ("MACD 12, 26, 9", [12.0, 26.0, 9.0]),
        ("point oh two and point two", [0.02, 0.2]),
    ],
)
def test_numbers_become_values(said: str, values: list[float]) -> None:
    toks = tokenize_segment(Segment(0, 0.0, 1.0, said))
    assert [t.value for t in toks if t.is_number] == values


def test_tokens_keep_the_times_of_their_words() -> None:
    words = [Word("RSI", 3.0, 3.4), Word("under", 3.5, 3.8), Word("twenty", 3.9, 4.2), Word("five", 4.3, 4.6)]
    toks = tokenize_segment(Segment(7, 3.0, 4.6, "RSI under twenty five", words))
    num = next(t for t in toks if t.is_number)
    assert (num.value, num.start, num.end, num.segment) == (25.0, 3.9, 4.6, 7)


def test_punctuated_text_splits_at_sentences_and_speech_at_cue_words() -> None:
    assert len(clauses(transcript_from_text("Buy when the RSI is under 30. Sell above 70."))) == 2
    heard = Transcript(
        [
            Segment(
                0,
                0,
                9,
                "so on the daily chart we buy when the r s i is under thirty and we sell "
                "when it is over seventy",
            )
        ],
        engine="pocketsphinx",
    )
    pieces = [c.text() for c in clauses(heard)]
    assert len(pieces) >= 2 and all("r s" not in p or "i" in p.split() for p in pieces)


def _heard(text: str) -> list[str]:
    return [c.text() for c in clauses(Transcript([Segment(0, 0, 9, text)], engine="pocketsphinx"))]


@pytest.mark.parametrize(
    ("heard", "pieces"),
    [
        # a condition starts a clause at once; the consequence stays with it
        (
            "risk is not optional i always place a stop two percent below my entry",
            ["risk is not optional", "i always place a stop 2 percent below my entry"],
        ),
        (
            "the trend is up when the close crosses above the line i go long",
            ["the trend is up", "when the close crosses above the line i go long"],
        ),
        # "we buy when", "the exit is when", "trade when": the condition belongs to the words before it
        ("we buy when it drops under ten", ["we buy when it drops under 10"]),
        ("the exit is when it crosses back down", ["the exit is when it crosses back down"]),
        # after the consequence, the next subject starts again; "r s i" is one word
        (
            "when the r s i drops under ten i'm in i don't short it",
            ["when the r s i drops under 10 i'm in", "i don't short it"],
        ),
        # a side said for what follows starts a clause
        (
            "for long trades the close must be above the average for short trades it must be below",
            ["for long trades the close must be above the average", "for short trades it must be below"],
        ),
        # someone else's way starts a clause of its own
        (
            "sell at the next open some traders hold until it falls to zero",
            ["sell at the next open", "some traders hold until it falls to 0"],
        ),
        # "that" ending a phrase does not bind the condition after it
        (
            "thanks for asking that if the trade has not worked in eight days i cover anyway",
            ["thanks for asking that", "if the trade has not worked in 8 days i cover anyway"],
        ),
        # a name with a cue word inside is not cut
        (
            "it is a stop and reverse system always in the market",
            ["it is a stop and reverse system always in the market"],
        ),
    ],
)
def test_unpunctuated_speech_is_cut_where_a_thought_starts(heard: str, pieces: list[str]) -> None:
    assert _heard(heard) == pieces


# ---------------------------------------------------------------- operands


def _mentions(text: str, families: list[str] | None = None) -> list[tuple[str, dict]]:
    c = _clause(text)
    return [(m.indicator, m.params) for m in find_mentions(c, set(), families or []) if m.kind == "indicator"]


@pytest.mark.parametrize(
    ("said", "name", "params"),
    [
        ("the 9 EMA", "ema", {"window": 9}),
        ("RSI two", "rsi", {"window": 2}),
        ("RSI(14)", "rsi", {"window": 14}),
        ("the 2-period RSI", "rsi", {"window": 2}),
        ("MACD 12 26 9", "macd", {"fast": 12, "slow": 26, "signal": 9}),
        ("Bollinger 20, 2.5", "bb_upper", {"window": 20, "std": 2.5}),
        ("stochastic 14 3", "stoch_k", {"window": 14, "smooth": 3}),
        ("the highest high of the last 20 days", "highest_high", {"window": 20}),
        ("the average volume of the last 50 days", "sma", {"source": "volume", "window": 50}),
    ],
)
def test_a_mention_reads_its_settings(said: str, name: str, params: dict) -> None:
    assert _mentions(said)[0] == (name, params)


def test_a_number_before_a_threshold_is_not_a_setting() -> None:
    assert _mentions("the CCI 100 breakout")[0] == ("cci", {})
    assert _mentions("the RSI under 30")[0] == ("rsi", {})


def test_a_generic_band_word_belongs_to_the_family_the_lesson_named() -> None:
    assert _mentions("the lower band", ["keltner"])[0][0] == "keltner_lower"
    assert _mentions("the lower band", ["bb"])[0][0] == "bb_lower"
    assert _mentions("the upper channel", ["donchian"])[0][0] == "donchian_high"


def test_offsets_and_scales() -> None:
    c = _clause("yesterday's low and 1.5 times the 20 day average")
    ms = [m for m in find_mentions(c, set(), []) if m.kind == "indicator"]
    assert (ms[0].indicator, ms[0].offset) == ("low", 1)
    assert (ms[1].indicator, ms[1].scale) == ("sma", 1.5)


# ---------------------------------------------------------------- frames


@pytest.mark.parametrize(
    ("said", "parts"),
    [
        ("I buy", ["long.entry"]),
        ("you're out", ["exit"]),
        ("I sell short", ["short.entry"]),
        ("I cover", ["short.exit"]),
        ("go short", ["short.entry"]),
        ("I buy back the short", ["short.exit"]),
        ("I stay long until it drops", ["long.exit"]),
        ("the short side", []),
        ("a short-term trade", []),
    ],
)
def test_actions(said: str, parts: list[str]) -> None:
    assert [a.part for a in find_actions(_clause(said)) if not a.negated] == parts


def test_a_negated_or_someone_elses_action_is_marked() -> None:
    assert all(a.negated for a in find_actions(_clause("I don't short this")))
    assert all(a.negated for a in find_actions(_clause("beginners buy the first dip")))


@pytest.mark.parametrize(
    ("said", "op"),
    [
        ("the 9 EMA crosses above the 21 EMA", "crosses_above"),
        ("the 9 EMA crosses back under the 21 EMA", "crosses_below"),
        ("Williams %R crosses up through minus 80", "crosses_above"),
        ("the RSI drops below 30", "<"),
        ("the RSI gets above 70", ">"),
        ("the RSI is higher than 50", ">"),
        ("the MACD line turns positive", ">"),
    ],
)
def test_comparison_words(said: str, op: str) -> None:
    c = _clause(said)
    comps = find_comparisons(c, find_mentions(c, set(), []))
    assert [x.op for x in comps] == [op]


@pytest.mark.parametrize(
    ("said", "flag"),
    [
        ("below five is even better", "hedge"),
        ("some people add the MACD", "optional"),
        ("long only", "long_only"),
        ("shorts are the mirror image", "mirror"),
        ("it's a stop and reverse system", "always_in"),
        ("Mike asks whether it works on crypto", "question"),
        ("to recap", "recap"),
        ("we do nothing", "stay_out"),
    ],
)
def test_clause_marks(said: str, flag: str) -> None:
    assert getattr(clause_marks(_clause(said)), flag) is True


def test_parabolic_stop_and_reverse_the_name_is_not_a_way_of_trading() -> None:
    c = _clause("the parabolic stop and reverse")
    named = {k for m in find_mentions(c, set(), []) if m.kind == "indicator" for k in range(m.start, m.end)}
    assert clause_marks(c, named).always_in is False


# ---------------------------------------------------------------- stops


@pytest.mark.parametrize(
    ("said", "field", "value"),
    [
        ("stop loss 2 percent under your entry", "stop_loss_pct", 2.0),
        ("take profit at 6 percent", "take_profit_pct", 6.0),
        ("a trailing stop of 8 percent", "trailing_stop_pct", 8.0),
        ("the stop is 2 times the ATR", "stop_loss_atr", 2.0),
        ("a stop at 2 ATR from the entry price", "stop_loss_atr", 2.0),
        ("the target is three quarters of a percent", "take_profit_pct", 0.75),
    ],
)
def test_stop_fields(said: str, field: str, value: float) -> None:
    c = _clause(said)
    found, _ = read_stops(c, find_mentions(c, set(), []), None)
    assert (found[0].field, found[0].value) == (field, value)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("as for the stop, I keep it two and a half ATR under where I got in", [("stop_loss_atr", 2.5)]),
        ("the stop, which I learned the hard way, goes 1.5 ATR beneath the fill, with a 20 day ATR",
         [("stop_loss_atr", 1.5), ("atr_window", 20.0)]),
        ("my target sits 4.5 ATR above the entry", [("take_profit_atr", 4.5)]),
    ],
)
def test_a_fractional_atr_multiple_said_after_the_stop_word(said: str, expected: list) -> None:
    c = _clause(said)
    found, _ = read_stops(c, find_mentions(c, set(), []), None)
    assert [(f.field, f.value) for f in found] == expected


def test_no_stop_and_a_distance_that_is_not_a_stop() -> None:
    c = _clause("I don't use a stop loss")
    assert read_stops(c, find_mentions(c, set(), []), None)[1] is True
    c = _clause("the stop is 2 N, not a price move of 2 percent")
    assert not [f for f in read_stops(c, find_mentions(c, set(), []), None)[0] if f.field == "stop_loss_pct"]


@pytest.mark.parametrize(
    ("said", "tf"),
    [("daily bars", "1d"), ("the one-hour chart", "1h"), ("weekly", "1w"), ("15 minute candles", "15m")],
)
def test_timeframes(said: str, tf: str) -> None:
    assert [t for _, t in timeframes(_clause(said).words)] == [tf]


def test_time_exits_convert_to_bars() -> None:
    assert (bars(2, "week", "1d"), bars(6, "week", "1w"), bars(12, "hour", "1h"), bars(3, "day", "1w")) == (
        10,
        6,
        12,
        None,
    )
    # intraday bars take hours by their own length
    assert (bars(3, "hour", "15m"), bars(8, "hour", "4h"), bars(2, "hour", "5m"), bars(2, "day", "1h")) == (
        12, 2, 24, None)


@pytest.mark.parametrize(
    ("said", "value", "unit"),
    [
        ("if the position has not moved in two weeks, I close it regardless", 2.0, "week"),
        ("when it hasn't worked in 4 days I'm out anyway", 4.0, "day"),
        ("I exit after a fortnight if it goes nowhere", 2.0, "week"),
        ("I sell after six sessions no matter what", 6.0, "day"),
    ],
)
def test_time_exits_said_in_other_ways(said: str, value: float, unit: str) -> None:
    c = _clause(said)
    found, _ = read_stops(c, find_mentions(c, set(), []), None)
    assert [(f.field, f.value, f.unit) for f in found] == [("max_bars_held", value, unit)]


def test_a_span_that_is_a_window_or_an_offset_is_no_time_exit() -> None:
    for said in ("sell when the close is under the lowest low of the last 3 weeks", "it is not higher than 10 days ago"):
        c = _clause(said)
        assert not [f for f in read_stops(c, find_mentions(c, set(), []), None)[0] if f.field == "max_bars_held"]


# ---------------------------------------------------------------- specs: mirroring


def _op(name: str, **params: float) -> Operand:
    return Operand(indicator=name, params=params)


@pytest.mark.parametrize(
    ("long", "short"),
    [
        (Condition(left=_op("close"), op=">", right=_op("bb_upper")), "close < bb_lower(20,2)"),
        (Condition(left=_op("rsi"), op="<", right=30), "rsi(14) > 70"),
        (Condition(left=_op("williams_r"), op="<", right=-80), "williams_r(14) > -20"),
        (Condition(left=_op("cci"), op="crosses_above", right=100), "cci(20) crosses_below -100"),
        (Condition(left=_op("plus_di"), op=">", right=_op("minus_di")), "minus_di(14) > plus_di(14)"),
        (Condition(left=_op("adx"), op=">", right=20), "adx(14) > 20"),
        (
            Condition(left=_op("volume"), op=">", right=_op("sma", window=50, source="volume")),
            "volume > sma(50,volume)",
        ),
        (
            Condition(left=_op("close"), op=">", right=_op("highest_high", window=20)),
            "close < lowest_low(20)",
        ),
    ],
)
def test_mirrored_conditions(long: Condition, short: str) -> None:
    assert _mirror(long).describe() == short


def test_mirror_operand_of_a_scaled_average() -> None:
    assert mirror_operand(Operand(indicator="ema", params={"window": 20}, scale=0.97)).scale == pytest.approx(
        1.03
    )


def test_vocabulary_comes_from_the_registry() -> None:
    from reelquant.indicators import REGISTRY

    table = vocab.phrases()
    for d in REGISTRY.values():
        for w in d.words:
            assert any(e.indicator == d.name for e in table[vocab.phrase_tokens(w)])


@pytest.mark.parametrize(
    ("said", "k", "count"),
    [
        ("2 closes in a row", 0, True),
        ("the 2 outer lines are the bands", 1, True),
        ("band 2 daily candles in a row", 1, True),
        ("2 standard deviations", 0, False),
        ("20 days", 0, False),
        ("setup 2 uses the rsi", 1, False),
        ("rsi 14 below 30", 1, False),
    ],
)
def test_a_number_that_counts_things_is_not_a_setting(said: str, k: int, count: bool) -> None:
    assert vocab.counts_things(said.split(), k) is count


@pytest.mark.parametrize(
    ("said", "setup"),
    [
        ("that's the whole setup two closes under the lower band", None),
        ("setup two the breakout", 2),
        ("setup number two uses the rsi", 2),
    ],
)
def test_a_setup_number_is_not_a_count(said: str, setup: int | None) -> None:
    assert clause_marks(_clause(said)).setup == setup


@pytest.mark.parametrize(
    ("said", "negated"),
    [
        ("buy when it crosses back above minus 100 not before", False),
        ("not until the close is above the band", False),
        ("two closes below the lower band not one two in a row", False),
        ("the rsi set to 2 not the usual 14", False),
        ("do not buy when the rsi is above 70", True),
        ("it is not above 70", True),
        ("i don't short this", True),
    ],
)
def test_not_before_is_not_a_negation(said: str, negated: bool) -> None:
    assert clause_marks(_clause(said)).negated is negated


@pytest.mark.parametrize(
    "said",
    ["unit four lesson two keltner channel breakouts", "module 5 keltner channel", "step 3 keltner channel"],
)
def test_a_number_that_labels_a_lesson_is_not_a_setting(said: str) -> None:
    assert _mentions(said, ["keltner"])[0][1] == {}

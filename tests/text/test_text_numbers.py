import pytest

from reelquant.text.numbers import normalize_numbers, number_spans, spell_number, split_reading


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("two hundred", "200"),
        ("twenty one", "21"),
        ("twenty-one", "21"),
        ("one and a half percent", "1.5 percent"),
        ("two and a quarter", "2.25"),
        ("fifty two weeks", "52 weeks"),
        ("twelve twenty six and nine", "12 26 and 9"),
        ("Twelve, twenty six and nine.", "12, 26 and 9."),
        ("two point five", "2.5"),
        ("one point two five times", "1.25 times"),
        ("three times", "3 times"),
        ("two hundred and fifty", "250"),
        ("ten thousand dollars", "10000 dollars"),
        ("a hundred day", "100 day"),
        ("half a percent", "0.5 percent"),
        ("the fourteen period RSI", "the 14 period RSI"),
        ("one percent", "1 percent"),
        ("nineteen ninety nine", "19 99"),
    ],
)
def test_spoken_numbers_become_digits(spoken: str, written: str) -> None:
    assert normalize_numbers(spoken) == written


@pytest.mark.parametrize(
    "text",
    [
        "this one is simple",
        "one of the oldest setups",
        "2.5 percent and 200 day",
        "Nothing numeric here, at all!",
        "someone tends to be honest",
    ],
)
def test_other_words_are_left_alone(text: str) -> None:
    assert normalize_numbers(text) == text


def test_numbers_inside_a_sentence_keep_the_rest_verbatim() -> None:
    out = normalize_numbers("When the RSI drops below thirty, I buy; stop at one and a half percent.")
    assert out == "When the RSI drops below 30, I buy; stop at 1.5 percent."


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (14, "fourteen"),
        (21, "twenty one"),
        (200, "two hundred"),
        (252, "two hundred fifty two"),
        (2013, "two thousand thirteen"),
        (10_000, "ten thousand"),
    ],
)
def test_spell_number_round_trips_through_normalize(n: int, words: str) -> None:
    assert spell_number(n) == words
    assert normalize_numbers(words) == str(n)


def test_spell_number_refuses_out_of_range() -> None:
    with pytest.raises(ValueError, match="0 to 999999"):
        spell_number(-1)


@pytest.mark.parametrize(
    ("words", "spans"),
    [
        ("the two hundred day", [(1, 2, "200")]),
        ("twenty - one ema", [(0, 2, "21")]),
        ("one and a half percent", [(0, 3, "1.5")]),
        ("point oh two and point two", [(0, 2, "0.02"), (4, 5, "0.2")]),
        ("three quarters of a percent", [(0, 3, "0.75")]),
        ("half a percent", [(0, 1, "0.5")]),
        ("a hundred day", [(0, 1, "100")]),
        ("this one is simple", []),
        ("the first half of the day", []),
        ("two quarters in a row", [(0, 0, "2")]),
    ],
)
def test_number_spans_point_at_the_words_of_each_number(words: str, spans: list) -> None:
    assert number_spans(words.split()) == spans


@pytest.mark.parametrize(
    ("words", "split"),
    [
        ("twenty two point five", (20.0, 2.5)),
        ("twenty two", (20.0, 2.0)),
        ("fifty - three", (50.0, 3.0)),
        ("twenty", None),
        ("two hundred", None),
        ("fourteen three", None),
        ("two point five", None),
    ],
)
def test_split_reading_of_a_tens_word_joined_to_what_follows(words: str, split: tuple | None) -> None:
    assert split_reading(words.split()) == split


@pytest.mark.parametrize(
    ("words", "spans"),
    [
        ("a stop one a t r from the entry", [(2, 2, "1")]),
        ("this one a day", []),
        ("one atr stop", [(0, 0, "1")]),
    ],
)
def test_one_before_a_spelled_out_atr_is_a_number(words: str, spans: list) -> None:
    assert number_spans(words.split()) == spans

import pytest

from reelquant.text.lexicon import CATEGORIES, LexiconError, load_lexicon, parse_lexicon


def test_lexicon_is_large_and_covers_every_category() -> None:
    lex = load_lexicon()
    assert len(lex) >= 150
    for cat in CATEGORIES:
        assert len(lex.in_category(cat)) >= 10, cat
    assert load_lexicon() is lex


@pytest.mark.parametrize(
    ("alias", "term_id"),
    [
        ("r s i", "rsi"),
        ("m a c d", "macd"),
        ("e m a", "ema"),
        ("moving averages", "ma"),
        ("fifty day", "ma_50"),
        ("two hundred period", "ma_200"),
        ("bollinger", "bollinger_bands"),
        ("bowlinger", "bollinger_bands"),
        ("average true range", "atr"),
        ("level two", "order_book"),
        ("doji", "doji"),
        ("revenge trade", "revenge_trading"),
        ("daily chart", "tf_1d"),
    ],
)
def test_spoken_and_misheard_aliases_map_to_their_term(alias: str, term_id: str) -> None:
    assert load_lexicon().by_alias[alias].id == term_id


def test_a_shared_alias_is_rejected() -> None:
    data = {
        "categories": {
            "indicators": [
                {"id": "a", "aliases": ["same words"]},
                {"id": "b", "aliases": ["same words"]},
            ]
        }
    }
    with pytest.raises(LexiconError, match="same words"):
        parse_lexicon(data)


def test_unknown_category_is_rejected() -> None:
    with pytest.raises(LexiconError, match="unknown category"):
        parse_lexicon({"categories": {"astrology": [{"id": "x", "aliases": ["x"]}]}})

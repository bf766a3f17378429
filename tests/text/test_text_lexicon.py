"""The lexicon: the registry's indicator terms beside the file's terms, and that the two cannot drift apart."""

import pytest
import yaml

from reelquant.indicators import FAMILY_TITLES, REGISTRY
from reelquant.text.lexicon import (
    CATEGORIES,
    LEXICON_PATH,
    LexiconError,
    is_term,
    load_lexicon,
    parse_lexicon,
    registry_terms,
)


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
        ("moving averages", "sma"),
        ("bollinger", "bb"),
        ("bowlinger", "bb"),
        ("upper band", "bb_upper"),
        ("average true range", "atr"),
        ("d i plus", "plus_di"),
        ("williams percent r", "williams_r"),
        ("super trend", "supertrend"),
        ("parabolic sar", "psar"),
        ("money flow", "mfi"),
        ("keltner channels", "keltner"),
        ("lower keltner band", "keltner_lower"),
        ("v w a p", "vwap"),
        ("ichimoku", "ichimoku"),
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


def _file_terms() -> dict:
    with LEXICON_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)["categories"]


def test_every_registry_word_is_an_alias_of_its_indicator_or_family() -> None:
    lex = load_lexicon()
    for decl in REGISTRY.values():
        if not is_term(decl):
            assert decl.name not in lex.by_id, f"{decl.name} is a bar price, not a term"
            continue
        for word in (*decl.words, *decl.misheard):
            if word in decl.needs_context:
                # Left to the rule reader: spotted alone, "signal" or "average" would name the wrong thing.
                assert word not in lex.by_alias, word
            else:
                assert lex.by_alias[word].id == decl.name, word
        for word in decl.family_words:
            assert lex.by_alias[word].id == decl.family, word
        assert set(decl.needs_context) <= set(decl.words), decl.name
    families = {d.family for d in REGISTRY.values() if d.family}
    assert set(FAMILY_TITLES) == families
    assert {t.id for t in registry_terms()} == families | {d.name for d in REGISTRY.values() if is_term(d)}


def test_registry_terms_carry_only_registry_words() -> None:
    for term in registry_terms():
        declared = {w for d in REGISTRY.values() if term.id == d.name for w in (*d.words, *d.misheard)}
        declared |= {w for d in REGISTRY.values() if term.id == d.family for w in d.family_words}
        assert set(term.aliases) <= declared, term.id
        assert term.category == "indicators" and term.unsupported is None


def test_the_file_lists_no_registry_indicator_or_word() -> None:
    registry_ids = {d.name for d in REGISTRY.values()} | {d.family for d in REGISTRY.values() if d.family}
    registry_words = {w for d in REGISTRY.values() for w in d.all_words()}
    registry_words |= {n.replace("_", " ") for n in registry_ids}
    for category, entries in _file_terms().items():
        for entry in entries:
            assert entry["id"] not in registry_ids, entry["id"]
            said = {str(a).lower() for a in [entry.get("name", ""), *entry["aliases"]]}
            assert not said & registry_words, (entry["id"], said & registry_words)
            assert "token" not in entry, entry["id"]
            if category == "indicators" and entry.get("unsupported"):
                assert entry["unsupported"].strip(), entry["id"]


def test_a_file_term_repeating_a_registry_word_is_refused() -> None:
    data = {"categories": {"indicators": [{"id": "rsi_again", "aliases": ["relative strength index"]}]}}
    with pytest.raises(LexiconError, match="'relative strength index' to both 'rsi' and 'rsi_again'"):
        parse_lexicon(data, derived=registry_terms())
    with pytest.raises(LexiconError, match="defines term id 'macd' twice"):
        parse_lexicon({"categories": {"indicators": [{"id": "macd", "aliases": ["mac dee line"]}]}},
                      derived=registry_terms())

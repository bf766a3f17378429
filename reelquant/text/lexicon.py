"""The trading vocabulary as typed objects, loaded once per process.

Indicator terms come from the indicator registry (`reelquant.indicators.REGISTRY`), the one home of
indicator words: a term per registry indicator (id = its name, aliases = its words and misheard forms)
and a term per family (id = the family, aliases = its family words). lexicon.yaml holds every other term:
indicators the registry does not compute (with why a rule on them cannot be tested) and the other
categories. The bar prices (close, open, high, low) are not terms: their words are how every sentence
talks about price. Words a registry indicator needs context for ("signal", "average") are left to the
rule reader, which sees the context.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from reelquant.indicators import FAMILY_TITLES, PRICE_FIELDS, REGISTRY, IndicatorDef, Scale

LEXICON_PATH = Path(__file__).with_name("lexicon.yaml")
CATEGORIES: tuple[str, ...] = (
    "indicators",
    "chart_patterns",
    "candlestick_patterns",
    "order_types",
    "risk_management",
    "market_structure",
    "timeframes",
    "instruments",
    "psychology",
)


class LexiconError(ValueError):
    """The lexicon file is malformed."""


@dataclass(frozen=True)
class Term:
    """One canonical trading term and every way it is said or misheard."""

    id: str
    name: str
    category: str
    aliases: tuple[str, ...]
    token: str | None = None
    unsupported: str | None = None


@dataclass(frozen=True)
class Lexicon:
    """All terms, indexed by id and by alias."""

    terms: tuple[Term, ...]
    by_id: dict[str, Term] = field(default_factory=dict)
    by_alias: dict[str, Term] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.terms)

    def in_category(self, category: str) -> list[Term]:
        return [t for t in self.terms if t.category == category]


def is_term(decl: IndicatorDef) -> bool:
    """Whether a registry entry is a lexicon term: every indicator and volume, not the four bar prices."""
    return not (decl.name in PRICE_FIELDS and decl.scale is Scale.PRICE)


def registry_terms() -> tuple[Term, ...]:
    """The `indicators` terms the registry declares: one per family, then one per indicator.

    A family named like one of its members (macd) is one term holding both sets of words.
    """
    aliases: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for decl in REGISTRY.values():
        if not is_term(decl):
            continue
        if decl.family:
            names.setdefault(decl.family, FAMILY_TITLES[decl.family])
            aliases.setdefault(decl.family, []).extend(decl.family_words)
        names.setdefault(decl.name, decl.title)
        own = (*decl.words, *decl.misheard)
        aliases.setdefault(decl.name, []).extend(w for w in own if w not in decl.needs_context)
    return tuple(Term(id=term_id, name=names[term_id], category="indicators",
                      aliases=tuple(dict.fromkeys(a.lower().strip() for a in words)))
                 for term_id, words in aliases.items())


def parse_lexicon(data: dict, source: str = "lexicon", derived: Iterable[Term] = ()) -> Lexicon:
    """Validate the YAML structure and build a Lexicon of the `derived` terms and the file's.

    Ids and aliases must be unique across all terms, so a file term that repeats a registry word fails here.
    """
    cats = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(cats, dict):
        raise LexiconError(
            f"{source} has no 'categories' mapping; fix the file so it lists terms per category."
        )
    terms: list[Term] = list(derived)
    for category, entries in cats.items():
        if category not in CATEGORIES:
            raise LexiconError(
                f"{source} has unknown category {category!r}; use one of {', '.join(CATEGORIES)}."
            )
        for entry in entries or []:
            if not isinstance(entry, dict) or not entry.get("id") or not entry.get("aliases"):
                raise LexiconError(f"{source} has a term without id or aliases in {category!r}; add both.")
            name = str(entry.get("name") or entry["id"])
            terms.append(Term(
                id=str(entry["id"]),
                name=name,
                category=category,
                aliases=tuple(dict.fromkeys(str(a).lower().strip() for a in [name, *entry["aliases"]])),
                token=entry.get("token"),
                unsupported=entry.get("unsupported"),
            ))
    by_id: dict[str, Term] = {}
    by_alias: dict[str, Term] = {}
    for term in terms:
        if term.id in by_id:
            raise LexiconError(f"{source} defines term id {term.id!r} twice (the indicator registry declares "
                               f"the indicator terms); keep one definition.")
        by_id[term.id] = term
        for alias in term.aliases:
            other = by_alias.get(alias)
            if other is not None and other.id != term.id:
                raise LexiconError(
                    f"{source} gives alias {alias!r} to both {other.id!r} "
                    f"and {term.id!r}; keep it on one term."
                )
            by_alias[alias] = term
    return Lexicon(terms=tuple(terms), by_id=by_id, by_alias=by_alias)


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The registry's indicator terms and the packaged lexicon file's terms, built once per process."""
    with LEXICON_PATH.open(encoding="utf-8") as fh:
        return parse_lexicon(yaml.safe_load(fh), source=str(LEXICON_PATH), derived=registry_terms())

"""The curated trading vocabulary (lexicon.yaml) as typed objects, loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

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


def parse_lexicon(data: dict, source: str = "lexicon") -> Lexicon:
    """Validate the YAML structure and build a Lexicon; aliases must be unique across terms."""
    cats = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(cats, dict):
        raise LexiconError(
            f"{source} has no 'categories' mapping; fix the file so it lists terms per category."
        )
    terms: list[Term] = []
    by_id: dict[str, Term] = {}
    by_alias: dict[str, Term] = {}
    for category, entries in cats.items():
        if category not in CATEGORIES:
            raise LexiconError(
                f"{source} has unknown category {category!r}; use one of {', '.join(CATEGORIES)}."
            )
        for entry in entries or []:
            if not isinstance(entry, dict) or not entry.get("id") or not entry.get("aliases"):
                raise LexiconError(f"{source} has a term without id or aliases in {category!r}; add both.")
            name = str(entry.get("name") or entry["id"])
            aliases = tuple(dict.fromkeys(str(a).lower().strip() for a in [name, *entry["aliases"]]))
            term = Term(
                id=str(entry["id"]),
                name=name,
                category=category,
                aliases=aliases,
                token=entry.get("token"),
                unsupported=entry.get("unsupported"),
            )
            if term.id in by_id:
                raise LexiconError(f"{source} defines term id {term.id!r} twice; keep one definition.")
            by_id[term.id] = term
            for alias in aliases:
                other = by_alias.get(alias)
                if other is not None and other.id != term.id:
                    raise LexiconError(
                        f"{source} gives alias {alias!r} to both {other.id!r} "
                        f"and {term.id!r}; keep it on one term."
                    )
                by_alias[alias] = term
            terms.append(term)
    return Lexicon(terms=tuple(terms), by_id=by_id, by_alias=by_alias)


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The packaged lexicon, parsed once per process."""
    with LEXICON_PATH.open(encoding="utf-8") as fh:
        return parse_lexicon(yaml.safe_load(fh), source=str(LEXICON_PATH))

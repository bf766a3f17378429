"""The reader's vocabulary: indicator phrases derived from the registry, plus the grammar of rules.

Indicator words come only from `reelquant.indicators.REGISTRY` (words, family_words, misheard) and
`DEFAULT_SETTING_WORDS`; this module turns them into token sequences the reader can match. The grammar
below (comparison words, action verbs, units of time) is English, not indicator knowledge.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from reelquant.indicators import DEFAULT_SETTING_WORDS, PRICE_FIELDS, REGISTRY, IndicatorDef
from reelquant.speech.transcript import Segment
from reelquant.text.rules.normalize import tokenize_segment


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """A phrase tokenized exactly as transcripts are (lowercase, "%" -> "percent", numbers folded)."""
    return tuple(t.text for t in tokenize_segment(Segment(0, 0.0, 0.0, phrase)))


@dataclass(frozen=True)
class Entry:
    """What a phrase names: an indicator (`member`) or a whole family (`family`, member chosen by context)."""

    indicator: str | None
    family: str | None
    kind: str  # "word", "family", "misheard"


def _family_members() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in REGISTRY.values():
        if d.family:
            out.setdefault(d.family, []).append(d.name)
    return out


FAMILY_MEMBERS: dict[str, list[str]] = _family_members()


def role_of(d: IndicatorDef) -> str:
    """A family member's role: its name without the family prefix ("upper", "signal"); "" for the head."""
    if d.family and d.name.startswith(d.family + "_"):
        return d.name[len(d.family) + 1 :]
    return "" if d.family == d.name else d.name


@lru_cache(maxsize=1)
def phrases() -> dict[tuple[str, ...], list[Entry]]:
    """Every registry phrase as tokens -> what it names (several entries when a word is shared)."""
    table: dict[tuple[str, ...], list[Entry]] = {}

    def add(words: tuple[str, ...], entry: Entry) -> None:
        if words and entry not in table.setdefault(words, []):
            table[words].append(entry)

    for d in REGISTRY.values():
        for w in d.words:
            add(phrase_tokens(w), Entry(d.name, d.family, "word"))
        for w in d.misheard:
            add(phrase_tokens(w), Entry(d.name, d.family, "misheard"))
        for w in d.family_words:
            add(phrase_tokens(w), Entry(None, d.family, "family"))
    return table


@lru_cache(maxsize=1)
def max_phrase_len() -> int:
    return max(len(k) for k in phrases())


@lru_cache(maxsize=1)
def role_words() -> dict[str, dict[str, str]]:
    """Per family: the words that pick a member ("upper", "top" -> "upper"; "signal" -> "signal").

    Taken from the members' own phrases, minus the family's words: "upper bollinger band" minus
    "bollinger band" leaves "upper".
    """
    out: dict[str, dict[str, str]] = {}
    for fam, members in FAMILY_MEMBERS.items():
        fam_tokens = {t for d in members for w in REGISTRY[d].family_words for t in phrase_tokens(w)}
        generic = {"the", "line", "band", "bands", "channel", "of", "bar", "bars", "lines"}
        for name in members:
            d = REGISTRY[name]
            for w in d.words:
                for t in phrase_tokens(w):
                    if (
                        t not in fam_tokens
                        and t not in generic
                        and len(t) > 1
                        and not t.startswith("percent")
                    ):
                        out.setdefault(fam, {}).setdefault(t, name)
    return out


def default_member(family: str) -> str:
    """The member a bare family name stands for: the one named like the family, else the first declared."""
    members = FAMILY_MEMBERS[family]
    return family if family in members else members[0]


@lru_cache(maxsize=1)
def family_tokens() -> dict[str, str]:
    """Words that name one family and nothing else ("bollinger", "keltner", "macd"): token -> family."""
    seen: dict[str, set[str]] = {}
    for d in REGISTRY.values():
        for w in (*d.family_words, *d.words, *d.misheard):
            for t in phrase_tokens(w):
                seen.setdefault(t, set()).add(d.family or d.name)
    out = {}
    for fam, members in FAMILY_MEMBERS.items():
        for d in members:
            for w in REGISTRY[d].family_words:
                for t in phrase_tokens(w):
                    if seen.get(t) == {fam} and len(t) > 2:
                        out[t] = fam
    return out


@lru_cache(maxsize=1)
def letters() -> dict[str, str]:
    """Members a lesson may call by one letter once their family is named ("the k" -> "k" -> stoch_k)."""
    out = {}
    for d in REGISTRY.values():
        for w in d.words:
            t = phrase_tokens(w)
            if len(t) == 2 and t[0] == "the" and len(t[1]) == 1 and d.family:
                out[t[1]] = d.name
    return out


PRICE = frozenset(PRICE_FIELDS)
DEFAULT_WORDS: frozenset[tuple[str, ...]] = frozenset(phrase_tokens(w) for w in DEFAULT_SETTING_WORDS)

# ---------------------------------------------------------------- grammar (English, not indicators)

# Units a window is counted in; the number before them is a parameter ("the 200-day", "20 period").
BAR_UNITS = frozenset(
    [
        "day",
        "days",
        "period",
        "periods",
        "bar",
        "bars",
        "week",
        "weeks",
        "hour",
        "hours",
        "minute",
        "minutes",
        "candle",
        "candles",
        "session",
        "sessions",
        "month",
        "months",
        "length",
        "trading",
    ]
)
LOOKBACK = frozenset(["last", "past", "prior", "previous", "preceding"])
SETTING_WORDS = frozenset(
    [
        "setting",
        "settings",
        "window",
        "set",
        "period",
        "periods",
        "length",
        "parameters",
        "parameter",
        "inputs",
        "input",
    ]
)

ABOVE = frozenset(["above", "over", "higher", "greater", "more", "exceeds", "exceed", "beyond", "positive"])
BELOW = frozenset(["below", "under", "beneath", "lower", "less", "underneath", "negative"])
# Words that point at the trade's own entry price: a distance from it is a stop, not a rule.
ENTRY_REFS = frozenset(["entry", "fill", "paid", "cost", "purchase", "got", "bought"])
CROSS = frozenset(["cross", "crosses", "crossed", "crossing", "crossover", "crossunder"])
PRONOUN_SUBJECTS = frozenset(["i", "we", "you", "i'm", "we're", "you're", "i'll", "we'll", "you'll", "they"])
# Words that make what follows a condition ("when it drops below 10", "until the cross").
CONDITIONAL = frozenset(["when", "whenever", "if", "once", "as", "until", "after", "while"])
NEGATIONS = frozenset(
    [
        "not",
        "don't",
        "dont",
        "never",
        "no",
        "doesn't",
        "didn't",
        "won't",
        "isn't",
        "aren't",
        "nothing",
        "without",
        "nope",
        "neither",
        "nor",
        "can't",
        "cannot",
    ]
)

# A clause that waves data away ("forget earnings, I don't care", "headlines are a habit, not part of the
# rule") names it without a rule needing it.
DISMISSALS: tuple[tuple[str, ...], ...] = (
    ("forget",),
    ("ignore",),
    ("don't", "care"),
    ("dont", "care"),
    ("doesn't", "matter"),
    ("not", "part", "of"),
    ("no", "part", "in"),
    ("nothing", "to", "do", "with"),
)


# "two closes in a row", "three sessions running", "3 straight days", "two consecutive closes": held N bars
_RUNNING = (("in", "a", "row"), ("straight",), ("running",), ("consecutive",))


def said_running(after: list[str]) -> bool:
    """Whether the words after a count say the bars run on end ("in a row", "running", "straight")."""
    return any(tuple(after[k : k + len(p)]) == p for p in _RUNNING for k in range(min(len(after), 4)))


# Verbs that end in "s" after a number ("RSI two drops under ten"); "closes" stays a noun ("two closes")
VERBS_IN_S = frozenset(
    [
        "is",
        "was",
        "has",
        "does",
        "uses",
        "needs",
        "works",
        "says",
        "looks",
        "goes",
        "trades",
        "drops",
        "falls",
        "rises",
        "crosses",
        "gets",
        "moves",
        "climbs",
        "dips",
        "breaks",
        "stays",
        "turns",
        "hits",
        "touches",
    ]
)
_BAR_ADJECTIVES = frozenset(["daily", "weekly", "hourly", "monthly"])


def counts_things(words: list[str], k: int) -> bool:
    """Whether the number at `k` counts the plural noun after it ("two closes", "two outer lines", "2 daily
    candles"), rather than being a setting ("2 standard deviations", "20 days") or a setup's number."""
    described = False
    for x in words[k + 1 : k + 3]:
        if x in _BAR_ADJECTIVES:
            described = True  # "2 daily candles" are candles, not a 2-day setting
            continue
        if x in BAR_UNITS and described and x.endswith("s"):
            return True
        if x in BAR_UNITS or x in VERBS_IN_S:
            return False
        if len(x) > 3 and x.endswith("s") and x not in ("deviations", "times", "percents"):
            return True
    return False


# "buy when it crosses back above -100, not before": a word of time after "not" narrows the rule
_NOT_NEGATING_AFTER = frozenset(["before", "until", "till", "only", "just", "earlier", "sooner"])


def negates(words: list[str], i: int) -> bool:
    """Whether the word at `i` negates what is said ("don't buy"), not "not before" / "not only"."""
    nxt = words[i + 1] if i + 1 < len(words) else ""
    # "two closes below the band, not one": "not" before a number takes back a count or a setting
    count = nxt == "one" or nxt.replace(".", "", 1).isdigit() or words[i + 1 : i + 3] == ["the", "usual"]
    return words[i] in NEGATIONS and not (words[i] == "not" and (nxt in _NOT_NEGATING_AFTER or count))


# The moving averages a lesson may name without their kind ("the 20-day average"): one home for the list.
AVERAGES = ("sma", "ema", "wma")

"""Stage 2: indicator mentions in a clause, with the parameters, offset and scale said around them.

A mention is a registry phrase ("the 9 EMA", "RSI(14)", "2-period RSI", "MACD 12 26 9", "Bollinger 20, 2",
"the highest high of the last 20 days", "yesterday's low", "1.5 times the 50-day average volume"), a
number ("minus 80", "3 percent"), a pronoun that points back ("it", "both of them"), or a bare number
that names an average already mentioned ("the nine crosses the twenty-one", "above the 200-day").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reelquant.indicators import REGISTRY, Param, Scale
from reelquant.text.rules import vocab
from reelquant.text.rules.normalize import Clause, Token

OFFSET_BEFORE = {
    ("yesterday's",): 1,
    ("yesterday",): 1,
    ("previous", "day's"): 1,
    ("prior", "day's"): 1,
    ("previous", "bar's"): 1,
    ("prior", "bar's"): 1,
    ("last", "bar's"): 1,
    ("the", "day", "before's"): 1,
    ("previous", "candle's"): 1,
}
OFFSET_AFTER = {
    ("of", "yesterday"): 1,
    ("from", "yesterday"): 1,
    ("the", "day", "before"): 1,
    ("of", "the", "day", "before"): 1,
    ("of", "the", "previous", "day"): 1,
    ("of", "the", "previous", "bar"): 1,
    ("of", "the", "previous", "candle"): 1,
    ("of", "the", "prior", "day"): 1,
    ("yesterday",): 1,
}
_PARAM_GLUE = frozenset(
    [
        "(",
        ")",
        ",",
        "/",
        "and",
        "of",
        "-",
        "with",
        "x",
        "times",
        "setting",
        "settings",
        "period",
        "periods",
        "on",
        "the",
        "length",
        "by",
    ]
)


@dataclass
class Mention:
    """One thing a comparison can compare: an indicator, a number, a pointer back, or a bare window."""

    kind: str  # "indicator", "number", "ref", "window"
    start: int  # token span in the clause, end exclusive
    end: int
    indicator: str | None = None
    family: str | None = None
    params: dict[str, float | int | str] = field(default_factory=dict)
    explicit: bool = False  # parameters were said at this mention
    offset: int = 0
    scale: float = 1.0
    value: float | None = None
    percent: bool = False
    plural: bool = False
    said_default: bool = False
    elided: bool = False  # a missing right side: the one the lesson compared with last
    bare_number_before: bool = False  # "2 ATR": a number right before the name, no "day" between
    generic: bool = False  # an average said without its kind ("the 20-day average", "the 50-day line")
    plural_name: bool = False  # the name said in the plural ("two exponential moving averages")

    @property
    def is_operand(self) -> bool:
        return self.kind in ("indicator", "ref", "window")


def _num(v: float, integer: bool) -> float | int:
    return int(v) if integer and float(v).is_integer() else float(v)


def _take_params(name: str, values: list[float]) -> dict[str, float | int]:
    out: dict[str, float | int] = {}
    for p, v in zip(REGISTRY[name].params, values, strict=False):
        if p.integer and (not float(v).is_integer() or v < 1):
            break
        if v < p.minimum:
            break
        out[p.name] = _num(v, p.integer)
    return out


def _match_phrase(words: list[str], i: int) -> tuple[int, list[vocab.Entry]] | None:
    table = vocab.phrases()
    for n in range(min(vocab.max_phrase_len(), len(words) - i), 0, -1):
        key = tuple(words[i : i + n])
        hit = table.get(key)
        if not hit and len(key[-1]) > 2 and key[-1].endswith("s"):
            hit = table.get((*key[:-1], key[-1][:-1]))  # "ATRs", "EMAs": a plural of a registry word
        if hit:
            return n, hit
    return None


def find_mentions(clause: Clause, claimed: set[int], families_said: list[str]) -> list[Mention]:
    """Mentions in a clause, left to right; tokens in `claimed` (action words) are not read as operands.

    `families_said` are the indicator families the lesson names, the most relevant to this clause first
    (the one named last before it): a bare "lower band" belongs to that family."""
    toks = clause.tokens
    words = clause.words
    out: list[Mention] = []
    i = 0
    while i < len(toks):
        if i in claimed:
            i += 1
            continue
        hit = _match_phrase(words, i)
        if hit is not None:
            n, entries = hit
            m = _indicator_mention(words, toks, i, i + n, entries, families_said)
            if m is not None:
                out.append(m)
                i = m.end
                continue
        tok = toks[i]
        member = _role_member(words, i, families_said)
        if member is not None:
            # "the upper channel" in a lesson about Donchian channels
            span = 4 if words[i + 1] == "of" else 2
            m = _indicator_mention(
                words,
                toks,
                i,
                i + span,
                [vocab.Entry(member, REGISTRY[member].family, "word")],
                families_said,
            )
            if m is not None:
                out.append(m)
                i = m.end
                continue
        letter = vocab.letters().get(words[i])
        if letter and REGISTRY[letter].family in families_said and (i == 0 or words[i - 1] not in ("'s",)):
            m = Mention("indicator", i, i + 1, indicator=letter, family=REGISTRY[letter].family)
            _read_offset_after(words, m)
            out.append(m)
            i = m.end
            continue
        if tok.is_number:
            j = i + 1
            while j < len(words) and words[j] == "-":
                j += 1
            if (
                j < len(words)
                and j not in claimed
                and words[j] not in _ARTICLES  # "below 30 the stock is ...": a new noun phrase starts
                and _match_phrase(words, j) is not None
            ):
                i += 1  # "the 20 day low", "the 9 EMA": the number is the setting of the name after it
                continue
            m = _number_mention(words, toks, i)
            out.append(m)
            i = m.end
            continue
        if words[i] in ("line", "dots") and i > 0 and words[i - 1] in ("the", "that", "this"):
            # "closes below the line": the line the lesson is about, named before
            out.append(Mention("ref", i, i + 1))
            i += 1
            continue
        if (
            words[i] in ("we're", "you're")
            and i + 1 < len(words)
            and (words[i + 1] in vocab.ABOVE | vocab.BELOW or words[i + 1] in ("still", "back", "trading"))
        ):
            out.append(
                Mention("indicator", i, i + 1, indicator="close")
            )  # "we're still under VWAP": the price
            i += 1
            continue
        both = (
            words[i] == "both"
            and i + 1 < len(words)
            and words[i + 1] in ("of", "are", "lines", "is", "under", "below", "above", "over")
        )
        if words[i] in ("it", "it's", "them", "they", "that") or both:
            plural = words[i] in ("them", "they", "both")
            end = i + 1
            if words[i] == "both" and words[i + 1 : i + 3] == ["of", "them"]:
                end = i + 3
            if words[i] == "that" and not (i + 1 < len(words) and words[i + 1] in vocab.ABOVE | vocab.BELOW):
                i += 1
                continue
            m = Mention("ref", i, end, plural=plural)
            _read_offset_after(words, m)
            out.append(m)
            i = m.end
            continue
        i += 1
    # a number read on its own before the name it turned out to belong to ("200 day simple moving average")
    spans = [(m.start, m.end) for m in out if m.kind == "indicator"]
    return [m for m in out if m.kind == "indicator" or not any(a < m.end and m.start < b for a, b in spans)]


def _indicator_mention(
    words: list[str], toks: list[Token], i: int, j: int, entries: list[vocab.Entry], families_said: list[str]
) -> Mention | None:
    entry = entries[0]
    name = entry.indicator
    family = entry.family
    if name is None and family is not None:
        # A family named alone: a role word right before or after picks the member ("the lower bollinger").
        roles = vocab.role_words().get(family, {})
        for k in (i - 1, j):
            if 0 <= k < len(words) and words[k] in roles:
                name = roles[words[k]]
                i, j = (k, j) if k < i else (i, k + 1)
                break
        else:
            name = vocab.default_member(family)
    elif family and not _names_family(words[i:j], family):
        # A member word shared by several channel families ("lower band") belongs to the one the lesson named.
        role = vocab.role_of(REGISTRY[name])
        for fam in families_said:
            if fam == family:
                break
            cand = f"{fam}_{role}"
            if cand in REGISTRY and cand != name:
                name, family = cand, fam
                break
    assert name is not None
    m = Mention("indicator", i, j, indicator=name, family=family)
    d = REGISTRY[name]
    phrase = words[i:j]
    m.plural_name = len(phrase[-1]) > 2 and phrase[-1].endswith("s")
    m.generic = name == "sma" and not any(x in _KIND_WORDS for x in phrase)
    # Parameters said before: "the 9 EMA", "200-day simple moving average", "2-period RSI".
    k = i - 1
    while k >= 0 and words[k] in ("-", "simple", "exponential"):
        k -= 1
    unit = k >= 0 and words[k] in vocab.BAR_UNITS
    if k >= 0 and words[k] in vocab.BAR_UNITS and words[k] != "trading":
        k -= 1
        while k >= 0 and words[k] == "-":
            k -= 1
    # "two exponential moving averages": a small number right before a plural average counts them ("2 ATRs"
    # is a distance)
    counted = (
        k >= 0
        and m.plural_name
        and name in vocab.AVERAGES
        and not unit
        and toks[k].is_number
        and toks[k].value in (2, 3, 4)
        and not (k > 0 and (words[k - 1] in ("and", ",", "/", "-") or toks[k - 1].is_number))
    )
    labelled = k > 0 and words[k - 1] in _LABEL_NOUNS  # "lesson two keltner channel breakouts"
    if k >= 0 and toks[k].is_number and d.params and k >= i - 4 and not counted and not labelled:
        got = _take_params(name, [toks[k].value or 0.0])
        if got:
            m.params.update(got)
            m.explicit = True
            m.start = k
            m.bare_number_before = not unit
    # Parameters said after: "RSI(14)", "RSI two", "MACD 12, 26, 9", "ATR of 14 days", "stochastic 14 and 3".
    if d.params:
        values: list[float] = []
        k = j
        last_used = j
        while k < len(words) and len(values) < len(d.params):
            w = words[k]
            if toks[k].is_number:
                # a number followed by a percent or a comparison word is a threshold, not a setting
                nxt = words[k + 1] if k + 1 < len(words) else ""
                if nxt in ("percent", "x", "times") and not values:
                    break
                # "..., 2 ATR stop": a number right before another name is that name's setting
                q = k + 1
                while q < len(words) and (words[q] == "-" or words[q] in vocab.BAR_UNITS):
                    q += 1
                if q < len(words) and _match_phrase(words, q) is not None and q > k:
                    break
                if vocab.counts_things(words, k):
                    break  # "below the lower band 2 daily candles in a row": a count
                split = toks[k].split
                if split and not values and split_fits(d.params, toks[k].value or 0.0, split, toks, k):
                    values.extend(split)  # "Bollinger twenty two point five": 20 and 2.5
                else:
                    values.append(toks[k].value or 0.0)
                last_used = k + 1
                k += 1
                continue
            if w in _PARAM_GLUE or (w in vocab.BAR_UNITS and values):
                k += 1
                if w in vocab.BAR_UNITS:
                    last_used = k
                continue
            break
        if len(values) == 1 and len(d.params) == 1 and d.scale != Scale.PRICE and values[0] >= 100:
            # "the CCI 100 breakout": a level the oscillator is read against, not a 100-bar window
            values = []
        if values and not m.explicit:
            got = _take_params(name, values)
            if got:
                m.params.update(got)
                m.explicit = True
                m.end = max(last_used, j)
                j = m.end
    # "of the last 20 days"
    lb = _lookback_window(words, toks, m.end)
    if lb is not None and "window" in d.param_names:
        window, end = lb
        m.params["window"] = int(window)
        m.explicit = True
        m.end = end
    # "default settings" right next to the name
    for k in range(max(0, i - 3), min(len(words), m.end + 4)):
        if (words[k],) in vocab.DEFAULT_WORDS or tuple(words[k : k + 2]) in vocab.DEFAULT_WORDS:
            m.said_default = True
    # Offsets
    for pat, off in OFFSET_BEFORE.items():
        n = len(pat)
        if m.start - n >= 0 and tuple(words[m.start - n : m.start]) == pat:
            m.offset = off
            m.start -= n
            break
    _read_offset_after(words, m)
    # A volume average: "average volume", "50-day average of volume", "volume moving average"
    if d.takes_source:
        if m.end < len(words) and words[m.end] == "volume":
            m.params["source"] = "volume"
            m.end += 1
            lb = _lookback_window(words, toks, m.end)
            if lb is not None:
                m.params["window"] = int(lb[0])
                m.explicit = True
                m.end = lb[1]
        elif words[m.end : m.end + 2] in (["of", "volume"],):
            m.params["source"] = "volume"
            m.end += 2
    # Scale: "1.5 times the ...", "2 x the ..."
    k = m.start - 1
    while k >= 0 and words[k] in ("the", "its", "their", "his", "her", "same", "hourly", "daily", "weekly"):
        k -= 1
    if k >= 1 and words[k] in ("times", "x") and toks[k - 1].is_number and (toks[k - 1].value or 0) > 0:
        m.scale = float(toks[k - 1].value or 1.0)
        m.start = k - 1
    return m


# Words that say an average's kind; "moving average", "the 50-day line" alone do not.
# Nouns a number labels ("lesson two", "step 3", "module 5"): that number is no setting of a name after it
_LABEL_NOUNS = frozenset(
    ["lesson", "unit", "module", "chapter", "part", "step", "rule", "setup", "number", "episode", "video"]
)
_ARTICLES = frozenset(["the", "a", "an", "its", "their", "our", "my", "your"])
_KIND_WORDS = frozenset(["simple", "sma", "s"])

_GENERIC_PARTS = frozenset(["band", "bands", "channel", "channels", "line"])


def _role_member(words: list[str], i: int, families_said: list[str]) -> str | None:
    """ "upper channel", "lower band": a role word and a generic part name the member of a family the lesson
    named, when the registry has no phrase for it."""
    j = i + 1
    if words[j : j + 2] == ["of", "the"]:
        j += 2  # "the middle of the channel"
    if j >= len(words) or words[j] not in _GENERIC_PARTS or _match_phrase(words, i) is not None:
        return None
    for fam in families_said:
        member = vocab.role_words().get(fam, {}).get(words[i])
        if member:
            return member
    return None


def _names_family(words: list[str], family: str) -> bool:
    """Whether the phrase itself says the family ("lower bollinger band" does, "lower band" does not)."""
    return any(vocab.family_tokens().get(w) == family for w in words)


def _read_offset_after(words: list[str], m: Mention) -> None:
    start = m.end
    while start < len(words) and words[start] in ("was", "is", "were", "did", "had", "been"):
        start += 1
    for pat, off in OFFSET_AFTER.items():
        n = len(pat)
        if tuple(words[start : start + n]) == pat:
            m.offset = off
            m.end = start + n
            return
    # "N bars ago", "N days back"
    k = m.end
    while k < len(words) and words[k] in ("from", "of", "the", "level", "value", "reading", "it", "was"):
        k += 1
    if k + 2 < len(words) + 1 and k + 1 < len(words):
        try:
            n = float(words[k])
        except ValueError:
            return
        if (
            k + 2 < len(words)
            and words[k + 1] in vocab.BAR_UNITS
            and words[k + 2] in ("ago", "back", "earlier")
        ):
            m.offset = int(n)
            m.end = k + 3


def _fits(p: Param, v: float) -> bool:
    return v >= p.minimum and (not p.integer or float(v).is_integer())


def split_fits(
    params: tuple[Param, ...], merged: float, split: tuple[float, float], toks: list[Token], k: int
) -> bool:
    """Whether a run of number words said alone after a name ("Keltner twenty two point five") is better
    heard as two settings: the name takes two or more, both fit (a whole number where one is needed, a
    multiplier near its usual size), and the joined value does not fit as well."""
    if len(params) < 2 or any(t.is_number for t in toks[k + 1 : k + 4]):
        return False
    first, second = params[0], params[1]
    if not (_fits(first, split[0]) and _fits(second, split[1]) and split[1] <= 5 * float(second.default)):
        return False
    return not _fits(first, merged) or not second.integer


def _lookback_window(words: list[str], toks: list[Token], k: int) -> tuple[float, int] | None:
    """ "(of|over|in) the last N days" after position k: (N, end index)."""
    j = k
    if j < len(words) and words[j] in ("of", "over", "in", "for", "from", "during", "across"):
        j += 1
    if j < len(words) and words[j] == "the":
        j += 1
    if j < len(words) and words[j] in vocab.LOOKBACK:
        j += 1
        if j < len(words) and toks[j].is_number and j + 1 < len(words) and words[j + 1] in vocab.BAR_UNITS:
            end = j + 2
            if words[j + 1] == "trading" and end < len(words) and words[end] in vocab.BAR_UNITS:
                end += 1
            return float(toks[j].value or 0), end
    return None


_TIMEFRAME_NOUNS = frozenset(["bars", "bar", "chart", "charts", "candles", "candle", "candlesticks", "timeframe"])


def _number_mention(words: list[str], toks: list[Token], i: int) -> Mention:
    value = float(toks[i].value or 0.0)
    start = i
    if (
        i > 0
        and words[i - 1] in ("minus", "negative")
        or (i > 0 and words[i - 1] == "-" and (i < 2 or not toks[i - 2].is_number))
    ):
        value, start = -value, i - 1
    elif i > 0 and words[i - 1] == "plus":
        start = i - 1
    m = Mention("number", start, i + 1, value=value)
    if (
        i + 2 < len(words)
        and words[i + 1] in vocab.BAR_UNITS
        and words[i + 2] in ("ago", "back", "earlier")
        and float(value).is_integer()
        and value > 0
    ):
        # "higher than 12 weeks ago": the same series, that many bars back
        return Mention("ref", start, i + 3, offset=int(value))
    if i + 1 < len(words) and words[i + 1] == "percent":
        m.percent = True
        m.end = i + 2
    elif (
        i + 1 < len(words)
        and words[i + 1] in vocab.BAR_UNITS
        and not (i + 2 < len(words) and words[i + 2] in ("ago", "in", "back"))
        # "on 1 hour bars", "the 15 minute chart": the chart's timeframe, not an average's window
        and not (i + 2 < len(words) and words[i + 2] in _TIMEFRAME_NOUNS)
    ):
        # "the 200-day" with no name after it: a window that points at an average the lesson named
        m.kind = "window"
        m.end = i + 2
    elif (
        (i > 0 and words[i - 1] == "the" or i + 1 < len(words) and words[i + 1] in vocab.CROSS)
        and float(value).is_integer()
        and value >= 2
        and start == i  # "over plus 100 crosses back down": a level said with its sign, not an average
        and not (i > 0 and (words[i - 1] in vocab.ABOVE or words[i - 1] in vocab.BELOW))
    ):
        m.kind = "window"  # "the nine crosses ...", "ten crosses back below thirty": averages named before
    return m


def scale_of(name: str) -> Scale:
    return REGISTRY[name].scale

"""Stage 4: stops, targets, time exits, the bar timeframe, and data the lesson needs that we do not have.

"Stop loss one and a half percent under your entry" -> stop_loss_pct 1.5; "two times the ATR, a ten-day
ATR" -> stop_loss_atr 2, atr_window 10; "out after five days" -> max_bars_held 5 (weeks and months
converted to bars of the lesson's timeframe); "one-hour candles" -> 1h.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from reelquant.speech.transcript import Segment
from reelquant.strategy.markets import bar_minutes, is_intraday
from reelquant.text.lexicon import load_lexicon
from reelquant.text.rules import vocab
from reelquant.text.rules.normalize import Clause, Token, tokenize_segment
from reelquant.text.rules.operands import Mention


@dataclass
class StopFrame:
    """One stop setting as said: `field` is a StrategySpec stop field; `value` in its units."""

    field: str
    value: float
    at: int  # token index
    unit: str = ""  # time exits: the unit the speaker used ("day", "week", ...)


_STOP_WORDS = {
    ("stop", "loss"): "stop",
    ("stop", "-", "loss"): "stop",
    ("stoploss",): "stop",
    ("stop",): "stop",
    ("stops",): "stop",
    ("stopped",): "stop",
    ("take", "profit"): "target",
    ("target",): "target",
    ("targets",): "target",
    ("profit", "target"): "target",
    ("take", "my", "profit"): "target",
    ("trailing", "stop"): "trail",
    ("trail",): "trail",
    ("trailing",): "trail",
    ("time", "stop"): "time",
    ("time", "exit"): "time",
}
_TIME_UNITS = {
    "day": "day",
    "days": "day",
    "bar": "bar",
    "bars": "bar",
    "candle": "bar",
    "candles": "bar",
    "session": "day",
    "sessions": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "hour": "hour",
    "hours": "hour",
    "fortnight": "week",
    "fortnights": "week",
}
# Trading-calendar bars per unit on daily and weekly bars; intraday bars convert hours by their length.
_BARS_PER = {
    "1d": {"day": 1, "week": 5, "month": 21},
    "1w": {"week": 1, "month": 4},
}


def stop_words(words: list[str]) -> list[tuple[int, str]]:
    """(index, kind) of each stop word: "stop", "target", "trail" or "time"."""
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(words):
        for n in (3, 2, 1):
            kind = _STOP_WORDS.get(tuple(words[i : i + n]))
            if kind:
                # "stop and reverse" is a way of trading, not a stop
                if kind == "stop" and words[i + 1 : i + 3] in (["and", "reverse"], ["-", "and"]):
                    kind = None
                    break
                out.append((i, kind))
                i += n - 1
                break
        i += 1
    return out


def read_stops(clause: Clause, mentions: list[Mention], context: str | None) -> tuple[list[StopFrame], bool]:
    """Stop settings in a clause (with `context` the stop kind said in the clauses just before), and whether
    the clause says there is no stop ("no stop loss", "I don't use a stop")."""
    w = clause.words
    kinds = stop_words(w)
    negated = any(
        k == "stop" and any(x in ("no", "don't", "without", "never", "not") for x in w[max(0, i - 4) : i])
        for i, k in kinds
    )
    frames: list[StopFrame] = []
    atrs = [m for m in mentions if m.kind == "indicator" and m.indicator == "atr"]
    windows = [a for a in atrs if a.explicit and "window" in a.params and not a.bare_number_before]
    for m in mentions:
        if (
            m.kind == "indicator"
            and m.indicator == "atr"
            and m.bare_number_before
            and m.scale == 1.0
            and (kinds or context)
        ):
            # "a stop at 2 ATR": with a stop said, a number right before "ATR" is a multiple, not a window
            m = Mention("number", m.start, m.start + 1, value=float(m.params["window"]))
            atr: Mention | None = Mention("indicator", m.start + 1, m.start + 2, indicator="atr")
        elif (
            m.kind == "indicator"
            and m.indicator == "atr"
            and m.scale == 1.0
            and m.start > 0
            and clause.tokens[m.start - 1].is_number
            and not any(x.start <= m.start - 1 < x.end for x in mentions)
            and (kinds or context)
        ):
            # "1.5 ATR below my entry": a number no ATR setting can be (not a whole window) is a multiple
            m, atr = Mention("number", m.start - 1, m.start, value=float(clause.tokens[m.start - 1].value or 0)), m
        elif m.kind == "indicator" and m.indicator == "atr" and m.scale != 1.0:
            # "2 times the ATR": the multiple was read with the ATR
            m = Mention("number", m.start, m.start + 1, value=m.scale)
            atr = next(a for a in atrs if a.start == m.start)
        elif m.kind != "number" or m.value is None or m.value <= 0:
            continue
        else:
            atr = _atr_after(w, mentions, m)
        if not m.percent and atr is None:
            continue
        # "1.5 percent stop, 3 percent target": a stop word right after the value names it
        after = atr.end if atr is not None else m.end
        kind = next((k for i, k in kinds if i == after), None) or _nearest_kind(kinds, m.start)
        if kind is None and context and (atr is not None or any(x in vocab.ENTRY_REFS for x in w)):
            kind = context  # "What's your stop?" "Five percent below my entry."
        if kind is None or kind == "time":
            continue
        if negated and kind == "stop":
            continue
        if any(x in vocab.NEGATIONS for x in w[max(0, m.start - 5) : m.start]):
            continue  # "not the 14", "not 2 percent"
        if m.percent and _of_account(w, m.end):
            continue  # "a move of 2 N cost 2 percent of the account": risk per trade, not a distance
        # the distance must be measured from the trade ("under your entry", "stop at 2 %"), not a level
        if atr is not None:
            field = {"stop": "stop_loss_atr", "target": "take_profit_atr"}.get(kind)
        else:
            field = {"stop": "stop_loss_pct", "target": "take_profit_pct", "trail": "trailing_stop_pct"}.get(
                kind
            )
        if field:
            frames.append(StopFrame(field, float(m.value), m.start))
            said = (
                atr
                if atr is not None and atr.explicit and "window" in atr.params
                else (windows[0] if atr is not None and windows else None)
            )
            if said is not None:
                frames.append(StopFrame("atr_window", float(said.params["window"]), said.start))
    frames += _time_exit(w, clause, kinds)
    return frames, negated


_ACCOUNT = frozenset(["account", "accounts", "equity", "capital", "portfolio", "balance", "bankroll"])


def _of_account(w: list[str], at: int) -> bool:
    """Whether a percent is of the trader's money ("2 percent of the account", "1 % of my equity")."""
    rest = w[at : at + 5]
    if rest[:1] == ["percent"]:
        rest = rest[1:]
    return rest[:1] == ["of"] and bool(_ACCOUNT & set(rest[1:4]))


def _atr_after(w: list[str], mentions: list[Mention], m: Mention) -> Mention | None:
    for x in mentions:
        if x.kind == "indicator" and x.indicator == "atr" and m.end <= x.start <= m.end + 3:
            between = w[m.end : x.start]
            if all(
                b in ("times", "x", "the", "an", "a", "of", "same", "day", "-", "hourly", "daily", "weekly")
                for b in between
            ):
                return x
    return None


def _nearest_kind(kinds: list[tuple[int, str]], at: int) -> str | None:
    if not kinds:
        return None
    # prefer the stop word said before the number ("stop loss 2 %"), else the one after ("2 % stop")
    before = [(at - i, k) for i, k in kinds if i < at]
    after = [(i - at, k) for i, k in kinds if i > at]
    cands = sorted(before + [(d + 0.5, k) for d, k in after])
    return cands[0][1] if cands else None


_EXIT_HINTS = frozenset(
    ["out", "exit", "close", "sell", "cover", "held", "hold", "holding", "time", "anyway", "regardless"]
)


def _time_exit(w: list[str], clause: Clause, kinds: list[tuple[int, str]]) -> list[StopFrame]:
    """ "within ten trading days", "after five days", "a ten-day time stop", "held seven trading days"."""
    toks = clause.tokens
    if not (_EXIT_HINTS & set(w)) and not any(k == "time" for _, k in kinds):
        return []
    out = []
    for i, value, k in _spans(w, toks):
        unit = _TIME_UNITS[w[k]]
        prev = w[max(0, i - 3) : i]
        after = w[k + 1 : k + 4]
        time_word = any(kd == "time" and abs(j - i) <= 4 for j, kd in kinds)
        if after[:1] and after[0] in ("ago", "earlier", "back", "before"):
            continue  # "higher than it was 10 days earlier" is an offset
        if vocab.said_running(w[k + 1 : k + 5]):
            continue  # "below the band for two sessions running" is a condition held for bars
        # "if it hasn't paid you in three weeks, get out": a span in which nothing happened is a time exit
        nothing_in = "in" in prev and any(x in vocab.NEGATIONS or x.endswith("n't") for x in w[:i])
        if (
            any(x in ("within", "after", "for") for x in prev)
            or nothing_in
            or time_word
            or ("held" in prev or "hold" in prev)
            or (after[:1] == ["time"])
        ):
            # "the lowest low of the last ten days" is a window, not a time exit
            if any(x in vocab.LOOKBACK for x in prev) or (
                after and after[0] in ("ago", "average", "high", "low")
            ):
                continue
            out.append(StopFrame("max_bars_held", value * _SPAN_WORDS.get(w[k], 1), i, unit))
    return out


# Units said without a number ("after a fortnight"): how many of the unit they stand for
_SPAN_WORDS = {"fortnight": 2}


def _spans(w: list[str], toks: list[Token]) -> list[tuple[int, float, int]]:
    """(index of the count, count, index of the unit) for "5 days", "ten trading sessions", "a fortnight"."""
    out = []
    for i, t in enumerate(toks):
        if w[i] in _SPAN_WORDS and i > 0 and w[i - 1] in ("a", "one"):
            out.append((i - 1, 1.0, i))
            continue
        if not t.is_number or not t.value or not float(t.value).is_integer():
            continue
        k = i + 1
        while k < len(w) and w[k] in ("-", "trading", "more"):
            k += 1
        if k < len(w) and w[k] in _TIME_UNITS:
            out.append((i, float(t.value), k))
    return out


def bars(value: float, unit: str, timeframe: str) -> int | None:
    """A time exit in bars of the lesson's timeframe, or None when the units do not convert."""
    if unit == "bar":
        return int(value)
    per = _BARS_PER.get(timeframe, {}).get(unit)
    if per is None and unit == "hour" and is_intraday(timeframe):
        per = 60 / bar_minutes(timeframe)
    return int(round(value * per)) if per else None


_TIMEFRAMES = {
    ("daily",): "1d",
    ("day", "chart"): "1d",
    ("daily", "chart"): "1d",
    ("hourly",): "1h",
    ("1", "hour"): "1h",
    ("1", "-", "hour"): "1h",
    ("60", "minute"): "1h",
    ("hour", "chart"): "1h",
    ("weekly",): "1w",
    ("week", "chart"): "1w",
    ("4", "hour"): "4h",
    ("4", "-", "hour"): "4h",
    ("15", "minute"): "15m",
    ("15", "-", "minute"): "15m",
    ("5", "minute"): "5m",
    ("5", "-", "minute"): "5m",
    ("30", "minute"): "30m",
    ("30", "-", "minute"): "30m",
    ("monthly",): "1M",
}


def timeframes(words: list[str]) -> list[tuple[int, str]]:
    out = []
    i = 0
    while i < len(words):
        step = 1
        for n in (3, 2, 1):
            tf = _TIMEFRAMES.get(tuple(words[i : i + n]))
            if tf:
                out.append((i, tf))
                step = n
                break
        i += step
    return out


# Data the backtester does not have; a rule that needs it cannot be tested. Each entry: words -> what.
DATA_NEEDS: dict[tuple[str, ...], str] = {
    ("earnings",): "earnings data",
    ("revenue",): "fundamental data",
    ("guidance",): "fundamental data",
    ("eps",): "earnings data",
    ("fundamentals",): "fundamental data",
    ("p", "/", "e"): "fundamental data",
    ("news",): "news",
    ("headline",): "news",
    ("headlines",): "news",
    ("order", "book"): "order book data",
    ("level", "2"): "order book data",
    ("level", "two"): "order book data",
    ("bid",): "order book data",
    ("time", "and", "sales"): "time and sales (the tape)",
    ("the", "tape"): "time and sales (the tape)",
    ("options",): "options data",
    ("implied", "volatility"): "options data",
    ("open", "interest"): "options data",
    ("put", "/", "call"): "options data",
    ("put", "-", "call"): "options data",  # the put/call ratio as a recognizer writes it
    ("put", "call"): "options data",
    ("vix",): "another symbol (the VIX)",
    ("breadth",): "market breadth (other symbols)",
    ("advance", "decline"): "market breadth (other symbols)",
    ("advancers",): "market breadth (other symbols)",
    ("decliners",): "market breadth (other symbols)",
    ("new", "highs", "minus"): "market breadth (other symbols)",
    ("dividend",): "dividend data",
    ("analyst",): "analyst data",
    ("upgrade",): "analyst data",
    ("insider",): "insider data",
    ("float",): "share float data",
    ("short", "interest"): "short interest data",
    ("sentiment",): "sentiment data",
    # performance measured against other instruments (a sector ranked against the index): other symbols
    ("relative", "performance"): "other symbols (performance relative to other instruments)",
    ("outperform",): "other symbols (performance relative to other instruments)",
    ("outperforms",): "other symbols (performance relative to other instruments)",
    ("outperforming",): "other symbols (performance relative to other instruments)",
    ("underperforming",): "other symbols (performance relative to other instruments)",
}


# "the percent of Nasdaq 100 stocks trading above their 50-day": a share of an index's members, i.e. breadth
_BREADTH_SHARE = re.compile(r" (percent|percentage|share) of (the )?(\S+ ){0,3}(stocks|members|names|components) ")


def data_needs(words: list[str]) -> list[str]:
    """What these words need that we do not have: DATA_NEEDS, then the lexicon's chart patterns.

    Nothing when the words wave the data away (vocab.DISMISSALS): a remark about it is not a rule on it.
    """
    text = _padded(words)
    if _dismissed(text):
        return []
    found = [what for pat, what in DATA_NEEDS.items() if " " + " ".join(pat) + " " in text]
    if _BREADTH_SHARE.search(text):
        found.append(DATA_NEEDS[("breadth",)])
    return list(dict.fromkeys(found + _patterns_in(text)))


def pattern_needs(words: list[str]) -> list[str]:
    """The first chart pattern of the lexicon these words name, as what a rule on it needs (none when the
    words wave it away, as in data_needs)."""
    text = _padded(words)
    return [] if _dismissed(text) else _patterns_in(text)


def _padded(words: list[str]) -> str:
    return " " + " ".join(words) + " "


def _dismissed(text: str) -> bool:
    return any(" " + " ".join(d) + " " in text for d in vocab.DISMISSALS)


def _patterns_in(text: str) -> list[str]:
    patterns = [name for alias, name in _chart_patterns() if " " + alias + " " in text]
    return [f"a chart pattern ({name}) that the indicator rules cannot express" for name in patterns[:1]]


@lru_cache(maxsize=1)
def _chart_patterns() -> list[tuple[str, str]]:
    """(alias, pattern name) for the lexicon's chart patterns that it marks unsupported, longest alias first.

    A price channel or a gap fill can be said with indicator rules (highest high, yesterday's close), so the
    lexicon leaves those supported and they are not read as needs.
    """
    # aliases tokenized as speech is ("double top" reads "2 times top"), so they match clause words
    pairs = [(" ".join(t.text for t in tokenize_segment(Segment(0, 0.0, 1.0, alias))), term.name.lower())
             for term in load_lexicon().in_category("chart_patterns") if term.unsupported
             for alias in term.aliases]
    return sorted(pairs, key=lambda pair: -len(pair[0]))

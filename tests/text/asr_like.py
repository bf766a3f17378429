"""Turn a written lesson script into the kind of text a speech recognizer returns, for robustness tests."""

from __future__ import annotations

import re

from reelquant.text.numbers import spell_number

_SPELLED = {
    "RSI": "r s i",
    "MACD": "m a c d",
    "EMA": "e m a",
    "SMA": "s m a",
    "ATR": "a t r",
    "EMAs": "e m a's",
    "SMAs": "s m a's",
}


def spell(n: int) -> str:
    """English words for n, the way people say them."""
    return spell_number(n)


def _spell_number(m: re.Match[str]) -> str:
    whole, _, frac = m.group(0).partition(".")
    words = spell(int(whole))
    if frac:
        words += " point " + " ".join(spell_number(int(d)) for d in frac)
    return words


def asr_like(text: str) -> str:
    """Lowercase, no punctuation, numbers and acronyms spelled out, plural slips; one line per segment."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        line = line.replace("%", " percent")
        line = re.sub(r"\b[A-Z]{2,5}s?\b", lambda m: _SPELLED.get(m.group(0), m.group(0)), line)
        line = re.sub(r"\d+(?:\.\d+)?", _spell_number, line)
        line = re.sub(r"\bmoving average\b", "moving averages", line, flags=re.I)
        line = re.sub(r"\bBollinger\b", "bowlinger", line)
        line = line.lower().replace("-", " ")
        line = re.sub(r"(?<!\w)'|'(?!\w)|[^\w\s']", " ", line)
        out.append(re.sub(r"\s+", " ", line).strip())
    return "\n".join(out)

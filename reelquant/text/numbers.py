"""Spoken numbers to digits ("two hundred" -> "200", "one and a half" -> "1.5"), leaving other words alone."""

from __future__ import annotations

import re

UNITS: dict[str, int] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
TEENS: dict[str, int] = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS: dict[str, int] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES: dict[str, int] = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
FRACTIONS: dict[str, float] = {"half": 0.5, "quarter": 0.25}
# A lone "one" is usually a pronoun ("this one"); it is a number only before a unit like these.
_ONE_UNITS = frozenset(
    [
        "percent",
        "per",
        "times",
        "time",
        "x",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "hour",
        "hours",
        "minute",
        "minutes",
        "period",
        "periods",
        "bar",
        "bars",
        "candle",
        "candles",
        "atr",
        "atrs",
        "standard",
        "point",
        "points",
        "r",
        "dollar",
        "dollars",
        "lot",
        "share",
        "shares",
        "contract",
        "contracts",
        "tick",
        "ticks",
        "pip",
        "pips",
        "sigma",
        "deviation",
    ]
)
_TOKEN = re.compile(r"[A-Za-z]+|[^A-Za-z]+")


def _kind(word: str) -> str | None:
    w = word.lower()
    if w in UNITS:
        return "zero" if w == "zero" else "unit"
    if w in TEENS:
        return "teen"
    if w in TENS:
        return "tens"
    if w == "hundred":
        return "hundred"
    if w in SCALES:
        return "scale"
    return None


def _value(word: str) -> int:
    w = word.lower()
    return UNITS.get(w, TEENS.get(w, TENS.get(w, 0)))


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


class _Reader:
    """Reads one number starting at a word index of the token list; tokens alternate words and gaps."""

    def __init__(self, tokens: list[str]):
        self.tokens = tokens

    def word_at(self, i: int) -> str | None:
        if 0 <= i < len(self.tokens) and self.tokens[i][:1].isalpha():
            return self.tokens[i]
        return None

    def next_word(self, i: int) -> int | None:
        """Index of the next word when only spaces or a hyphen lie between, else None."""
        j = i + 1
        if j < len(self.tokens) and not self.tokens[j][:1].isalpha():
            if self.tokens[j].strip() not in ("", "-"):
                return None
            j += 1
        return j if self.word_at(j) is not None else None

    def _spelled_atr(self, j: int) -> bool:
        """ "one a t r": the ATR spelled out letter by letter, as a recognizer writes it."""
        t = self.next_word(j)
        r = self.next_word(t) if t is not None else None
        return (
            self.tokens[j].lower() == "a"
            and t is not None
            and r is not None
            and self.tokens[t].lower() == "t"
            and self.tokens[r].lower() == "r"
        )

    def read(self, i: int) -> tuple[str, int] | None:
        """(digits, index of the last token used) for a number starting at word i, else None."""
        first = self.word_at(i)
        if first is None or _kind(first) not in ("unit", "teen", "tens", "zero"):
            return None
        total, current, last = 0, _value(first), _kind(first)
        end = i
        words_used = 1
        while True:
            j = self.next_word(end)
            w = self.word_at(j) if j is not None else None
            if w is None:
                break
            k = _kind(w)
            lw = w.lower()
            if (k == "unit" and last in ("tens", "hundred", "scale", "and")) or (
                k in ("teen", "tens") and last in ("hundred", "scale", "and")
            ):
                current += _value(w)
            elif k == "hundred" and last in ("unit", "teen") and current < 100:
                current *= 100
            elif k == "scale" and last in ("unit", "teen", "tens", "hundred"):
                total += current * SCALES[lw]
                current = 0
            elif lw == "and" and last in ("hundred", "scale"):
                nxt = self.next_word(j)
                if nxt is None or _kind(self.tokens[nxt]) not in ("unit", "teen", "tens"):
                    break
                k = "and"
            else:
                break
            last, end = k, j
            words_used += 1
        value: float = total + current
        text = _fmt(value)
        # "one and a half", "two point five": a fractional tail after a complete number.
        j = self.next_word(end)
        w = self.word_at(j) if j is not None else None
        if w is not None and w.lower() == "and":
            a = self.next_word(j)
            f = self.next_word(a) if a is not None else None
            if (
                a is not None
                and f is not None
                and self.tokens[a].lower() == "a"
                and self.tokens[f].lower() in FRACTIONS
            ):
                return _fmt(value + FRACTIONS[self.tokens[f].lower()]), f
        if w is not None and w.lower() == "point":
            digits = []
            k_end = j
            d = self.next_word(j)
            while d is not None and _kind(self.tokens[d]) in ("unit", "zero"):
                digits.append(str(_value(self.tokens[d])))
                k_end = d
                d = self.next_word(d)
            if digits:
                return f"{text}.{''.join(digits)}", k_end
        if words_used == 1 and first.lower() == "one":
            j = self.next_word(end)
            if j is None or (self.tokens[j].lower() not in _ONE_UNITS and not self._spelled_atr(j)):
                return None
        return text, end


def normalize_numbers(text: str) -> str:
    """Rewrite spoken numbers as digits; every other word, space and punctuation stays as it was.

    Numbers that follow each other without a joining word stay separate ("twelve twenty six and nine"
    -> "12 26 and 9"); "and" joins only after hundred or thousand ("two hundred and fifty" -> 250).
    """
    tokens = _TOKEN.findall(text)
    reader = _Reader(tokens)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok[:1].isalpha():
            low = tok.lower()
            # "half a percent" / "a half percent" -> 0.5
            if low == "half" and (not out or not out[-1].strip() or out[-1].strip().lower() != "and"):
                nxt = reader.next_word(i)
                if nxt is not None and tokens[nxt].lower() == "a":
                    after = reader.next_word(nxt)
                    if after is not None and tokens[after].lower() in ("percent", "point"):
                        out.append("0.5")
                        i = nxt + 1
                        continue
            if low == "a":
                nxt = reader.next_word(i)
                if nxt is not None and tokens[nxt].lower() in ("hundred", "thousand"):
                    # "a hundred day" is "one hundred day"
                    tokens[i] = "one"
            read = reader.read(i)
            if read is not None:
                digits, end = read
                out.append(digits)
                i = end + 1
                continue
        out.append(tok)
        i += 1
    return "".join(out)


_SAY_ONES = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
_SAY_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def spell_number(n: int) -> str:
    """English words for 0 <= n < 1,000,000, the way a speaker says them ("two hundred", "twenty one")."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"spell_number covers 0 to 999999, got {n}; pass a smaller whole number.")
    if n < 20:
        return _SAY_ONES[n]
    if n < 100:
        return _SAY_TENS[n // 10] + ("" if n % 10 == 0 else " " + _SAY_ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _SAY_ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + spell_number(rest))
    rest = n % 1000
    return spell_number(n // 1000) + " thousand" + ("" if rest == 0 else " " + spell_number(rest))


def number_spans(words: list[str]) -> list[tuple[int, int, str]]:
    """Spoken numbers in a list of single words: (first index, last index, digits) for each.

    The rule reader keeps one token per heard word (each with its own time), so it needs the number
    spans rather than rewritten text. Words are read exactly as `normalize_numbers` reads them, with
    a hyphen token ("twenty", "-", "one") joining like a space. "point oh two" (no whole part) is 0.02.
    """
    # Interleave the words with the gaps `_Reader` expects: a space between two words, the hyphen
    # itself where the recognizer or the script wrote one; anything else that is not a word stops a number.
    alt: list[str] = []
    where: list[int] = []  # index in `words` of each alt token
    for i, w in enumerate(words):
        if alt and w[:1].isalpha() and alt[-1][:1].isalpha():
            alt.append(" ")
            where.append(i)
        alt.append(w)
        where.append(i)
    reader = _Reader(alt)
    spans: list[tuple[int, int, str]] = []
    k = 0
    while k < len(alt):
        tok = alt[k].lower()
        if tok[:1].isalpha():
            if tok == "point":
                digits, end = [], k
                d = reader.next_word(k)
                while d is not None and (_kind(alt[d]) in ("unit", "zero") or alt[d].lower() == "oh"):
                    digits.append("0" if alt[d].lower() == "oh" else str(_value(alt[d])))
                    end = d
                    d = reader.next_word(d)
                if digits:
                    spans.append((where[k], where[end], "0." + "".join(digits)))
                    k = end + 1
                    continue
            if tok == "a":
                nxt = reader.next_word(k)
                if nxt is not None and alt[nxt].lower() in ("hundred", "thousand"):
                    alt[k] = "one"
                    got = reader.read(k)
                    alt[k] = "a"
                    if got is not None:
                        spans.append((where[k], where[got[1]], got[0]))
                        k = got[1] + 1
                        continue
            got = reader.read(k)
            if (
                got is None
                and tok in ("half", "quarter")
                or (
                    got is None
                    and tok == "a"
                    and reader.next_word(k) is not None
                    and alt[reader.next_word(k) or 0].lower() in ("half", "quarter")
                )
            ):
                # "half a percent", "a quarter of a percent"
                start = k
                if tok == "a":
                    k = reader.next_word(k) or k
                value = FRACTIONS[alt[k].lower()]
                end = _of_a(reader, alt, k)
                if end != k:  # only "half a ...", "a quarter of a ..." (not "the first half of the day")
                    spans.append((where[start], where[end], _fmt(value)))
                    k = end + 1
                    continue
                k = start + 1
                continue
            if got is not None:
                digits, end = got
                # "three quarters of a percent": a count of quarters
                nxt = reader.next_word(end)
                if (
                    nxt is not None
                    and alt[nxt].lower() in ("quarters", "quarter", "halves")
                    and "." not in digits
                    and _of_a(reader, alt, nxt) != nxt
                ):
                    digits = _fmt(float(digits) * (0.25 if alt[nxt].lower().startswith("quarter") else 0.5))
                    end = _of_a(reader, alt, nxt)
                spans.append((where[k], where[end], digits))
                k = end + 1
                continue
        k += 1
    return spans


def split_reading(words: list[str]) -> tuple[float, float] | None:
    """The other way to hear a run of number words that joins a tens word to what follows: "twenty two"
    is 22 or 20 and 2, "twenty two point five" is 22.5 or 20 and 2.5 (a setting said as "Bollinger twenty,
    two point five" without the pause). None when the words allow one reading only."""
    low = [w.lower() for w in words if w != "-"]
    if len(low) < 2 or low[0] not in TENS or _kind(low[1]) != "unit":
        return None
    rest = normalize_numbers(" ".join(low[1:]))
    try:
        return float(TENS[low[0]]), float(rest)
    except ValueError:
        return None


def _of_a(reader: _Reader, alt: list[str], k: int) -> int:
    """Past "of a" / "of one" / "a" after a fraction, so that "percent" follows the number."""
    j = reader.next_word(k)
    if j is not None and alt[j].lower() == "of":
        j2 = reader.next_word(j)
        if j2 is not None and alt[j2].lower() in ("a", "one"):
            return j2
        if alt[j + 1 : j + 2] == ["1"]:
            return j + 1  # "three quarters of 1%", as a recognizer writes "of one percent"
    if j is not None and alt[j].lower() == "a":
        return j
    return k

"""Deterministic rule extraction: from what a lesson says to a StrategySpec a careful reader would write.

The extractor reads each transcript segment after rewriting spoken numbers as digits and every alias of an
indicator as one canonical word; it then pairs indicator mentions around comparison words ("crosses above",
"drops below") and gives each pair the role of the nearest action word (buy, sell, short, cover, exit).
When a rule cannot be read with confidence the spec says it is not testable and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from reelquant.speech.transcript import Segment, Transcript, Word
from reelquant.strategy.spec import Condition, ConditionSet, Indicator, Provenance, StrategySpec
from reelquant.text.lexicon import load_lexicon
from reelquant.text.numbers import normalize_numbers

CONCEPT_KINDS: tuple[str, ...] = (
    "entry",
    "exit",
    "stop",
    "take_profit",
    "direction",
    "timeframe",
    "unsupported",
)
PRICE_LIKE = {
    "close",
    "open",
    "high",
    "low",
    "sma",
    "ema",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "donchian_high",
    "donchian_low",
    "highest_high",
    "lowest_low",
}
OSCILLATORS = {"rsi", "stoch_k", "stoch_d", "macd", "macd_hist"}
NUM = r"(\d+(?:\.\d+)?)"


class RuleExtractor(Protocol):
    """Anything that turns a transcript into a StrategySpec (a pattern reader today, a model later)."""

    def extract(self, transcript: Transcript) -> StrategySpec: ...


class PatternExtractor:
    """The deterministic extractor of this module, behind the RuleExtractor interface."""

    name = "patterns-v1"

    def extract(self, transcript: Transcript) -> StrategySpec:
        return extract_spec(transcript)


# ---------------------------------------------------------------- text normalization


def _strip_punct(text: str) -> str:
    text = text.lower().replace("%", " percent ").replace("\u2019", "'")
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    text = re.sub(r"[^a-z0-9.\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=1)
def _token_rewriter() -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex over every alias of the lexicon terms that carry a rewrite token, longest first."""
    mapping: dict[str, str] = {}
    for term in load_lexicon().terms:
        if term.token:
            for alias in term.aliases:
                key = _strip_punct(alias)
                if key:
                    mapping[key] = term.token
    alts = sorted(mapping, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(a) for a in alts) + r")\b")
    return pattern, mapping


def canonical_text(text: str) -> str:
    """Lowercase, digits for spoken numbers, no punctuation, and one word per indicator ("r s i" -> "rsi")."""
    s = _strip_punct(normalize_numbers(text))
    # "two simple moving averages" counts lines; it is not a 2-bar average.
    s = re.sub(r"\b\d+ ((?:simple |exponential |weighted )?(?:moving averages|emas|smas|mas))\b", r"\1", s)
    pattern, mapping = _token_rewriter()
    s = pattern.sub(lambda m: mapping[m.group(1)], s)
    s = re.sub(r"\b(sma|ema|ma)s\b", r"\1", s)
    # "the histogram turns positive" is a comparison with zero.
    s = re.sub(r"\b(turns|turning|goes|going|is|becomes|flips|crosses) positive\b", r"\1 above 0", s)
    s = re.sub(r"\b(turns|turning|goes|going|is|becomes|flips|crosses) negative\b", r"\1 below 0", s)
    return re.sub(r"\s+", " ", s).strip()


# ---------------------------------------------------------------- lesson-level settings


@dataclass
class _Settings:
    """Indicator parameters said once in the lesson and used by every later mention."""

    rsi: int | None = None
    macd: tuple[int, int, int] | None = None
    bb_window: int | None = None
    bb_std: float | None = None
    donchian: int | None = None
    stoch: int | None = None
    atr: int | None = None
    ma_types: dict[int, str] = field(default_factory=dict)
    ma_kinds_said: set[str] = field(default_factory=set)
    defaults_words: bool = False
    assumptions: list[str] = field(default_factory=list)


def _num(x: str) -> float | int:
    v = float(x)
    return int(v) if v.is_integer() else v


def _read_settings(sentences: list[str]) -> _Settings:
    st = _Settings()
    full = " . ".join(sentences)
    m = re.search(r"\b(\d+) (?:day |period |bar |length |candle )?rsi\b", full) or re.search(
        r"\brsi (?:of |with |set to |length |period |setting of )(?:a )?(\d+)\b", full
    )
    if m:
        st.rsi = int(m.group(1))
    for sent in sentences:
        m = re.search(r"\b(\d+) (\d+) (?:and )?(\d+)\b", sent)
        if st.macd is None and ("macd" in sent or "settings" in sent) and m:
            a, b, c = (int(g) for g in m.groups())
            if a < b:
                st.macd = (a, b, c)
        if "bollinger" in sent or re.search(r"\bbands?\b", sent):
            if st.bb_window is None and (
                m := re.search(
                    r"\b(\d+) (?:day |period |bar )?(?:sma|ema|ma|average|bollinger|period)\b", sent
                )
            ):
                st.bb_window = int(m.group(1))
            if st.bb_window is None and (m := re.search(r"\bbollinger (\d+) (?:and )?" + NUM + r"\b", sent)):
                st.bb_window, st.bb_std = int(m.group(1)), _num(m.group(2))
            if st.bb_std is None and (
                m := re.search(NUM + r" (?:standard deviations?|std|sd|sigma|deviations?)\b", sent)
            ):
                st.bb_std = _num(m.group(1))
    if m := re.search(r"\b(\d+) (?:day |period |bar |week )?donchian\b", full) or re.search(
        r"\bdonchian (?:channel )?(?:of |with |over )?(?:the )?(?:last |past )?(\d+)\b", full
    ):
        st.donchian = int(m.group(1))
    if m := re.search(r"\b(\d+) (?:day |period |bar )?stochastic\b", full):
        st.stoch = int(m.group(1))
    if m := re.search(r"\b(\d+) (?:day |period |bar )?atr\b", full):
        st.atr = int(m.group(1))
    for m in re.finditer(r"\b(\d+) (?:day |period |bar |week )?(sma|ema)\b", full):
        st.ma_types.setdefault(int(m.group(1)), m.group(2))
    for m in re.finditer(r"\b(sma|ema) (?:of |length |period |with a length of )?(\d+)\b(?! percent)", full):
        st.ma_types.setdefault(int(m.group(2)), m.group(1))
    st.ma_kinds_said = set(re.findall(r"\b(sma|ema)\b", full))
    st.defaults_words = bool(re.search(r"\b(?:standard|default|defaults|classic|usual|normal)\b", full))
    return st


# ---------------------------------------------------------------- operands


@dataclass
class _Operand:
    start: int
    end: int
    name: str  # indicator name, or "number"
    window: int | None = None
    value: float | int | None = None
    ma_kind: str | None = None  # sma | ema | ma for moving averages before type resolution
    speed: str | None = None  # "fast" or "slow" line of a two-average system


_UNIT = r"(?:day |period |bar |week |hour |minute |candle |session )?"
_LAST = r"(?: of| over| in| for)?(?: the)?(?: last| past| prior| previous)?"
_BARS = r"(?:days?|bars?|periods?|sessions?|candles?|weeks?)"
_OPERAND_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # "below that line": the level named in the rule said just before.
    ("ref", re.compile(r"\b(?:that|this|the same) (?:line|level|ma|sma|ema|average|band|channel)\b")),
    ("highest_high", re.compile(r"\b(?:the )?highest highs?" + _LAST + r" (?P<n>\d+) " + _BARS + r"\b")),
    ("lowest_low", re.compile(r"\b(?:the )?lowest lows?" + _LAST + r" (?P<n>\d+) " + _BARS + r"\b")),
    ("highest_high", re.compile(r"\b(?:the )?(?P<n>\d+) (?:day|bar|period|week|session) highs?\b")),
    ("lowest_low", re.compile(r"\b(?:the )?(?P<n>\d+) (?:day|bar|period|week|session) lows?\b")),
    (
        "donchian",
        re.compile(
            r"\b(?:the )?(?:(?P<n>\d+) " + _UNIT + r")?(?P<side>upper|lower|top|bottom|high|low)"
            r"(?: of the)?(?: (?P<n2>\d+) " + _UNIT + r")?(?: donchian)? channel\b"
        ),
    ),
    ("donchian", re.compile(r"\b(?:the )?donchian (?:channel )?(?P<side>high|low|upper|lower)\b")),
    (
        "donchian",
        re.compile(
            r"\b(?:the )?(?:(?P<n>\d+) " + _UNIT + r")?(?P<side>upper|lower|top|bottom) "
            r"(?:(?P<n2>\d+) " + _UNIT + r")?donchian(?: channel| line| band)?\b"
        ),
    ),
    (
        "bb",
        re.compile(
            r"\b(?:the )?(?P<side>lower|upper|middle|bottom|top|mid) (?:bollinger(?: bands?)?|bands?)\b"
        ),
    ),
    ("bb", re.compile(r"\b(?:the )?bollinger (?P<side>lower|upper|middle) (?:bands?|line)?\b")),
    ("macd_hist", re.compile(r"\b(?:the )?(?:macd )?histogram\b")),
    ("macd_signal", re.compile(r"\b(?:the |its )?(?:macd )?signal(?: line)?\b")),
    ("macd", re.compile(r"\b(?:the )?macd(?: \d+ \d+ (?:and )?\d+)?(?: line)?\b")),
    (
        "rsi",
        re.compile(
            r"\b(?:the )?(?:(?P<n>\d+) (?:day |period |bar |length )?)?rsi"
            r"(?: (?:of |length |period )?(?P<n2>\d+)\b(?! percent))?\b"
        ),
    ),
    (
        "stoch",
        re.compile(
            r"\b(?:the )?(?:(?P<n>\d+) (?:period )?)?stochastic(?: (?:percent )?(?P<line>k|d))?(?: line)?\b"
        ),
    ),
    ("stoch", re.compile(r"\b(?:the )?percent (?P<line>k|d)(?: line)?\b")),
    (
        "ma",
        re.compile(
            r"\b(?:the )?(?P<n>\d+) " + _UNIT + r"(?:(?P<t>simple|exponential) )?(?P<ma>sma|ema|ma|average)\b"
        ),
    ),
    (
        "ma",
        re.compile(
            r"\b(?:the |its )?(?:fast |slow |fast moving |slow moving )?(?P<ma>sma|ema|ma) "
            r"(?:of |length |period |with a length of )?(?P<n>\d+)\b(?! (?:percent|standard|times|x)\b)"
        ),
    ),
    (
        "ma",
        re.compile(
            r"\b(?:the |its )?(?:(?P<speed>fast|slow|faster|slower|shorter|longer) )?(?P<ma>sma|ema|ma)\b"
        ),
    ),
    (
        "close",
        re.compile(
            r"\b(?:today s |the |a |its |daily |closing )*(?:price|candle|market|stock|it|bar) "
            r"(?:closes|closed|close|closing)\b"
        ),
    ),
    ("close", re.compile(r"\b(?:today s |the |a |its |daily |current |closing )*(?:price|close|closes)\b")),
    ("volume", re.compile(r"\b(?:the |today s )?volume\b")),
    ("open", re.compile(r"\b(?:today s |the )open\b")),
    ("number", re.compile(r"\b(?P<v>\d+(?:\.\d+)?)\b(?! (?:percent|day|days|period|bar|bars)\b)")),
]


def _find_operands(s: str) -> list[_Operand]:
    found: list[_Operand] = []
    taken: list[tuple[int, int]] = []
    for kind, pat in _OPERAND_PATTERNS:
        for m in pat.finditer(s):
            a, b = m.span()
            if any(a < y and b > x for x, y in taken):
                continue
            gd = m.groupdict()
            n = gd.get("n") or gd.get("n2")
            op = _Operand(a, b, kind, window=int(n) if n else None)
            if kind == "donchian":
                op.name = "donchian_high" if gd["side"] in ("upper", "top", "high") else "donchian_low"
            elif kind == "bb":
                side = gd["side"]
                op.name = {
                    "lower": "bb_lower",
                    "bottom": "bb_lower",
                    "upper": "bb_upper",
                    "top": "bb_upper",
                }.get(side, "bb_middle")
            elif kind == "stoch":
                op.name = "stoch_d" if gd.get("line") == "d" else "stoch_k"
            elif kind == "ma":
                op.speed = gd.get("speed")
                op.ma_kind = {"simple": "sma", "exponential": "ema"}.get(gd.get("t") or "", gd["ma"])
                if op.ma_kind == "average":
                    op.ma_kind = "ma"
            elif kind == "number":
                op.value = _num(gd["v"])
            found.append(op)
            taken.append((a, b))
    return sorted(found, key=lambda o: o.start)


def _resolve(op: _Operand, st: _Settings, used: list[str]) -> Indicator | float | int | None:
    """The operand as an Indicator (or a constant), with lesson settings and stated defaults filled in."""
    name = op.name
    if name == "number":
        return op.value
    if name in ("close", "open", "high", "low", "volume"):
        return Indicator(indicator=name)
    if name in ("highest_high", "lowest_low"):
        return Indicator(indicator=name, params={"window": op.window})
    if name in ("donchian_high", "donchian_low"):
        window = op.window or st.donchian
        if window is None:
            window = 20
            used.append("Donchian channel length not said; used 20 bars")
        return Indicator(indicator=name, params={"window": window})
    if name.startswith("bb_"):
        window, std = st.bb_window, st.bb_std
        if window is None:
            window = 20
            used.append(
                "Bollinger Band length not said; used the default 20 bars"
                if not st.defaults_words
                else "default Bollinger Bands read as 20 bars"
            )
        if std is None:
            std = 2
            used.append(
                "Bollinger Band width not said; used the default 2 standard deviations"
                if not st.defaults_words
                else "default Bollinger Bands read as 2 standard deviations"
            )
        return Indicator(indicator=name, params={"window": window, "std": std})
    if name in ("macd", "macd_signal", "macd_hist"):
        if st.macd is None:
            used.append(
                "classic MACD settings read as 12/26/9"
                if st.defaults_words
                else "MACD settings not said; used the classic 12/26/9"
            )
            fast, slow, signal = 12, 26, 9
        else:
            fast, slow, signal = st.macd
        return Indicator(indicator=name, params={"fast": fast, "slow": slow, "signal": signal})
    if name == "rsi":
        window = op.window or st.rsi
        if window is None:
            window = 14
            used.append(
                "standard RSI read as 14 periods"
                if st.defaults_words
                else "RSI length not said; used the standard 14"
            )
        return Indicator(indicator="rsi", params={"window": window})
    if name in ("stoch_k", "stoch_d"):
        window = op.window or st.stoch
        if window is None:
            window = 14
            used.append("stochastic length not said; used the standard 14")
        return Indicator(indicator=name, params={"window": window})
    if name == "ma":
        kind = op.ma_kind or "ma"
        window = op.window
        if window is None:
            windows = sorted({w for w, k in st.ma_types.items() if kind == "ma" or k == kind})
            if len(windows) == 2 and op.speed:
                # With two averages, the fast one is the shorter.
                window = windows[0] if op.speed in ("fast", "faster", "shorter") else windows[1]
            elif len(windows) == 1:
                window = windows[0]
            else:
                return None
        if kind == "ma":
            kind = st.ma_types.get(window) or (
                next(iter(st.ma_kinds_said)) if len(st.ma_kinds_said) == 1 else None
            )
            if kind is None:
                kind = "sma"
                used.append(f"type of the {window}-bar moving average not said; used a simple moving average")
        return Indicator(indicator=kind, params={"window": window})
    return None


# ---------------------------------------------------------------- comparisons and roles

_DIR = re.compile(
    r"\b(above|over|below|under|beneath|through|greater than|higher than|more than|less than|lower than|"
    r"exceeds|exceed)\b"
)
_RULE_VERB = re.compile(
    r"\b(?:crosses|cross|crossed|rises|rise|drops|drop|falls|fall|closes|close|breaks|break|climbs|climb|"
    r"moves|move|goes|go|dips|dip|is|are|stays|stay|must|needs to|has to)$"
)
_LEFT_FILLER = set(
    [
        "the",
        "line",
        "must",
        "has",
        "have",
        "to",
        "needs",
        "need",
        "should",
        "is",
        "are",
        "was",
        "be",
        "being",
        "will",
        "then",
        "just",
        "back",
        "gets",
        "get",
        "goes",
        "go",
        "went",
        "moves",
        "move",
        "moved",
        "trades",
        "trade",
        "trading",
        "stays",
        "stay",
        "remains",
        "remain",
        "holds",
        "hold",
        "closes",
        "close",
        "closed",
        "closing",
        "breaks",
        "break",
        "broke",
        "rises",
        "rise",
        "rose",
        "drops",
        "drop",
        "dropped",
        "falls",
        "fall",
        "fell",
        "dips",
        "dip",
        "sinks",
        "pushes",
        "push",
        "crosses",
        "cross",
        "crossed",
        "crossing",
        "up",
        "down",
        "ends",
        "finishes",
        "prints",
        "comes",
        "came",
        "climbs",
        "climb",
        "jumps",
        "jump",
        "still",
        "currently",
        "now",
        "itself",
        "value",
        "reading",
        "level",
        "turns",
        "turn",
        "turning",
        "going",
        "becomes",
        "become",
        "flips",
        "flip",
        "moving",
        "rising",
        "falling",
        "dropping",
        "breaking",
        "climbing",
    ]
)
_RIGHT_FILLER = set(["the", "its", "a", "back", "level", "mark", "value", "line"])
_CROSS_WORDS = {"crosses", "cross", "crossed", "crossing"}
_IMPLICIT_OK = _LEFT_FILLER | {"when", "if", "once", "while", "it", "and"}


@dataclass
class _Found:
    cond: Condition
    start: int
    end: int
    assumptions: list[str]


def _comparisons(
    s: str, ops: list[_Operand], st: _Settings, state: dict[str, Any]
) -> tuple[list[_Found], list[int]]:
    """Every `left op right` in the text, and the positions of comparisons that could not be read."""
    found: list[_Found] = []
    problems: list[int] = []
    spans = [(o.start, o.end) for o in ops]
    for m in _DIR.finditer(s):
        a, b = m.span()
        if any(x <= a < y for x, y in spans):
            continue
        right = next((o for o in ops if o.start >= b), None)
        if right is None or any(w not in _RIGHT_FILLER for w in s[b : right.start].split()):
            continue
        left = next((o for o in reversed(ops) if o.end <= a), None)
        gap = s[left.end : a].split() if left is not None else []
        if left is None or any(w not in _LEFT_FILLER for w in gap):
            left = None
            before = s[:a].split()
            gap = []
            for w in reversed(before):
                if w in _LEFT_FILLER:
                    gap.append(w)
                    continue
                if w not in _IMPLICIT_OK:
                    gap = None
                break
            if gap is None and before:
                # "... rises above 90" after words that name nothing: a rule whose subject was not heard.
                if right.name != "number" or _RULE_VERB.search(" ".join(before[-2:])):
                    problems.append(a)
                continue
        word = m.group(1)
        up = word in ("above", "over", "greater than", "higher than", "more than", "exceeds", "exceed") or (
            word == "through" and "down" not in gap
        )
        crossing = any(w in _CROSS_WORDS for w in gap)
        op = ("crosses_above" if up else "crosses_below") if crossing else (">" if up else "<")
        used: list[str] = []
        r_val = state.get("last_level") if right.name == "ref" else _resolve(right, st, used)
        if left is None:
            if right.name == "number":
                last = state.get("last_oscillator")
                if last is None:
                    problems.append(a)
                    continue
                l_val: Any = _resolve(last, st, used)
            elif right.name in PRICE_LIKE:
                l_val = Indicator(indicator="close")
            elif right.name == "macd_signal":
                l_val = _resolve(_Operand(a, a, "macd"), st, used)
            else:
                problems.append(a)
                continue
        else:
            l_val = _resolve(left, st, used)
            if left.name in OSCILLATORS:
                state["last_oscillator"] = left
        if l_val is None or r_val is None or not isinstance(l_val, Indicator):
            problems.append(a)
            continue
        if isinstance(r_val, Indicator) and r_val.indicator in PRICE_LIKE:
            state["last_level"] = r_val
        if l_val.indicator == "volume" and isinstance(r_val, Indicator):
            problems.append(a)
            continue
        r_val = _breakout_level(l_val, op, r_val)
        cond = Condition(left=l_val, op=op, right=r_val)
        start = left.start if left is not None else a
        found.append(_Found(cond, start, right.end, used))
    for o in ops:
        if o.name in OSCILLATORS:
            state.setdefault("last_oscillator", o)
    return found, problems


_CAN_NEVER_BREAK = {
    ("donchian_high", ">"): "highest_high",
    ("donchian_high", "crosses_above"): "highest_high",
    ("donchian_low", "<"): "lowest_low",
    ("donchian_low", "crosses_below"): "lowest_low",
}


def _breakout_level(left: Indicator, op: str, right: Indicator | float | int) -> Indicator | float | int:
    """A close beyond the Donchian channel, as taught, is a close beyond the N bars before today.

    The channel includes the current bar, so no close can ever be above its upper line or below its lower
    one; a lesson that says so means a break of the prior N-bar high or low.
    """
    if not isinstance(right, Indicator) or left.indicator not in ("close", "open", "high", "low"):
        return right
    name = _CAN_NEVER_BREAK.get((right.indicator, op))
    return Indicator(indicator=name, params=dict(right.params)) if name else right


_SHORT_ONLY = re.compile(
    r"\b(?:short only|only (?:trade|take|go|play) (?:the )?(?:short|shorts|short side)|only short|"
    r"short side only|only sell short|this is a short (?:setup|trade|strategy|lesson|system|only))\b"
)
_LONG_ONLY = re.compile(
    r"\b(?:long only|long side only|only (?:trade|take|go|play) (?:the )?(?:long|longs|long side)|only buy|"
    r"only go long|(?:do not|don t|never|not|no|won t|will not) (?:short|shorting|sell short|go short)|"
    r"no shorts|only longs)\b"
)
_CUES: list[tuple[str, re.Pattern[str]]] = [
    # "If price is below that line, we do nothing": the condition under which no trade is taken.
    (
        "stay_out",
        re.compile(
            r"\b(?:(?:we|i|you) (?:do|just do) nothing|stay (?:out|flat|on the sidelines|in cash)|"
            r"stand aside|sit on (?:my|our|your) hands|no (?:new )?trades?(?: at all)?|"
            r"(?:we|i|you) (?:don t|do not|won t|will not) (?:trade|take (?:any|the|a) trades?)|"
            r"(?:there is|that s) no (?:trade|entry|setup))\b"
        ),
    ),
    ("exit", re.compile(r"\b(?:buy to cover|buy back|buy it back|cover|covers|covering)\b")),
    (
        "short",
        re.compile(
            r"\b(?:sell short|selling short|go short|going short"
            r"|get short|shorting|short entry|enter (?:a )?short|"
            r"open a short|initiate a short|(?:i|we|you) short|s"
            r"hort (?:it|the|this|here|there|when|at|once|if))\b"
        ),
    ),
    (
        "exit",
        re.compile(
            r"\b(?:sell|sells|selling|sold|exit|exits|exiting|get out|gets out|close (?:the|my|our) "
            r"(?:position|trade)|closing (?:the|my|our) (?:position|trade)|take (?:the |my |our )?profits?|"
            r"go to cash|out of the (?:trade|position)|(?:hold|h"
            r"olding|stay|staying|keep|remain)\b[a-z0-9 ]{0,40}?"
            r"\buntil)\b"
        ),
    ),
    (
        "long",
        re.compile(
            r"\b(?:buy|buys|buying|bought|go long|going long|ge"
            r"t long|enter|enters|entering|entry|entries|get in|"
            r"getting in|open a (?:long )?(?:position|trade)|take the trade|take a long|long entry)\b"
        ),
    ),
]
_NEGATION = re.compile(r"\b(?:not|never|no|don t|dont|won t|shouldn t)\s+(?:\w+\s+){0,1}$")
_OTHERS = re.compile(
    r"\b(?:some (?:people|traders|folks|of you)|other trade"
    r"rs|many traders|a lot of (?:people|traders)|others)\b"
)
_NOT_ME = re.compile(
    r"\b(?:but (?:i|we) (?:don t|do not|never|won t)(?: (?:"
    r"use|do|like|need|bother))?(?: it| that| them| this)?|"
    r"but not (?:me|us)|i don t|i do not)\b"
)
_NOT_USED = re.compile(
    r"\b(?:i|we) (?:don t|do not|never|won t|wouldn t) (?:u"
    r"se|need|bother with|care about|look at|like|recommend)"
    r"\b(?: (?!(?:i|we|when|if|but|and)\b)\w+){0,3}"
)


def _drop_distractors(s: str) -> str:
    """Blank out what other people do and what the teacher does not use: rules said there are not taught."""
    spans: list[tuple[int, int]] = []
    for m in _OTHERS.finditer(s):
        close = _NOT_ME.search(s, m.end(), m.end() + 160)
        spans.append((m.start(), close.end() if close else min(len(s), m.end() + 120)))
    spans += [m.span() for m in _NOT_USED.finditer(s)]
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    for a, b in reversed(merged):
        s = s[:a] + " | " + s[b:]
    return re.sub(r"\s+", " ", s).strip()


def _cues(s: str, short_only: bool) -> list[tuple[int, int, str, bool]]:
    """(start, end, role, negated) for every action word, in order; roles: long, short, exit, filter."""
    out: list[tuple[int, str, bool]] = []
    taken: list[tuple[int, int]] = []
    for kind, pat in _CUES:
        for m in pat.finditer(s):
            a, b = m.span()
            if any(a < y and b > x for x, y in taken):
                continue
            taken.append((a, b))
            role = kind
            if kind == "stay_out":
                # Staying out under a condition is an entry filter with that condition negated.
                out.append((a, b, "filter", True))
                continue
            negated = bool(_NEGATION.search(s[:a]))
            if short_only:
                word = m.group(0)
                if role == "exit" and re.match(r"sell|sold|selling", word):
                    role = "short"
                elif role == "long" and re.match(r"buy|bought", word):
                    role = "exit"
            out.append((a, b, role, negated))
    return sorted(out)


_WHEN = r"(?:when|whenever|if|once|as soon as|the moment|until)"
_FILTER_WORDS = re.compile(
    r"\b(?:must|has to|have to|needs to|need to|only (?:\w+ ){0,2}(?:when|if|while)|as long as|provided|filter|condition)\b"
)
# "Both conditions must be true": how many conditions the lesson says a part has.
_COUNT_SAID = re.compile(
    r"\b(both|all (?:\d+|of these|of them)|\d+)(?: of)?(?: these| the| those)? (?:conditions|rules|filters|criteria)\b"
)


def _said_count(word: str) -> int | None:
    if word == "both":
        return 2
    digits = re.search(r"\d+", word)
    return int(digits.group(0)) if digits else None


def _words(text: str) -> int:
    return len(text.split())


def _assign_roles(
    s: str, found: list[_Found], cues: list[tuple[int, int, str, bool]]
) -> list[tuple[str, bool, bool] | None]:
    """The (role, negated, guessed) of each comparison, from the action words around it.

    Spoken rules come as "we buy when X" or as "when X, we buy"; without punctuation a sentence may hold
    several of both, so the plain forms bind first and nearest-word distance only settles what is left.
    """
    bound: list[int | None] = [None] * len(found)
    # 1. "buy when X", "the entry is X", "hold until X": an action word right before the comparison.
    for i, f in enumerate(found):
        for k, (_, cend, _, _) in enumerate(cues):
            gap = s[cend : f.start]
            if cend <= f.start and (
                re.fullmatch(r"\s*(?:\w+\s+){0,6}?" + _WHEN + r"\s+(?:\w+\s+){0,1}", gap + " ")
                or re.fullmatch(r"\s*(?:is|are|needs|requires)?\s*(?:\w+\s+){0,1}", gap + " ")
            ):
                bound[i] = k
    # 2. "X and Y": a comparison joined by "and" shares the action word of the one before it.
    for i in range(1, len(found)):
        gap = s[found[i - 1].end : found[i].start]
        if (
            bound[i] is None
            and bound[i - 1] is not None
            and re.fullmatch(r"\s*(?:and|plus)(?: also)?\s*(?:\w+\s*){0,1}", gap)
        ):
            bound[i] = bound[i - 1]
    # 3. "when X, we buy": the first action word after a comparison that opened with "when".
    for i, f in enumerate(found):
        if bound[i] is not None or not re.search(r"\b" + _WHEN + r"\s+(?:\w+\s+){0,2}$", s[: f.start] + " "):
            continue
        nxt = next((k for k, c in enumerate(cues) if c[0] >= f.end), None)
        later = [g for g in found[i + 1 :] if g.start < (cues[nxt][0] if nxt is not None else 0)]
        if nxt is not None and not later and _words(s[f.end : cues[nxt][0]]) <= 10:
            bound[i] = nxt
    # 4. An action word left without a rule takes the comparison said right before it ("when Y we sell").
    for k, (cstart, _, role, _) in enumerate(cues):
        if k in bound or role == "filter":
            continue
        before = [i for i, f in enumerate(found) if f.end <= cstart]
        if before:
            i = before[-1]
            donor = bound[i]
            if donor is not None and bound.count(donor) > 1 and _words(s[found[i].end : cstart]) <= 10:
                bound[i] = k
    # 5. What is left goes to the nearest action word; a stay-out phrase only takes a rule said with it.
    actions = [k for k, c in enumerate(cues) if c[2] != "filter"]
    guessed = [False] * len(found)
    for i, f in enumerate(found):
        if bound[i] is None and actions:
            bound[i] = min(actions, key=lambda k: min(abs(cues[k][0] - f.start), abs(cues[k][0] - f.end)))
            guessed[i] = True
    return [None if k is None else (cues[k][2], cues[k][3], guessed[i]) for i, k in enumerate(bound)]


def _unread_rules(
    s: str, cues: list[tuple[int, int, str, bool]], found: list[_Found], ops: list[_Operand]
) -> list[int]:
    """Positions of "we sell when <indicator> ..." whose comparison was not heard."""
    out = []
    for a, b, role, _ in cues:
        when = re.match(r" (?:\w+ ){0,2}?" + _WHEN + r"\b", s[b:])
        if role == "filter" or when is None:
            continue
        window = b + 70
        if any(b + when.end() <= o.start < window and o.name != "number" for o in ops) and not any(
            b <= f.start < window for f in found
        ):
            out.append(a)
    return out


_TF = [
    (re.compile(r"\b(\d+) minute (?:chart|charts|candles|bars|timeframe|time frame)\b"), None),
    (re.compile(r"\b(?:4 hour|h4)\b"), "4h"),
    (re.compile(r"\b(?:hourly|1 hour (?:chart|candles|bars|timeframe)|60 minute|h1)\b"), "1h"),
    (re.compile(r"\b(?:daily|day chart|d1)\b"), "1d"),
    (re.compile(r"\bweekly\b"), "1w"),
    (re.compile(r"\bmonthly\b"), "1mo"),
]


def _timeframe(s: str) -> tuple[str, int] | None:
    best: tuple[int, str] | None = None
    for pat, value in _TF:
        if m := pat.search(s):
            tf = value or f"{m.group(1)}m"
            if best is None or m.start() < best[0]:
                best = (m.start(), tf)
    return (best[1], best[0]) if best else None


def _stops(s: str, st: _Settings) -> list[tuple[str, float, list[str], int, int]]:
    """(spec field, value, assumptions, start, end) for every stop or target said in the text."""
    out: list[tuple[str, float, list[str], int, int]] = []

    def negated(m: re.Match[str]) -> bool:
        return bool(_NEGATION_STOP.search(s[max(0, m.start() - 30) : m.end()]))

    trail = re.search(r"\btrail(?:ing|s)?\b(?: \w+){0,5}? " + NUM + r" percent", s) or re.search(
        NUM + r" percent trailing", s
    )
    if trail and not negated(trail):
        out.append(("trailing_stop_pct", float(trail.group(1)), [], *trail.span()))
    tp = re.search(
        r"\b(?:take profits?|profit target|target|take (?:my |the |our )?profits? at)\b(?: \w+){0,4}? "
        + NUM
        + r" percent",
        s,
    ) or re.search(NUM + r" percent (?:profit target|take profit|target|profit|gain)", s)
    if tp and not negated(tp):
        out.append(("take_profit_pct", float(tp.group(1)), [], *tp.span()))
    stop = None
    for m in re.finditer(r"\bstop(?:s)?(?: loss(?:es)?)?\b(?: \w+){0,5}? " + NUM + r" percent", s):
        if not re.search(r"\btrail\w*(?: \w+){0,2} $", s[: m.start()]) and not (
            trail and trail.start() <= m.start() < trail.end()
        ):
            stop = m
            break
    stop = stop or re.search(NUM + r" percent (?:stop|stop loss|below (?:my|the|our) entry)", s)
    if stop and not negated(stop):
        out.append(("stop_loss_pct", float(stop.group(1)), [], *stop.span()))
    atr = re.search(
        r"\bstop\b((?: \w+){0,6}?) " + NUM + r" (?:times |x )?(?:the |an )?atrs?\b", s
    )
    if atr and any(w not in _STOP_GAP for w in atr.group(1).split()):
        # "the stop to flying 5 times the atr": a multiple whose first words were not heard.
        atr = None
    if atr is None:
        atr = re.search("()" + NUM + r" (?:times |x )?(?:the )?atrs? (?:stop|below|away|from)\b", s)
        # "2 playing 5 times the atr" is one number heard in pieces, not a multiple of 5.
        if atr and re.search(r"\d\S* (?:\w+ )?$", s[: atr.start()]):
            atr = None
    if atr and not negated(atr):
        if re.search(r"\btrail", s[max(0, atr.start() - 60) : atr.end() + 30]):
            reason = "a trailing stop in ATR multiples cannot be expressed in the spec"
            out.append(("unsupported", 0.0, [reason], *atr.span()))
        else:
            note = (
                [f"stop_loss_atr uses a {st.atr}-bar ATR as said"]
                if st.atr
                else ["ATR length for the stop not said; the backtester's default ATR length applies"]
            )
            out.append(("stop_loss_atr", float(atr.group(2)), note, *atr.span()))
    read = {x[0] for x in out}
    for fields, said in _STOP_SAID:
        m = said.search(s)
        if m and not read & fields and not negated(m):
            out.append(("unreadable", 0.0, [], *m.span()))
            break
    return out


_STOP_GAP = {
    "loss", "is", "goes", "go", "at", "of", "put", "placed", "place", "sits", "the", "initial", "my", "our",
    "a", "an", "set", "to", "by", "about", "roughly", "away", "i", "we", "use", "using", "just", "below",
    "under", "entry", "price", "protective", "hard", "it", "comes", "in", "exactly",
}  # fmt: skip
# A stop or target that was said but whose size was not read: the spec must not go without it.
_STOP_SAID: list[tuple[set[str], re.Pattern[str]]] = [
    ({"stop_loss_atr", "unsupported"}, re.compile(r"\b(?:times|x) (?:the |an )?atrs?\b")),
    ({"stop_loss_pct", "trailing_stop_pct"}, re.compile(r"\b(?:stop|stop loss|trailing stop)\b(?: \w+){0,5}? percent\b")),
    ({"take_profit_pct"}, re.compile(r"\b(?:take profits?|profit target|target)\b(?: \w+){0,4}? percent\b")),
]


_NEGATION_STOP = re.compile(r"\b(?:no|never use a|don t use a|do not use a|without a) stop")


# ---------------------------------------------------------------- public API


def transcript_from_text(text: str, words_per_second: float = 2.5) -> Transcript:
    """A transcript of a written script: one segment per sentence or line, word times spread evenly."""
    if words_per_second <= 0:
        raise ValueError("words_per_second must be positive; pass a speaking rate such as 2.5.")
    pieces = [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n+", text) if p.strip()]
    step = 1.0 / words_per_second
    t = 0.0
    segments: list[Segment] = []
    for i, piece in enumerate(pieces):
        words = []
        for w in piece.split():
            words.append(Word(text=w, start=round(t, 3), end=round(t + step * 0.9, 3)))
            t += step
        segments.append(Segment(id=i, start=words[0].start, end=words[-1].end, text=piece, words=words))
    return Transcript(segments=segments, engine="text", duration_s=round(t, 3), reason="written script")


def _unsupported_terms(s: str) -> list[tuple[str, int]]:
    """(reason, position) for every lexicon term in the text whose rules cannot be backtested."""
    from reelquant.text.keywords import match_terms  # keeps spaCy out of plain imports

    return [(term.unsupported, a) for term, a, _ in match_terms(s) if term.unsupported]


_NUMBER_WORD = re.compile(
    r"(?:\d+(?:\.\d+)?|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|point|half)",
    re.IGNORECASE,
)
UNCLEAR_NUMBER_CONFIDENCE = 0.05


def _heard(w: Word) -> str:
    """The word as read for rules: a number the recognizer itself barely believed is not taken as said."""
    text = w.text.strip()
    if w.confidence is not None and w.confidence < UNCLEAR_NUMBER_CONFIDENCE and _NUMBER_WORD.fullmatch(text):
        return "unclear"
    return text


@dataclass
class _Unit:
    """A stretch of speech read as one sentence: its words with times and segment ids."""

    words: list[tuple[str, float, float, int]]

    @property
    def text(self) -> str:
        return " ".join(w[0] for w in self.words)


def _units(transcript: Transcript) -> list[_Unit]:
    """Sentences rebuilt across segment borders; unpunctuated speech is read as one stretch.

    Engines cut segments wherever they like, often mid-sentence, so rules are read from sentences
    (by their final punctuation) rather than from segments.
    """
    words: list[tuple[str, float, float, int]] = []
    for seg in transcript.segments:
        if not seg.text.strip():
            continue
        if seg.words:
            words += [
                (_heard(w), float(w.start), float(w.end), int(seg.id)) for w in seg.words if w.text.strip()
            ]
            continue
        toks = seg.text.split()
        step = (float(seg.end) - float(seg.start)) / max(len(toks), 1)
        words += [
            (t, float(seg.start) + i * step, float(seg.start) + (i + 1) * step, int(seg.id))
            for i, t in enumerate(toks)
        ]
    units: list[_Unit] = []
    current: list[tuple[str, float, float, int]] = []
    for w in words:
        current.append(w)
        if re.search(r"[.!?][\"')\]]*$", w[0]) and not re.fullmatch(r"(?:[a-zA-Z]\.)+", w[0]):
            units.append(_Unit(current))
            current = []
    if current:
        units.append(_Unit(current))
    return units


_LOCAL_CHARS = 90  # how far apart (in characters) an action word and a rule may be in unpunctuated speech
_SHORT_UNIT = 40  # words; a unit this short is quoted whole


def extract_concepts(transcript: Transcript) -> list[dict[str, Any]]:
    """Candidate rules: kind, Condition or number, the words said, and where (seconds, segment)."""
    units = _units(transcript)
    canon = [canonical_text(u.text) for u in units]
    st = _read_settings(canon)
    full = " . ".join(canon)
    short_only = bool(_SHORT_ONLY.search(full))
    long_only = bool(_LONG_ONLY.search(full))
    concepts: list[dict[str, Any]] = []
    state: dict[str, Any] = {}
    pending_role: tuple[str, bool] | None = None
    said_unsupported: set[str] = set()

    def quote(u: _Unit, s: str, a: int = 0, b: int | None = None) -> dict[str, Any]:
        """Text, times and segment of the words around characters a..b of the unit's canonical text."""
        n = len(u.words)
        if n <= _SHORT_UNIT or b is None:
            i0, i1 = 0, n - 1
        else:
            length = max(len(s), 1)
            i0 = max(0, int(a / length * n) - 6)
            i1 = min(n - 1, int(b / length * n) + 6)
        ws = u.words[i0 : i1 + 1]
        return {
            "text": " ".join(w[0] for w in ws),
            "start_s": ws[0][1],
            "end_s": ws[-1][2],
            "segment_id": ws[0][3],
        }

    def near(u: _Unit, x: int, y: int) -> bool:
        return len(u.words) <= _SHORT_UNIT or abs(x - y) <= _LOCAL_CHARS

    if short_only or long_only:
        pat = _SHORT_ONLY if short_only else _LONG_ONLY
        for u, s in zip(units, canon, strict=True):
            if m := pat.search(s):
                value = "short" if short_only else "long"
                concepts.append({"kind": "direction", "value": value, **quote(u, s, *m.span())})
                break
    for u, s in zip(units, canon, strict=True):
        if (tf := _timeframe(s)) is not None and not any(c["kind"] == "timeframe" for c in concepts):
            concepts.append({"kind": "timeframe", "value": tf[0], **quote(u, s, tf[1], tf[1] + 10)})
        s = _drop_distractors(s)
        ops = _find_operands(s)
        found, problems = _comparisons(s, ops, st, state)
        cues = [c for c in _cues(s, short_only) if not (long_only and c[2] == "short")]
        stops = _stops(s, st)
        for fld, value, notes, a, b in stops:
            if fld == "unsupported":
                concepts.append(
                    {"kind": "unsupported", "reason": notes[0], "blocking": False, **quote(u, s, a, b)}
                )
            elif fld == "unreadable":
                q = quote(u, s, a, b)
                reason = f'a stop or target was said but its size could not be read: "{q["text"]}"'
                concepts.append({"kind": "unsupported", "reason": reason, "blocking": True, **q})
            else:
                kind = "take_profit" if fld == "take_profit_pct" else "stop"
                concepts.append(
                    {"kind": kind, "field": fld, "value": value, "assumptions": notes, **quote(u, s, a, b)}
                )
        for reason, pos in _unsupported_terms(s):
            if reason in said_unsupported or not any(near(u, pos, c[0]) for c in cues):
                continue
            said_unsupported.add(reason)
            q = quote(u, s, pos, pos + 20)
            concepts.append(
                {"kind": "unsupported", "reason": f'{reason} ("{q["text"]}")', "blocking": True, **q}
            )
        for pos in problems:
            if not any(near(u, pos, c[0]) for c in cues):
                continue
            if any(f.start <= pos < f.end for f in found) or any(x[3] <= pos < x[4] for x in stops):
                continue
            q = quote(u, s, pos - 40, pos + 40)
            reason = f'a rule could not be read exactly: "{q["text"]}"'
            concepts.append({"kind": "unsupported", "blocking": True, "reason": reason, **q})
            break
        joins = []
        for i, f in enumerate(found):
            gap = s[found[i - 1].end : f.start] if i else ""
            joins.append(
                (bool(re.search(r"\b(?:either|or)\b", gap)), bool(re.search(r"\bboth\b", s[f.end :])))
            )
        roles = _assign_roles(s, found, cues)
        for pos in _unread_rules(s, cues, found, ops):
            q = quote(u, s, pos, pos + 60)
            reason = f'a rule could not be read exactly: "{q["text"]}"'
            concepts.append({"kind": "unsupported", "blocking": True, "reason": reason, **q})
            break
        for f, (either, both), guess in zip(found, joins, roles, strict=True):
            binding = guess[:2] if guess is not None else None
            if guess is not None and guess[2] and guess[0] == "exit" and _FILTER_WORDS.search(
                s[max(0, f.start - 30) : f.end]
            ):
                # "the rsi must drop below 10 sell when ...": a filter or an exit? Not a guess to act on.
                q = quote(u, s, f.start, f.end)
                reason = f'could not tell whether this is an entry or an exit condition: "{q["text"]}"'
                concepts.append({"kind": "unsupported", "blocking": True, "reason": reason, **q})
                continue
            if binding is None and pending_role is not None:
                binding = pending_role
            if binding is None and _FILTER_WORDS.search(s[max(0, f.start - 30) : f.end]):
                # "The close must be above the 200-day average": a condition every entry needs.
                binding = ("filter", False)
            if binding is None:
                continue
            role, negated = binding
            cond = f.cond
            cue = min(cues, key=lambda c: min(abs(c[0] - f.start), abs(c[0] - f.end)), default=None)
            lo, hi = (min(f.start, cue[0]), max(f.end, cue[1])) if cue else (f.start, f.end)
            q = quote(u, s, lo, hi)
            if negated:
                flipped = {">": "<=", "<": ">=", ">=": "<", "<=": ">"}.get(cond.op)
                if flipped is None or role == "exit":
                    reason = f'a negated rule could not be read exactly: "{q["text"]}"'
                    concepts.append({"kind": "unsupported", "blocking": True, "reason": reason, **q})
                    continue
                cond = Condition(left=cond.left, op=flipped, right=cond.right)
            kind = "exit" if role == "exit" else "entry"
            concepts.append(
                {
                    "kind": kind,
                    "condition": cond.model_dump(mode="json"),
                    "side": None if kind == "exit" or role == "filter" else role,
                    "negated": negated,
                    "join": ("any" if either else "all") if kind == "entry" else ("all" if both else "any"),
                    "assumptions": f.assumptions,
                    **q,
                }
            )
        # A sentence like "Here is the entry:" gives its role to the rule said right after it.
        pending_role = None
        if cues and not found and cues[-1][2] != "filter":
            _, _, role, negated = cues[-1]
            pending_role = (role, negated)
        if (m := _COUNT_SAID.search(s)) and (n := _said_count(m.group(1))):
            part = "exit" if any(c[2] == "exit" for c in cues) and not any(
                c[2] in ("long", "short", "filter") for c in cues
            ) else "entry"
            concepts.append({"kind": "count", "part": part, "value": n, **quote(u, s, *m.span())})
    return concepts


def _fmt(ind: Indicator | float | int) -> str:
    if not isinstance(ind, Indicator):
        return f"{ind:g}"
    vals = ",".join(f"{v:g}" for v in ind.params.values())
    return f"{ind.indicator.upper()}({vals})" if vals else ind.indicator


def _same_side(a: Condition, b: Condition) -> bool:
    """Whether two conditions say the same thing up to a strict or non-strict comparison."""
    sides = {">": "above", ">=": "above", "<": "below", "<=": "below"}
    return a.key()[0] == b.key()[0] and a.key()[2] == b.key()[2] and sides.get(a.op, a.op) == sides.get(b.op, b.op)


def build_spec(concepts: list[dict[str, Any]]) -> StrategySpec:
    """Assemble a StrategySpec from candidate rules; not testable, with reasons, when the rules fall short."""
    provenance: list[Provenance] = []
    assumptions: list[str] = []
    unsupported: list[str] = []
    blocking: list[str] = []

    def note(texts: list[str]) -> None:
        for t in texts:
            if t not in assumptions:
                assumptions.append(t)

    def prov(part: str, c: dict[str, Any]) -> None:
        provenance.append(Provenance(part=part, start_s=c["start_s"], end_s=c["end_s"], text=c["text"]))

    entries: list[tuple[Condition, dict[str, Any]]] = []
    exits: list[tuple[Condition, dict[str, Any]]] = []
    for c in concepts:
        if c["kind"] in ("entry", "exit"):
            cond = Condition.model_validate(c["condition"])
            target = entries if c["kind"] == "entry" else exits
            same = next((i for i, (k, _) in enumerate(target) if _same_side(k, cond)), None)
            if same is None:
                target.append((cond, c))
            elif target[same][1].get("negated") and not c.get("negated"):
                # "must be above" and "if below, do nothing" are one filter; the positive wording wins.
                target[same] = (cond, c)
        elif c["kind"] == "unsupported":
            if c["reason"] not in unsupported:
                unsupported.append(c["reason"])
            if c.get("blocking"):
                blocking.append(c["reason"])
    sides = {c.get("side") for _, c in entries}
    said = next((c for c in concepts if c["kind"] == "direction"), None)
    if said is not None:
        direction = said["value"]
        prov("direction", said)
    elif sides == {"short"}:
        direction = "short"
    elif sides == {"long", "short"}:
        direction = "long_short"
        blocking.append("the lesson teaches different long and short rules; one spec holds one rule set")
        unsupported.append(blocking[-1])
    else:
        direction = "long"
        if entries:
            note(["direction not said; long assumed"])
    entries = [(k, c) for k, c in entries if direction == "long_short" or c.get("side") in (None, direction)]
    stops: dict[str, float] = {}
    for c in concepts:
        if c["kind"] in ("stop", "take_profit") and c["field"] not in stops:
            stops[c["field"]] = c["value"]
            note(c.get("assumptions", []))
            prov(c["field"], c)
    tf = next((c for c in concepts if c["kind"] == "timeframe"), None)
    if tf is not None:
        timeframe = tf["value"]
        prov("timeframe", tf)
    else:
        timeframe = "1d"
    for i, (_, c) in enumerate(entries):
        note(c.get("assumptions", []))
        prov(f"entry[{i}]", c)
    for i, (_, c) in enumerate(exits):
        note(c.get("assumptions", []))
        prov(f"exit[{i}]", c)
    if tf is None and entries:
        note(["timeframe not said; daily bars assumed"])
    entry_mode = "any" if any(c["join"] == "any" for _, c in entries) and len(entries) > 1 else "all"
    exit_mode = "all" if any(c["join"] == "all" for _, c in exits) and len(exits) > 1 else "any"
    reasons = list(blocking)
    for c in concepts:
        if c["kind"] != "count":
            continue
        read = len(entries if c["part"] == "entry" else exits)
        if read < c["value"]:
            reasons.append(
                f'the lesson says {c["value"]} {c["part"]} conditions ("{c["text"]}") but only {read} '
                "could be read"
            )
    if not entries and not blocking:
        reasons.append("no entry or exit rule is taught" if not exits else "no entry rule could be read")
    elif entries and not exits and not stops and not blocking:
        reasons.append("an entry rule is taught but no exit, stop or target")
    name = " and ".join(f"{_fmt(k.left)} {k.op} {_fmt(k.right)}" for k, _ in entries)
    if reasons:
        for r in reasons:
            if r not in unsupported:
                unsupported.append(r)
        confidence = 0.6 if blocking else 0.8
        return StrategySpec.untestable(
            unsupported,
            name=name or "no testable strategy",
            direction=direction,
            timeframe=timeframe,
            assumptions=assumptions,
            provenance=provenance,
            confidence=confidence,
        )
    confidence = 0.95 - 0.05 * len(assumptions) - (0.15 if not exits else 0.0) - 0.05 * len(unsupported)
    return StrategySpec(
        testable=True,
        name=f"{direction}: {name}",
        direction=direction,
        timeframe=timeframe,
        entry=ConditionSet.of(entry_mode, [k for k, _ in entries]),
        exit=ConditionSet.of(exit_mode, [k for k, _ in exits]),
        stop_loss_pct=stops.get("stop_loss_pct"),
        take_profit_pct=stops.get("take_profit_pct"),
        trailing_stop_pct=stops.get("trailing_stop_pct"),
        stop_loss_atr=stops.get("stop_loss_atr"),
        unsupported=unsupported,
        assumptions=assumptions,
        provenance=provenance,
        confidence=round(min(max(confidence, 0.2), 0.95), 3),
    )


def extract_spec(transcript: Transcript) -> StrategySpec:
    """The StrategySpec a careful reader would write down from this transcript."""
    return build_spec(extract_concepts(transcript))

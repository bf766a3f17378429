"""Stage 3: comparison frames ("X crosses above Y", "X below 30 for two bars") and action frames
("we buy", "you're out", "cover") in one clause, plus the markers that change how a clause counts
(negation, hedge, optional filter, correction, recap, setup number, long/short only, mirror, always in).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reelquant.text.rules import vocab
from reelquant.text.rules.normalize import HEADING_OBJECT, Clause
from reelquant.text.rules.operands import Mention


@dataclass
class Comparison:
    """`left op right` as said; operands are still mentions (references resolved later)."""

    left: Mention
    op: str
    right: Mention
    for_bars: int = 1
    at: int = 0  # token index of the comparison word
    start: int = 0
    end: int = 0


@dataclass
class Action:
    """A trading action word: `part` is "long.entry", "long.exit", "short.entry", "short.exit" or "exit"."""

    part: str
    at: int
    end: int
    negated: bool = False


@dataclass
class ClauseMarks:
    """What a clause says about how to read it and the lesson."""

    negated: bool = False
    hedge: bool = False
    optional: bool = False
    recap: bool = False
    setup: int | None = None
    setup_name: tuple[str, ...] = ()
    long_only: bool = False
    short_only: bool = False
    mirror: bool = False
    always_in: bool = False
    modal: bool = False
    side_context: str | None = None
    story: bool = False
    definition: bool = False
    question: bool = False
    stay_out: bool = False
    settings: bool = False
    notes: list[str] = field(default_factory=list)


_SUBJECTS = frozenset(
    ["i", "we", "you", "i'll", "we'll", "you'll", "then", "and", "just", "to", "i'd", "we'd"]
)
# "a short", "the short side", "if I'm short": the word names a position, not the act of shorting
_NOT_A_SHORT = frozenset(
    [
        "a",
        "the",
        "for",
        "my",
        "your",
        "our",
        "this",
        "that",
        "being",
        "am",
        "i'm",
        "you're",
        "we're",
        "are",
        "is",
        "was",
        "were",
        "any",
        "no",
        "of",
        "on",
        "in",
        "stay",
        "go",
        "sell",
    ]
)
_SIDE_WORDS = frozenset(
    ["short", "shorts", "shorting", "both", "downside", "sides", "directions", "ways", "bearish"]
)
_HEADER_NEXT = frozenset(
    ["is", ":", "comes", "rule", "rules", "needs", "requires", "conditions", "condition"]
)
_OTHERS = frozenset(
    [
        "they",
        "people",
        "beginners",
        "traders",
        "others",
        "everyone",
        "everybody",
        "most",
        "he",
        "she",
        "amateurs",
        "folks",
        "newbies",
        "retail",
        "funds",
        "institutions",
    ]
)
_BE = frozenset(
    [
        "you're",
        "i'm",
        "we're",
        "be",
        "are",
        "am",
        "get",
        "you",
        "i",
        "we",
        "is",
        "was",
        "go",
        "step",
        "take",
        "getting",
        "gets",
    ]
)


def find_actions(clause: Clause) -> list[Action]:
    """Action words in a clause (negation noted, not removed)."""
    w = clause.words
    out: list[Action] = []
    n = len(w)
    consumed: set[int] = set()  # words read with an action before them ("close a long": the side closed)
    for i, word in enumerate(w):
        nxt = w[i + 1] if i + 1 < n else ""
        prev = w[i - 1] if i > 0 else ""
        part = None
        end = i + 1
        if i in consumed:
            continue
        closed = _closed_side(w, i)
        if closed is not None:
            # "close a long when ...", "close the short when ...": that side's exit, said as an order
            side, at = closed
            out.append(Action(f"{side}.exit", i, at + 1, False))
            consumed.add(at)
            continue
        if word in ("stay", "stays", "hold", "holds", "keep", "remain") and "until" in w[i + 1 : i + 5]:
            # "I stay long until the +DI crosses back below the -DI": the exit of that side
            until = w.index("until", i + 1)
            side = "long" if "long" in w[i:until] else "short" if "short" in w[i:until] else ""
            out.append(Action(f"{side}.exit" if side else "exit", i, until, False))
            continue
        if word in ("buyer", "seller") and prev in ("a", "net"):
            part = "long.entry" if word == "buyer" else "long.exit"  # "I'm a buyer"
        elif word in ("buy", "buys") and "back" in w[i + 1 : i + 3]:
            part = "short.exit"  # "I buy back the short", "I buy it back"
        elif word in ("buy", "buys") or (
            word == "long"
            and (prev in ("go", "get", "goes", "going", "enter") or n <= 3)
            and prev not in ("my", "your", "our", "the", "a", "his", "her", "their")  # "I sell my long": a position
        ):
            part = "long.entry"
        elif (
            word == "in"
            and prev in ("you're", "i'm", "we're", "get", "getting")
            and nxt not in vocab.BAR_UNITS
        ):
            part = "long.entry" if not _short_context(w) else "short.entry"
        elif word in ("sell", "sells") and nxt == "short":
            part, end = "short.entry", i + 2
        elif word == "short" and prev == "sell":
            continue  # read with the word before
        elif word == "short" and (prev in _DEGREE or _starts_name(w, i + 1)):
            continue  # "a very short RSI", "the short EMA": a length, not a trade
        elif word == "short" and prev in ("go", "goes", "going", "get", "gets"):
            part = "short.entry"
        elif (
            word in ("short", "long")
            and prev in ("i'm", "we're", "you're")
            and not any(x in vocab.CONDITIONAL for x in w[max(0, i - 3) : i])
        ):
            part = f"{word}.entry"  # "..., I'm short on the next bar" (but "if I'm short, ..." is a side)
        elif (
            word in ("short", "shorting")
            and prev not in _NOT_A_SHORT
            and not (prev.endswith("ed") and prev != "need")
        ):
            if nxt in (
                "side",
                "only",
                "position",
                "positions",
                "trades",
                "setup",
                "signals",
                "term",
                "-",
                "terms",
                "squeeze",
                "interest",
                "time",
                "while",
                "window",
                "of",
                "run",
                "version",
                "exit",
                "exits",
                "entry",
                "entries",
                "stop",
                "target",
            ):
                continue  # "the short exit", "short entry": which side, not a trade
            part = "short.entry"
        elif word in ("sell", "sells", "selling") and prev not in ("the", "a", "for", "this", "that"):
            part = "long.exit"
        elif word in ("cover", "covers"):
            part = "short.exit"
        elif (word in ("come", "comes") and nxt == "off") or (
            word in ("take", "takes")
            and "off" in w[i + 1 : i + 4]
            and not {"profit", "profits", "some", "half", "part"} & set(w[i + 1 : i + 4])
        ):
            # "a long comes off when ...", "I take it off when ...", "take the short off": the exit of that side
            said = w[max(0, i - 3) : w.index("off", i + 1)]
            side = "long" if "long" in said else "short" if "short" in said else ""
            part, end = (f"{side}.exit" if side else "exit"), w.index("off", i + 1) + 1
        elif word in ("flatten", "flattens") or (word == "flat" and prev in _BE):
            part = "exit"  # "I flatten when ...", "go flat when ..."
        elif word in ("exit", "exits") and (
            prev not in ("the", "an", "our", "my", "your", "that's")
            or nxt in _HEADER_NEXT
            or i == n - 1
            or "when" in w[i + 1 : i + 6]
        ):
            part = f"{prev}.exit" if prev in ("long", "short") else "exit"  # "long exit:" says its side
        elif (
            word == "entry"
            and (nxt in _HEADER_NEXT or i == n - 1)
            and prev in ("the", "our", "my", "long", "so", "short", "an", "own")
        ):
            # "the entry needs both: ...", "here is the entry.", "long entry." announce the entry's conditions
            part = "short.entry" if prev == "short" else "long.entry"
        elif word == "out" and (prev in _BE or (i == 0 and nxt in vocab.CONDITIONAL and nxt != "as")):
            part = "exit"  # "I'm out", and "Out when ..." said as a heading of its own
        elif (
            word in ("closed", "closes")
            and prev in ("is", "are", "gets", "get", "be")
            and nxt not in vocab.ABOVE | vocab.BELOW
        ):
            part = "exit"  # "a long is closed when ..."
        elif (
            word == "close"
            and prev in _SUBJECTS
            and nxt in ("it", "the", "my", "your", "out", "anyway", "everything", "", "them", "position", "i")
        ):
            part = "exit"
        if part is None:
            continue
        # "I don't short", "do not buy", "never buy" (but "we do nothing, we buy" is not negated)
        lo = i
        while (
            lo > max(0, i - 4) and w[lo - 1] not in vocab.PRONOUN_SUBJECTS and w[lo - 1] not in (",", "and")
        ):
            lo -= 1
        if lo > 0 and w[lo - 1] in vocab.PRONOUN_SUBJECTS and lo == i:
            lo = i  # "... nothing we buy": the subject starts a new stretch
        # "beginners buy the first dip": someone else's habit, not the lesson's rule
        neg = any(x in vocab.NEGATIONS for x in w[lo:i]) or prev in _OTHERS
        out.append(Action(part, i, end, neg))
    return out


# Words that grade an adjective: "a very short RSI" is about a length.
_DEGREE = frozenset(["very", "too", "so", "quite", "really", "pretty", "fairly", "rather", "super", "extra"])


def _starts_name(words: list[str], k: int) -> bool:
    """Whether an indicator's name starts at `k` ("short RSI", "short moving average")."""
    table = vocab.phrases()
    return any(tuple(words[k : k + n]) in table for n in range(1, vocab.max_phrase_len() + 1))


def _closed_side(words: list[str], i: int) -> tuple[str, int] | None:
    """"close a long", "close the short", "close longs" opening a clause or a part of it: the side the order
    closes and where its name is; None for any other "close" ("the close is above", "close above the band")."""
    if words[i] != "close" or not (i == 0 or words[i - 1] in (",", "and", "then", "so", ":")):
        return None
    at = i + 1
    if at < len(words) and words[at] in ("a", "the", "my", "your", "our", "any", "all", "that"):
        at += 1
    if at < len(words) and words[at] in ("long", "longs", "short", "shorts"):
        return words[at].rstrip("s"), at
    return None


def _short_context(words: list[str]) -> bool:
    """Whether "you're in" enters a short: a "short" said in the clause, not one said no to ("when the 9 crosses
    above the 21 you're in, long, I don't short this")."""
    shorts = [i for i, x in enumerate(words)
              if x == "short" and not any(vocab.negates(words, j) for j in range(max(0, i - 2), i))]
    return bool(shorts) and ("sell" not in words or shorts[-1] > words.index("sell"))


_RECAP = (
    ("recap",),
    ("to", "summarize"),
    ("summary",),
    ("to", "sum", "up"),
    ("whole", "setup"),
    ("whole", "thing"),
    ("one", "more", "time"),
    ("let's", "review"),
    ("so", "that's", "it"),  # "So, that's it: daily bars, price above ...": what follows sums up
)
_OPTIONAL = (
    ("optional",),
    ("optionally",),
    ("if", "you", "want"),
    ("some", "people"),
    ("some", "of", "you"),
    ("some", "fellas"),
    ("some", "traders"),
    ("you", "can", "try"),
    ("you", "could"),
    ("up", "to", "you"),
    ("if", "that", "makes"),
    ("people", "will", "tell"),
    ("others", "use"),
)
_SAME_RULES = (("same", "rules"), ("same", "rule"), ("same", "setup"))
_MIRROR = (
    ("mirror",),
    ("mirrored",),
    ("flipped",),
    ("flip", "it"),
    ("opposite",),
    ("in", "reverse"),
    ("vice", "versa"),
    ("other", "way", "around"),
    ("both", "directions"),
    ("both", "ways"),
    ("both", "sides"),
)
_ALWAYS_IN = (
    ("always", "in"),
    ("always", "inside"),
    ("stop", "and", "reverse"),
    ("stop", "-", "and", "-", "reverse"),
    ("always", "in", "the", "market"),
    ("reverse", "the", "position"),
    ("flip", "to", "short"),
    ("flip", "short"),
)
_LONG_ONLY = (
    ("long", "only"),
    ("only", "long", "trades"),
    ("only", "long", "positions"),
    ("long", "side", "only"),
    ("only", "trade", "the", "long"),
    ("only", "the", "long"),
    ("long", "trades", "only"),
    ("no", "shorting"),
    ("not", "shorting"),
    ("don't", "short"),
    ("never", "short"),
    ("i", "only", "buy"),
    ("long", "side", "only"),
    ("only", "go", "long"),
    ("don't", "go", "short"),
    ("do", "not", "short"),
)
_SHORT_ONLY = (
    ("short", "only"),
    ("only", "short"),
    ("don't", "trade", "the", "long"),
    ("no", "long", "trades"),
    ("not", "trade", "the", "long"),
    ("shorts", "only"),
)
# "If price is below the 200-day, we do nothing": the entry waits for the opposite
_STAY_OUT = (
    ("do", "nothing"),
    ("stay", "out"),
    ("stay", "away"),
    ("stand", "aside"),
    ("sit", "out"),
    ("don't", "touch"),
    ("don't", "take", "the"),
    ("no", "trade"),
    ("don't", "enter"),
    ("not", "enter"),
    ("don't", "trade"),
    ("do", "not", "trade"),
    ("stay", "flat"),
    ("stay", "in", "cash"),
    ("i", "pass"),
    ("we", "pass"),
    ("i", "skip", "it"),
    ("we", "skip", "it"),
    ("no", "entry"),
    ("not", "buying"),  # "if it's below the 200 | I'm not buying anything"
)


def stay_out_at(words: list[str]) -> int | None:
    """Where a clause says to stay out ("we do nothing"), or None."""
    text = " " + " ".join(words) + " "
    hits = [text.index(" " + " ".join(p) + " ") for p in _STAY_OUT if " " + " ".join(p) + " " in text]
    return text[: min(hits)].count(" ") if hits else None


_MODAL = (
    ("has", "to"),
    ("have", "to"),
    ("must",),
    ("need",),
    ("needs",),
    ("should",),
    ("only",),
    ("required",),
    ("want",),
    ("wait", "for"),
    ("filter",),
    ("rule",),
    ("condition",),
)
# A chart story is told with dates ("here's Home Depot in August"); rules are not.
_CALENDAR = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
    ]
)
_SIDE_BEFORE = frozenset(
    [
        "for",
        "a",
        "the",
        "am",
        "i'm",
        "you're",
        "we're",
        "are",
        "your",
        "my",
        "on",
        "is",
        "being",
        "exit",
        "cover",
        "in",
    ]
)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "one": 1, "two": 2, "three": 3, "four": 4}
_SETUP_WORDS = frozenset(["setup", "system", "strategy", "trade", "play"])
_STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "is",
        "what",
        "i",
        "call",
        "we",
        "this",
        "that",
        "it",
        "it's",
        "which",
        "one",
        "called",
        "my",
        "our",
        ",",
        "-",
        ":",
    ]
)


def _has(words: list[str], pats: tuple[tuple[str, ...], ...]) -> bool:
    text = " " + " ".join(words) + " "
    return any(" " + " ".join(pat) + " " in text for pat in pats)


_EASE = frozenset(["simpler", "easier", "clearer", "shorter", "quicker"])


_STORY_WORDS = frozenset(
    [
        "dipped",
        "bought",
        "sold",
        "noticed",
        "had",
        "later",
        "suppose",
        "example",
        "dollars",
        "dollar",
        "cents",
    ]
)


def story_cues(words: list[str]) -> list[int]:
    """Where a clause tells a story rather than a rule: a date, a past trade, prices in dollars."""
    return [i for i, x in enumerate(words) if x in _CALENDAR or x in _STORY_WORDS]


def hedge_cues(words: list[str]) -> list[int]:
    """Where a clause hedges ("below five is even better", "ideally"); "even simpler" says how easy it is."""
    return [
        i
        for i, x in enumerate(words)
        if (x == "even" and i + 1 < len(words) and words[i + 1].endswith("er") and words[i + 1] not in _EASE)
        or x == "ideally"
        or (x == "better" and words[i + 1 : i + 2] == ["still"])
        or (x == "even" and words[i + 1 : i + 2] == ["more"])
    ]


def clause_marks(clause: Clause, named: set[int] | None = None) -> ClauseMarks:
    """How to read a clause. Tokens in `named` belong to indicator names ("Parabolic Stop and Reverse")
    and do not count as the words that mark a way of trading."""
    w = clause.words
    masked = [x if i not in (named or set()) else "_" for i, x in enumerate(w)]
    m = ClauseMarks()
    m.negated = any(vocab.negates(w, i) for i in range(len(w)))
    # "below five is even better" (a stricter threshold); "the exit is even simpler" says how easy it is
    m.hedge = bool(hedge_cues(w))
    m.optional = _has(w, _OPTIONAL)
    m.recap = _has(w, _RECAP)
    # "the short side is the mirror image" (not "the exit is the mirror image of the entry")
    # "same rules, just flipped" and "it works the other way too" turn the whole setup around without naming
    # a side
    m.mirror = (_has(masked, _MIRROR) and (any(x in _SIDE_WORDS for x in w) or _has(w, _SAME_RULES))) or _has(
        w, (("works", "the", "other", "way"),))
    m.always_in = _has(masked, _ALWAYS_IN)
    m.long_only = _has(w, _LONG_ONLY)
    m.short_only = _has(w, _SHORT_ONLY)
    m.modal = _has(w, _MODAL)
    m.stay_out = stay_out_at(w) is not None

    # "if I am long", "for long trades", "a long is closed": which side the clause talks about
    # "for longs", "if I am long", and "the short exit", "long entry" (a side said before a part)
    def said_as_side(i: int) -> bool:
        return i == 0 or w[i - 1] in _SIDE_BEFORE or w[i + 1 : i + 2] in (["exit"], ["entry"], ["exits"])

    sides = {x for i, x in enumerate(w) if x in ("long", "longs") and said_as_side(i) or x == "longs"}
    shorts = {x for i, x in enumerate(w) if x in ("short", "shorts") and said_as_side(i) or x == "shorts"}
    if sides and not shorts:
        m.side_context = "long"
    elif shorts and not sides:
        m.side_context = "short"
    elif sides and shorts:
        m.side_context = "both"
    # "above 80 is overbought" says what a zone is; "it was above -20, so the bounce got overbought" is a rule
    # that an explanation follows
    m.definition = any(x in ("overbought", "oversold") for x in w[: explained_from(w)])
    # "used to" tells a habit given up
    m.story = _has(w, (("used", "to"),)) or bool(story_cues(w))
    # reported questions ("Mike asks whether ...", "you said three last month") are not the teacher's rules
    m.question = _has(
        w,
        (
            ("asked",),
            ("asks",),
            ("whether",),
            ("question",),
            ("ask", "me"),
            ("you", "said"),
            ("called",),
            ("she", "says"),
            ("he", "says"),
        ),
    )
    m.settings = _has(w, (("standard", "deviations"), ("standard", "deviation")))
    # "setup number two", "setup 2", "the second setup", "the first one is"
    head = w[:4]
    for i, x in enumerate(head):
        num = None
        if x in _SETUP_WORDS:
            k = i + 1
            if k < len(w) and w[k] in ("number", "#", "no"):
                k += 1
            if k < len(w):
                num = _ORDINALS.get(w[k]) or (int(float(w[k])) if _is_int(w[k]) else None)
                if num is not None and vocab.counts_things(w, k):
                    num = None  # "that's the whole setup two closes under the band": a count
                if num is not None:
                    m.setup = num
                    m.setup_name = _name_after(w, k + 1)
                    break
        if (
            x in ("first", "second", "third", "fourth")
            and i + 1 < len(w)
            and (w[i + 1] in _SETUP_WORDS or (w[i + 1] == "one" and "is" in w[i + 2 : i + 3]))
        ):
            m.setup = _ORDINALS[x]
            m.setup_name = _name_after(w, i + 2)
            break
    # "let's talk about rules setup number one": a heading that ends the clause (a pause after it), said after
    # a lead-in rather than first; not one talked about ("exit for setup 1", "the rules of setup 2")
    if m.setup is None and len(w) >= 3 and (w[-1] in _ORDINALS or _is_int(w[-1])):
        at = len(w) - 2 if w[-2] in _SETUP_WORDS else len(w) - 3 if w[-2] in ("number", "#", "no") else -1
        if at >= 1 and w[at] == "setup" and w[at - 1] not in HEADING_OBJECT:
            m.setup = _ORDINALS.get(w[-1]) or int(float(w[-1]))
    return m



def explained_from(words: list[str]) -> int | None:
    """Where an explanation of what was just said starts (", so ...", "meaning ...", "because ...", and "so
    it's ..." without the comma a recognizer may leave out)."""
    for i, x in enumerate(words):
        if (
            (x == "so" and i > 0 and (words[i - 1] == "," or words[i + 1 : i + 2] in (["it's"], ["that's"])))
            or x in ("meaning", "because")
            or words[i : i + 2] in (["which", "means"], ["in", "other"], ["that", "means"])
        ):
            return i
    return None


def _is_int(x: str) -> bool:
    try:
        return float(x).is_integer()
    except ValueError:
        return False


def _name_after(w: list[str], k: int) -> tuple[str, ...]:
    name = [x for x in w[k : k + 8] if x not in _STOPWORDS and not _is_int(x)]
    return tuple(name[:3]) if len(name) >= 2 else ()


_CROSS_DIRECTION_SKIP = frozenset(
    ["back", "up", "down", "right", "through", "straight", "decisively", "again"]
)


# Verbs of movement before "above" / "below" with nothing after ("sell when it falls back below"): the line
# it moved against is the one the lesson compared with last.
_MOTION = frozenset(
    ["falls", "drops", "gets", "goes", "moves", "back", "closes", "comes", "slips", "climbs", "rises", "dips"]
)


# Words that cannot begin the line compared with: "when it crosses back above, ...", and in unpunctuated
# speech "sell when it falls below go short when ...", where the next words start another rule.
_ELIDED_NEXT = frozenset(
    [",", "and", "or", "again", "then", "so", "but", "go", "buy", "sell", "cover", "short", "i", "we", "you"]
    + sorted(vocab.CONDITIONAL)
)


def find_comparisons(clause: Clause, mentions: list[Mention]) -> list[Comparison]:
    """Comparison frames in a clause; left and right are the nearest operands around the comparison word."""
    w = clause.words
    n = len(w)
    covered = {k for m in mentions for k in range(m.start, m.end)}
    out: list[Comparison] = []
    used_words: set[int] = set()
    for i, word in enumerate(w):
        if i in covered or i in used_words:
            continue
        op = None
        right_from = i + 1
        percent_scale: Mention | None = None
        if word in vocab.CROSS:
            k = i + 1
            while k < n and w[k] in _CROSS_DIRECTION_SKIP:
                k += 1
            said = set(w[i + 1 : k])
            if k < n and w[k] in ("above", "over"):
                op, right_from = "crosses_above", k + 1
            elif k < n and w[k] in ("below", "under"):
                op, right_from = "crosses_below", k + 1
            elif "up" in said or "down" in said:
                # "crosses up through minus 80", "crosses down through the signal line"
                op, right_from = ("crosses_above" if "up" in said else "crosses_below"), k
            if op is None:
                continue
            used_words.update(range(i, right_from))
        elif word in ("above", "over", "below", "under", "beneath", "underneath", "exceeds", "tops"):
            if (
                word == "over"
                and i + 1 < n
                and (
                    w[i + 1] in vocab.LOOKBACK
                    or w[i + 1] == "the"
                    and i + 2 < n
                    and w[i + 2] in vocab.LOOKBACK
                )
            ):
                continue
            op = ">" if word in ("above", "over", "exceeds", "tops") else "<"
        elif word in ("higher", "greater", "more", "lower", "less") and "than" in w[i + 1 : i + 3] and (
            w[i + 1] == "than" or w[i + 1] in ("today", "now", "currently")
        ):
            # "higher than ...", "higher today than it was ten days ago"
            op = ">" if word in ("higher", "greater", "more") else "<"
            right_from = w.index("than", i + 1) + 1
        elif (
            word in ("positive", "negative")
            and i > 0
            and w[i - 1] in ("turns", "goes", "turn", "go", "is", "flips", "becomes", "gets", "stays")
        ):
            op = ">" if word == "positive" else "<"
            zero = Mention("number", i, i + 1, value=0.0)
            left = _left_operand(w, mentions, i - 1)
            if left is not None:
                out.append(Comparison(left, op, zero, 1, i, left.start, i + 1))
            continue
        elif word == "least" and i > 0 and w[i - 1] == "at":
            if any(x in ("above", "below", "under", "over") for x in w[i + 1 : i + 6]):
                continue
            op = ">"
        if op is None:
            continue
        # "3 percent below X": the distance scales X
        before = [m for m in mentions if m.end <= i and m.end >= i - 3 and m.kind == "number" and m.percent]
        if before and op in (">", "<"):
            percent_scale = before[-1]
        right = _right_operand(w, mentions, right_from)
        if (
            right is None
            and (op.startswith("crosses") or (i > 0 and w[i - 1] in _MOTION))
            and (right_from >= n or w[right_from] in _ELIDED_NEXT)
        ):
            right = Mention("ref", right_from, right_from, elided=True)  # "when it crosses back above, ..."
        if right is None or _entry_ref(w, right_from):
            continue
        if percent_scale is not None and right.kind != "number":
            pct = float(percent_scale.value or 0) / 100
            right = _scaled(right, 1 - pct if op == "<" else 1 + pct)
            left = _left_operand(w, mentions, percent_scale.start - 1)
        else:
            left = _left_operand(w, mentions, i - 1)
            if out and left is out[-1].right and any(x in (",", "and") for x in w[left.end : i]):
                left = out[-1].left  # "below the 200 and above the upper band": one subject for both
        if left is None:
            left = Mention("ref", i, i)  # said without a subject: the topic of the talk
        out.append(Comparison(left, op, right, 1, i, min(left.start, i), right.end))
    out += _multiples(w, mentions, out)
    out += _runs(w, clause)
    _for_bars(w, clause, out)
    return out


def _multiples(w: list[str], mentions: list[Mention], found: list[Comparison]) -> list[Comparison]:
    """ "Volume is twice its 50-day average": a multiple said as a state means at least that much."""
    out = []
    for m in mentions:
        if (
            m.kind != "indicator"
            or m.scale <= 1.0
            or m.start == 0
            or w[m.start - 1] not in ("is", "are", "was")
        ):
            continue
        if any(c.right is m for c in found):
            continue
        left = _left_operand(w, mentions, m.start - 1)
        if left is not None:
            out.append(Comparison(left, ">", m, 1, m.start, left.start, m.end))
    return out


def _runs(w: list[str], clause: Clause) -> list[Comparison]:
    """ "Three lower closes in a row": each close below the one before, N bars running."""
    out = []
    toks = clause.tokens
    for i in range(len(w) - 2):
        if toks[i].is_number and w[i + 1] in ("lower", "higher") and w[i + 2] in ("closes", "close"):
            n = int(toks[i].value or 0)
            if 2 <= n <= 10:
                close = Mention("indicator", i, i + 3, indicator="close")
                before = Mention("indicator", i, i + 3, indicator="close", offset=1)
                out.append(Comparison(close, "<" if w[i + 1] == "lower" else ">", before, n, i + 1, i, i + 3))
    return out


def _entry_ref(w: list[str], k: int) -> bool:
    """ "under your entry", "above the price you paid": a distance from the trade, said for a stop."""
    return any(x in vocab.ENTRY_REFS for x in w[k : k + 4])


def _scaled(m: Mention, scale: float) -> Mention:
    c = Mention(**{**m.__dict__})
    c.params = dict(m.params)
    c.scale = round(m.scale * scale, 6)
    return c


def _left_operand(w: list[str], mentions: list[Mention], k: int) -> Mention | None:
    """The nearest operand ending at or before token k (numbers are thresholds, not subjects)."""
    best = None
    for m in mentions:
        if k - 10 <= m.end - 1 <= k and m.is_operand and (best is None or m.end > best.end):
            best = m
    if best is None:
        return None
    # "both below the 200 and above the upper band": the 200 is what the first comparison was against, and the
    # second shares its subject
    lead = [x for x in w[max(0, best.start - 3) : best.start] if x not in ("the", "its", "a", "an", "their")]
    if w[k - 1 : k] == ["and"] and best.end == k - 1 and lead and (lead[-1] in vocab.ABOVE or lead[-1] in vocab.BELOW):
        return None
    # "when I see both below the 200 and above the upper band": "both" counts the conditions that follow
    if best.kind == "ref" and w[best.start] == "both" and best.end < len(w) and (
            w[best.end] in vocab.ABOVE or w[best.end] in vocab.BELOW):
        return None
    # "the RSI closes below": the subject is the indicator, "closes" only the verb
    if (
        best.kind == "indicator"
        and best.indicator == "close"
        and w[best.start] in ("close", "closes", "closed")
    ):
        prev = [m for m in mentions if m.end <= best.start and m.is_operand]
        if (
            prev
            and prev[-1].kind in ("indicator", "ref")
            and prev[-1].indicator not in vocab.PRICE
            and all(x in _AUX for x in w[prev[-1].end : best.start])
        ):
            return prev[-1]
    return best


_AUX = frozenset(["has", "to", "must", "should", "will", "needs", "need", "first", "then", "finally"])


def _right_operand(w: list[str], mentions: list[Mention], k: int) -> Mention | None:
    for m in mentions:
        if m.start >= k - 1 and m.start <= k + 5 and m.end > k - 1:
            if any(x in (",", "and", "then", "when", "if") for x in w[k : m.start]):
                return None  # "when it crosses up, and then ...": what follows is another statement
            return m
    return None


def _for_bars(w: list[str], clause: Clause, comps: list[Comparison]) -> None:
    """ "Two closes in a row", "three consecutive closes", "for 3 bars": held N bars running."""
    toks = clause.tokens
    for i, t in enumerate(toks):
        if not t.is_number or not t.value or not float(t.value).is_integer() or t.value < 2 or t.value > 10:
            continue
        tail = w[i + 1 : i + 6]
        said = vocab.said_running(tail) or (
            i > 0 and w[i - 1] == "for" and tail[:1] and tail[0] in vocab.BAR_UNITS | {"closes", "candles"}
        )
        if not said:
            continue
        for c in comps:
            if abs(c.at - i) <= 10:
                c.for_bars = int(t.value)

"""Stage 1: a transcript becomes clauses of normalized tokens, each token keeping its time and segment.

Numbers become values whether they were written ("200-day", "3%", "1.5x") or spoken ("two hundred day",
"one and a half times", "twenty-one"). Written scripts and Whisper/subtitle text are split into clauses at
sentence punctuation (a stop inside an abbreviation, "a.m.", ends none), and a run-on sentence far longer
than any written one (a recognizer's comma splices) also at the commas where a new thought begins;
recognizer text without punctuation (pocketsphinx) is split at segment borders, at once before a condition
("when", "if", "then" ...) or a new subject ("i", "we", "you") unless the word before binds it ("we buy
when", "the exit is when", "that we"), keeping a condition's consequence with it ("if it
hasn't moved in ten days you're out") and names with a cue inside whole ("stop and reverse"), and, when a run
goes on long, before the other words that start a new thought ("so", "now", "and", ...). A run of number
words that could be heard two ways keeps its other reading (`Token.split`: "twenty two point five" as 20 and
2.5) for the setting it fits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reelquant.indicators import PRICE_FIELDS
from reelquant.speech.transcript import Segment, Transcript
from reelquant.text.numbers import number_spans, split_reading

# One token per word, number, or mark that matters to a rule ("%" "+" "-" "(" ","); apostrophes stay
# inside words ("don't", "yesterday's").
_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d*\.\d+|\d+|[a-z]+(?:['’][a-z]+)*|[%+\-−–—()/.,!?;:$×]")
SENTENCE_END = frozenset(".!?;")
# Words that start a new thought in unpunctuated speech; a long run of words is cut before them.
_CUES = frozenset(
    [
        "when",
        "whenever",
        "once",
        "if",
        "so",
        "now",
        "okay",
        "ok",
        "alright",
        "then",
        "but",
        "because",
        "and",
        "also",
        "first",
        "second",
        "third",
        "rule",
        "step",
        "setup",
        "we",
        "i",
        "you",
    ]
)
# "we buy when ...": a "when" right after an action word belongs to that action's clause
_ACTION_WORDS = frozenset(["buy", "sell", "short", "cover", "exit", "out", "in", "long"])
# "the previous days high" is the previous day's high: a recognizer may drop the apostrophe
_PLURAL_BARS = {"days": "day's", "bars": "bar's", "candles": "candle's"}
_BAR_FIELDS = frozenset([*(f for f in PRICE_FIELDS if f != "volume"), "range", "closing"])
# A number the recognizer was this unsure of is not taken as a rule's size.
UNCLEAR_CONFIDENCE = 0.05
_LONG_CLAUSE = 8  # tokens; unpunctuated runs longer than this are cut at cue words
_UNMARKED_RUN = 3 * _LONG_CLAUSE  # tokens of a punctuated recognizer's segment with no mark: unpunctuated
# Marks that end a clause in punctuated text (a sentence's, or a comma's part of one).
_CLAUSE_MARKS = frozenset([*SENTENCE_END, ",", ":"])
# Words that open a condition, which then waits for its comparison and its consequence.
_CONDITION_CUES = frozenset(["when", "whenever", "if", "once"])
# Words that take back the number said before them ("70, no sorry, 80", "20, I mean 25").
TAKES_BACK = frozenset(["no", "sorry", "mean", "actually", "correction", "scratch"])


@dataclass
class Token:
    """One normalized word or mark: `text` lowercased, `value` set for numbers; times in seconds."""

    text: str
    start: float
    end: float
    segment: int
    value: float | None = None
    confidence: float | None = None  # the recognizer's word confidence, where it gave one
    split: tuple[float, float] | None = None  # "twenty two point five" heard as 20 and 2.5 instead
    inner: bool = False  # a full stop inside an abbreviation ("a.m.", "e.g."): it ends no sentence

    @property
    def is_number(self) -> bool:
        return self.value is not None


@dataclass
class Clause:
    """A run of tokens read as one statement; `sentence` groups the clauses of one sentence."""

    tokens: list[Token]
    index: int
    sentence: int
    paragraph: int = 0
    question: bool = False
    punctuated: bool = True

    @property
    def words(self) -> list[str]:
        return [t.text for t in self.tokens]

    @property
    def start_s(self) -> float:
        return self.tokens[0].start if self.tokens else 0.0

    @property
    def end_s(self) -> float:
        return self.tokens[-1].end if self.tokens else 0.0

    @property
    def segments(self) -> list[int]:
        return sorted({t.segment for t in self.tokens})

    def text(self, i: int = 0, j: int | None = None) -> str:
        return render(self.tokens[i:j])


def render(tokens: list[Token]) -> str:
    """Readable text of a token run (numbers as digits)."""
    out = ""
    for t in tokens:
        if t.text in ",.;:!?%)" or not out or out.endswith(("(", "-")) or t.text == "-":
            out += t.text
        else:
            out += " " + t.text
    return out.strip()


def _word_times(seg: Segment) -> list[tuple[str, float, float, float | None]]:
    if seg.words:
        return [(w.text, w.start, w.end, w.confidence) for w in seg.words]
    pieces = seg.text.split()
    if not pieces:
        return []
    step = (seg.end - seg.start) / len(pieces) if seg.end > seg.start else 0.0
    return [(p, seg.start + i * step, seg.start + (i + 1) * step, None) for i, p in enumerate(pieces)]


def tokenize_segment(seg: Segment) -> list[Token]:
    """Tokens of one segment with numbers folded into values."""
    raw: list[Token] = []
    lower: list[bool] = []  # whether each piece's letters were written in lower case
    for text, start, end, conf in _word_times(seg):
        low = text.lower().replace("’", "'")
        for n, piece in enumerate(_TOKEN.findall(low)):
            if n == 0 and raw and raw[-1].text.isdigit() and re.fullmatch(r"\.\d+", piece):
                # "1.5%" timed as the words "1" and ".5%": one number
                raw[-1] = Token(raw[-1].text + piece, raw[-1].start, end, seg.id, confidence=raw[-1].confidence)
                continue
            at = text.lower().find(piece)
            lower.append(piece.isalpha() and text[at : at + len(piece)].islower())
            piece = {"−": "-", "–": "-", "—": "-", "×": "x"}.get(piece, piece)
            raw.append(Token(piece, start, end, seg.id, confidence=conf))
    for k, tok in enumerate(raw[:-1]):
        before = raw[k - 1].text if k > 0 else ""
        # "the previous days high", "yesterdays close": a possessive written without its apostrophe
        if raw[k + 1].text in _BAR_FIELDS and (
            tok.text == "yesterdays" or (tok.text in _PLURAL_BARS and before in ("previous", "prior"))
        ):
            tok.text = _PLURAL_BARS.get(tok.text, "yesterday's")
        # "a.m.", "e.g.", "U.S.": a stop after a single letter, with a lower-case word after it, ends no sentence
        tok.inner = tok.text == "." and len(before) == 1 and before.isalpha() and lower[k + 1]
    out: list[Token] = []
    spans = {i: (j, digits) for i, j, digits in number_spans([t.text for t in raw])}
    i = 0
    while i < len(raw):
        tok = raw[i]
        if i in spans:
            j, digits = spans[i]
            confs = [t.confidence for t in raw[i : j + 1] if t.confidence is not None]
            out.append(
                Token(
                    digits,
                    tok.start,
                    raw[j].end,
                    tok.segment,
                    float(digits),
                    min(confs) if confs else None,
                    split_reading([t.text for t in raw[i : j + 1]]),
                )
            )
            i = j + 1
            continue
        if re.fullmatch(r"[\d.,]+", tok.text) and any(c.isdigit() for c in tok.text):
            out.append(
                Token(
                    tok.text.replace(",", ""),
                    tok.start,
                    tok.end,
                    tok.segment,
                    float(tok.text.replace(",", "")),
                    tok.confidence,
                )
            )
        elif tok.text == "%":
            out.append(Token("percent", tok.start, tok.end, tok.segment))
        elif tok.text == "per" and i + 1 < len(raw) and raw[i + 1].text in ("cent", "cents"):
            # British "four per cent"
            out.append(Token("percent", tok.start, raw[i + 1].end, tok.segment))
            i += 1
        elif tok.text in ("twice", "double"):
            out.append(Token("2", tok.start, tok.end, tok.segment, 2.0))
            out.append(Token("times", tok.start, tok.end, tok.segment))
        else:
            out.append(tok)
        i += 1
    return out


# Unpunctuated speech is cut before these at once (not only in a long run): a condition or a new step starts.
_STRONG_CUES = frozenset(["when", "whenever", "once", "if", "then", "because", "otherwise"])
# "i" / "we" / "you" start a thought unless a word before binds them ("when i", "that we", "and you").
_SUBJECTS = frozenset(["i", "we", "you", "i'm", "we're", "you're"])
_BINDS_SUBJECT = frozenset(
    [
        "when",
        "whenever",
        "if",
        "once",
        "until",
        "that",
        "where",
        "what",
        "which",
        "how",
        "so",
        "and",
        "then",
        "because",
        "before",
        "after",
        "as",
        "but",
        "or",
        "unless",
        "while",
        "do",
        "did",
        "can",
        "should",
        "would",
        "will",
        "could",
        "must",
        "let",
        "tell",
        "show",
        "thing",
        "time",
        "than",
        "like",
        "say",
        "said",
        "since",
        "why",
        "think",
        "know",
        "mean",
        "guess",
        "see",
    ]
)
_DETERMINERS = frozenset(["the", "whole", "this", "that", "my", "our", "your", "a", "first", "next", "same"])
# Names with a cue word inside, never cut
_FIXED = frozenset([("stop", "and", "reverse"), ("buy", "and", "hold")])
_IN_AFTER = frozenset(["i'm", "we're", "you're", "get", "gets", "getting", "got", "am", "are", "be"])
# A question or someone else's way reported: the condition said next belongs to it
_REPORTED = frozenset(["whether", "asked", "asks", "some", "somebody", "someone"])
_TRADE_VERBS = frozenset(["trade", "trades", "enter", "enters", "buys", "sells", "covers", "shorts", "act"])
_SHORT_CLAUSE = 2  # tokens: a clause cut at a strong cue keeps at least this many


def _awaits_consequence(current: list[Token]) -> bool:
    """A clause opened by "when" / "if" with no action word nor second subject yet: the subject that follows
    says what to do (the condition's own subject, "if I'm long and ...", comes right after the cue)."""
    return (
        bool(current)
        and current[0].text in _STRONG_CUES
        and not any(
            # "if I'm long and ..." is a side; "in 8 days" is no action ("I'm in" is)
            (t.text in _ACTION_WORDS and p.text not in _SUBJECTS and (t.text != "in" or p.text in _IN_AFTER))
            or (t.text in _SUBJECTS and len(p.text) > 1 and k > 0)
            for k, (p, t) in enumerate(zip(current, current[1:], strict=False))
        )
    )


def _spelled_then_pronoun(current: list[Token], tok: Token) -> bool:
    """ "the minus d i i go short": after a name spelled out that ends in "i", the next "i" is the speaker."""
    return tok.text == "i" and len(current) >= 2 and current[-1].text == "i" and len(current[-2].text) == 1


def _starts_thought(current: list[Token], tok: Token, nxt: str = "") -> bool:
    """Whether `tok` starts a new clause in unpunctuated speech, however short the run before it."""
    prev = current[-1].text if current else ""
    if tok.text == "for" and nxt in ("long", "short", "longs", "shorts"):
        return True  # "... for long trades the close must be above ... | for short trades it must ..."
    if tok.text == "some" and nxt in ("people", "traders", "folks", "guys", "students", "of"):
        return True  # "... sell at the next open | some traders hold until ...": someone else's way
    if tok.text in _STRONG_CUES and current and current[0].text in _STRONG_CUES and prev in _ACTION_WORDS:
        return True  # "if X i get out | if Y i get out": the first condition has its consequence already
    if tok.text in _STRONG_CUES and any(t.text in _REPORTED for t in current):
        return (
            False  # "somebody asked whether I short the opposite when ...", "some of you only take it when"
        )
    if tok.text in _STRONG_CUES:
        # "we buy when ...", "sell if ...": a condition right after an action word belongs to its clause
        # "the exit is when ...": the condition completes the clause it follows
        return (
            prev not in _ACTION_WORDS
            and prev not in _TRADE_VERBS
            and prev not in _SUBJECTS
            and (prev not in _BINDS_SUBJECT or prev == "that")  # "thanks for asking that | if ..."
            and prev not in ("is", "was", "are", "it's", "that's", "only", "even", "except", "not", "so")
        )
    if tok.text in _SUBJECTS:
        # "if it hasn't snapped back in ten days you're out": the consequence stays with its condition
        return (
            not _awaits_consequence(current)
            and prev not in _BINDS_SUBJECT
            and (_spelled_then_pronoun(current, tok) or (prev not in _SUBJECTS and len(prev) > 1))
        )
    return False


# Tokens: a sentence longer than any written one (the lessons' longest runs to about 50) is a recognizer's
# run-on, speech whose full stops it did not hear.
RUN_ON = 55
# After a comma in a run-on these go on with what came before: a list, a relative clause, the subject's own
# comparison said around an aside ("the CCI, having been up over 100, crosses back down ...").
_GOES_ON = frozenset(["and", "or", "nor", "which", "who", "whose", "where", "having", "with", "than", "of", "to",
                      "plus", "minus", "both", "either"])
# A part ending in these waits for what follows ("so the entry is, price must be above ...").
_AWAITS = frozenset(["is", "are", "was", "were", "be", "means", ":", "the", "a", "an", "both", "either"])
_RUN_ON_PART = 3  # words: a shorter part before a comma ("Okay, ...", "Step 2, ...") is never cut off


def _refuses(part: list[Token], negations: frozenset[str]) -> bool:
    """Whether a part says no to a trade ("I don't enter", "never buy it"), not to anything else ("no stop")."""
    words = [t.text for t in part]
    return any(
        w in negations and any(x in _ACTION_WORDS or x in _TRADE_VERBS for x in words[k + 1 : k + 3])
        for k, w in enumerate(words)
    )


def _consequence_follows(before: list[Token], after: list[Token]) -> bool:
    """Whether a comma parts a condition from what to do on it: "if I am short and the minus DI crosses back
    under the plus DI, | I close": the part before opens with "if" / "when" and compares, the part after
    opens with a subject and an action."""
    said = [t.text for t in before]
    rest = [t.text for t in after]
    parts = [rest[: rest.index(",")], rest[rest.index(",") + 1 :]] if "," in rest else [rest]
    then = parts[0][:3]
    if not (said and said[0] in _CONDITION_CUES and len(then) >= 2):
        return False
    # "when the candle close above the line, | the line become green, and you buy": a remark between the
    # condition and its consequence (no comparison or condition of its own) does not part them
    if (len(parts) > 1 and _COMPARING & set(said) and not (_COMPARING | _CONDITION_CUES) & set(parts[0])
            and _acts(parts[1][1:] if parts[1][:1] in (["and"], ["so"], ["then"]) else parts[1])):
        return True
    # "if neither the stop nor the target has been hit after 5 trading days, | close the trade": an order
    return (bool(_COMPARING & set(said)) and _acts(then)) or then[0] in _ORDER_OPENERS


_ORDER_OPENERS = frozenset(["close", "sell", "buy", "cover", "exit", "get", "take"])


def _acts(words: list[str]) -> bool:
    """Whether words open with a subject and an action ("you buy", "I'm out")."""
    return len(words) >= 2 and words[0] in _SUBJECTS and words[1] in (*_ACTION_WORDS, "close", "go", "get")


_JOINS = frozenset(["and", "but", "so", "then"])
_SIDE_NAMES = frozenset(["long", "longs", "short", "shorts"])


def _rule_done(current: list[Token], after: list[Token]) -> bool:
    """Whether a comma ends a whole rule and what follows begins the next. Either the clause so far opens a
    condition and its last part is what to do on it (a subject and an action: "when a bar closes back above the
    middle, I'm out, | and the short is the mirror image"), and the next part joins on with "and" / "but" /
    "so" / "then" and sets a new condition ("and when ...") or turns to a side ("and the short is ...", "and for
    shorts ..."), never a further condition of the same rule ("and the RSI must be under 30"); or the clause
    holds an action and a condition and the next part is an order with its own condition ("close a long when
    ..., | close a short when ...")."""
    said = [t.text for t in current]
    part = [t.text for t in after]
    part = part[: part.index(",")] if "," in part else part
    if not part or not _CONDITION_CUES & set(said):
        return False
    if part[0] in _ORDERS or (part[0] == "close" and _SIDE_NAMES & set(part[1:3])):
        return bool(_ACTION_WORDS & set(said)) and bool(_CONDITION_CUES & set(part[1:5]))
    if part[0] not in _JOINS:
        return False
    last = said[len(said) - said[::-1].index(",") :] if "," in said else said
    if not (len(last) >= 2 and last[0] in _SUBJECTS and _ACTION_WORDS & set(last[1:4])):
        return False
    rest = part[1:]
    # the side as what the part is about ("the short is", "for shorts", "on the short side"), not a position
    # the same rule goes on with ("and I hold that short until ...")
    return bool(rest) and (rest[0] in _CONDITION_CUES
                           or (rest[0] not in _SUBJECTS and bool(_SIDE_NAMES & set(rest[:3]))))


def _run_on_cuts(tokens: list[Token]) -> set[int]:
    """The commas a run-on sentence is cut at: a sentence of more than RUN_ON tokens is cut at each comma
    where one thought ends and the next begins: not inside a list of numbers, before what goes on with the
    part before or a part that says no to it, nor after a part that waits for what follows."""
    from reelquant.text.rules import vocab  # vocab reads the registry with this module's tokenizer

    goes_on = _GOES_ON | vocab.CROSS | vocab.VERBS_IN_S
    cuts: set[int] = set()
    start = 0
    for end in [k for k, t in enumerate(tokens) if t.text in SENTENCE_END and not t.inner] + [len(tokens)]:
        if end - start > RUN_ON:
            words = 0
            opened = start  # where the part before the comma opened
            for k in range(start, end - 1):
                tok, nxt = tokens[k], tokens[k + 1]
                if tok.text != ",":
                    words += 1
                    continue
                prev = tokens[k - 1]
                # the next two parts: "under 20 it sleeps, there is no trend, I don't enter"
                commas = [j for j in range(k + 1, end) if tokens[j].text == ","]
                part = commas[1] if len(commas) > 1 else end
                if (
                    words >= _RUN_ON_PART
                    and not (prev.is_number and nxt.is_number)
                    # "above 70, no sorry, 80": a number taken back stays with what takes it back
                    and not (prev.is_number and nxt.text in TAKES_BACK)
                    and nxt.text not in goes_on
                    and prev.text not in _AWAITS
                    # a refusal to trade keeps what it refuses
                    and not _refuses(tokens[k + 1 : part], vocab.NEGATIONS)
                    and not _consequence_follows(tokens[opened:k], tokens[k + 1 : end])
                ):
                    cuts.add(k)
                    words = 0
                    opened = k + 1
        start = end + 1
    return cuts


# Words a recognizer writes for the trading word it heard, read back where only the trading word fits.
_CROSSING_VERBS = frozenset(["cross", "crosses", "crossed", "crossing", "close", "closes", "closed", "break",
                             "breaks", "broke"])
_RISING_VERBS = frozenset(["climb", "climbs", "rise", "rises", "get", "gets", "go", "goes", "move", "moves",
                           "come", "comes", "cross", "crosses", "close", "closes"])
_COMPARING = frozenset(["above", "below", "over", "under", "cross", "crosses", "crossing", "break", "breaks",
                        "breakout"])
_BUYERS = frozenset(["i", "we", "you", "they", "i'll", "we'll", "you'll", "then"])
# "by the way", "by then": "by" kept where it opens a phrase of its own
_BY_PHRASES = frozenset(["way", "time", "then", "now", "hand", "itself", "far", "default", "definition"])
_COUNTED = frozenset(["percent", "atr", "atrs", "times", "standard", "consecutive"])  # said after a count
# After a comma these open an example or an aside, never the rest of a rule.
_ASIDES = (("as", "you", "can", "see"), ("for", "example"), ("for", "instance"), ("look", "at"), ("here's", "one"),
           ("here", "is", "one"))
# Headings said with a number: "setup one", "step 4" (the number names a part of the lesson).
NUMBERED_HEADINGS = frozenset(["setup", "step", "module", "lesson", "rule"])
# Words before such a heading that make it a thing talked about ("as in lesson 3, ...", "exit for setup 1",
# "I use setup 2"), not a heading said.
HEADING_OBJECT = frozenset(["in", "of", "from", "to", "at", "on", "for", "with", "use", "the", "this", "that", "my",
                            "our", "your"])
_SPELLED_COUNTS = frozenset(["one", "two", "three", "four", "five", "six", "seven"])
_ORDERS = frozenset(["buy", "sell", "sells", "cover", "covers", "short", "exit", "exits"])
_STATE_VERBS = frozenset(["is", "crosses", "closes", "rises", "falls", "drops", "moves", "goes", "gets", "turns",
                          "reaches", "hits"])


def _clause_start(tokens: list[Token], k: int) -> bool:
    return k == 0 or tokens[k - 1].text in _CLAUSE_MARKS


def _clause_rest(tokens: list[Token], k: int) -> list[str]:
    rest = []
    for t in tokens[k + 1 :]:
        if t.text in _CLAUSE_MARKS:
            break
        rest.append(t.text)
    return rest


def repair_heard(tokens: list[Token]) -> list[Token]:
    """Homophones a recognizer writes for trading words, read back where grammar leaves only the trading word:
    "cell" -> "sell" (not "cell phone"); "by" -> "buy" after a subject ("we by") or opening a clause that
    compares ("by the cross above 100", not "by the way"); "about" / "a but" -> "above" right after a crossing
    or closing verb and before no number ("crosses about the band", not "is about 167"); "to" / "too" -> 2 and
    "for" -> 4 right before a unit only a count takes ("a target to ATR away"); "set" + number opening a
    clause and ending it -> "step" ("set 4, the exit"); "along" -> "a long" ("close along when ...", not
    "along with"); "one" -> "when" between an order and a condition ("sell 1 percent R is above -20");
    "with an" -> "within" before a number of bars ("with an eight trading days"); "set up" -> "setup" before
    its number or after a determiner ("set up to, the trend rider" -> "setup 2"); "in" -> "and" between a side
    held and a condition ("if I am long in the plus DI crosses back under ..."). Punctuation and times are kept;
    a written script rarely meets any of these."""
    from reelquant.text.rules import vocab  # vocab reads the registry with this module's tokenizer

    out: list[Token] = []
    k = 0
    while k < len(tokens):
        tok = tokens[k]
        word = tok.text
        before = out[-1].text if out else ""
        nxt = tokens[k + 1].text if k + 1 < len(tokens) else ""
        after = tokens[k + 2] if k + 2 < len(tokens) else None
        if word in ("cell", "cells") and nxt not in ("phone", "phones"):
            tok.text = "sell" if word == "cell" else "sells"
        elif word == "by" and nxt not in _BY_PHRASES and (
            before in _BUYERS
            or (_clause_start(tokens, k) and nxt in ("the", "a", "when", "if", "at", "on", "it")
                and _COMPARING & set(_clause_rest(tokens, k)))
            # "by at the next open": "by" never takes "at" / "on" before a bar's open or close; "buy" does
            or (nxt in ("at", "on") and {"open", "close", "bar", "candle"} & set(_clause_rest(tokens, k)[:4]))
            # "both true, | by next open": a clause that is only "by (the) next open / bar" has no verb but "buy"
            or (_clause_start(tokens, k)
                and [x for x in _clause_rest(tokens, k) if x != "the"] in (["next", "open"], ["next", "bar"],
                                                                           ["next", "candle"]))
        ):
            tok.text = "buy"
        elif (before in _CROSSING_VERBS or (before == "back" and len(out) >= 2 and out[-2].text in _RISING_VERBS)) and (
            (word == "about" and nxt and not tokens[k + 1].is_number and nxt not in ("to", "how", "it", "this")
             and not (after is not None and after.text in ("same", "level")))
            or (word == "a" and nxt == "but" and after is not None)
            # "climbs back up of 70": a rising verb, "back", then "above" heard as "up of"
            or (word == "up" and nxt == "of" and before == "back" and after is not None)
            # "buy the cross of a plus 100": "above" heard as "of a" before the level crossed
            or (word == "of" and nxt == "a" and after is not None and (after.is_number or after.text in ("plus", "minus")))
            # "price must close up of the highest high", "closes up at the Parabolic": "above" heard as two
            # words (not "closes up at the high of the day", which says where it closed)
            or (word == "up" and (nxt == "of" or (nxt == "at" and after is not None and after.text == "the"
                                                   and k + 3 < len(tokens) and tokens[k + 3].text not in _BAR_FIELDS)))
            # "the first day it closes but the previous day's high": "above" heard as "but", where no clause
            # can start ("but the previous day's high" has no verb of its own)
            or (word == "but" and nxt in ("the", "its", "yesterday's")
                and not _STATE_VERBS & set(_clause_rest(tokens, k)))
        ):
            if word in ("a", "up", "of"):
                k += 1  # "a but", "up of", "of a": one word heard as two
            out.append(Token("above", tok.start, tokens[k].end, tok.segment, confidence=tok.confidence))
            k += 1
            continue
        elif (word in ("to", "too", "for") and nxt in _COUNTED and not (before and before[0].isdigit())
              and not (after is not None and len(after.text) == 1 and after.text.isalpha())):  # "for percent R"
            value = 4.0 if word == "for" else 2.0
            tok = Token(f"{value:g}", tok.start, tok.end, tok.segment, value, tok.confidence)
        elif (word == "set" and _clause_start(tokens, k) and k + 1 < len(tokens) and tokens[k + 1].is_number
              and (after is None or after.text in _CLAUSE_MARKS)):
            tok.text = "step"
        elif (before in _ORDERS and tok.is_number and tok.value == 1 and nxt not in ("of", "")
              and _STATE_VERBS & set(_clause_rest(tokens, k)[:5])
              and not (nxt == "percent" and (after is None or not (len(after.text) == 1 and after.text.isalpha())))):
            # "sell 1 percent R is above minus 20", "cover one RSI crosses": "when" heard as "one"
            tok = Token("when", tok.start, tok.end, tok.segment, confidence=tok.confidence)
        elif (word == "with" and nxt in ("an", "in") and after is not None and after.is_number
              and k + 3 < len(tokens) and tokens[k + 3].text in vocab.BAR_UNITS):
            # "if it hasn't come back with an eight trading days": "within" heard as two words
            out.append(Token("within", tok.start, tokens[k + 1].end, tok.segment, confidence=tok.confidence))
            k += 2
            continue
        elif word == "set" and nxt == "up" and (
            (after is not None and (after.is_number
                                    or after.text in ("to", "too", "one", "two", "three", "four", "number", "#")))
            or before in ("the", "this", "that", "my", "our", "your", "a", "each", "every", "first", "second")
        ):
            # "set up one, the snapback", "set up to, the trend rider", "the set up": the noun "setup"
            out.append(Token("setup", tok.start, tokens[k + 1].end, tok.segment, confidence=tok.confidence))
            k += 2
            if after is not None and after.text in ("to", "too"):
                out.append(Token("2", after.start, after.end, after.segment, 2.0, after.confidence))
                k += 1
            continue
        elif (word == "in" and before in ("long", "short") and len(out) > 1
              and out[-2].text in ("i'm", "am", "we're", "are", "you're", "is", "it's")
              and nxt in ("the", "a", "my", "price", "it") and _STATE_VERBS & set(_clause_rest(tokens, k))):
            # "if I am long in the plus DI crosses back under the minus DI": "and" heard as "in"
            tok.text = "and"
        elif word == "along" and nxt not in ("with", "the", "this", "that", "and", "its", "their"):
            out.append(Token("a", tok.start, tok.end, tok.segment, confidence=tok.confidence))
            tok.text = "long"
        out.append(tok)
        k += 1
    return out


def _unfinished(current: list[Token]) -> bool:
    """Whether a clause stops inside the condition it opened: a "when" / "if" with no comparison word after it
    ("you sell when the CCI"), or a clause that opens with one and has not said what to do yet."""
    words = [t.text for t in current]
    if words and words[-1] in _AWAITS:
        return True  # "the entry needs both | price must be above ...": the pause came before what it names
    cue = max((k for k, x in enumerate(words) if x in _CONDITION_CUES), default=-1)
    if cue >= 0 and len(words) - cue <= 6 and not _COMPARING & set(words[cue:]):
        return True
    # "when the candle close below the line | it become red, and you close your buy": a condition that opened
    # the clause and has had no consequence yet (no action, no comma after which one could have come)
    return bool(words) and words[0] in _CONDITION_CUES and "," not in words and not _ACTION_WORDS & set(words)


def _unmarked_stretches(tokens: list[Token]) -> set[int]:
    """Positions inside a stretch of more than RUN_ON tokens with no clause mark, longer than a written sentence
    runs without a comma (past its first _SHORT_CLAUSE tokens, so the words right after a mark stay with it)."""
    out: set[int] = set()
    start = 0
    for k in [j for j, t in enumerate(tokens) if t.text in _CLAUSE_MARKS] + [len(tokens)]:
        if k - start > RUN_ON:
            out.update(range(start + _SHORT_CLAUSE, k))
        start = k + 1
    return out


def is_punctuated(transcript: Transcript) -> bool:
    """Whether the text carries sentence punctuation (a script, Whisper, subtitles) or not (pocketsphinx)."""
    return any(re.search(r"[.!?,]", s.text) for s in transcript.segments)


def clauses(transcript: Transcript) -> list[Clause]:
    """The transcript cut into clauses: at sentence marks, and in unpunctuated speech before cue words."""
    whole_punctuated = is_punctuated(transcript)
    punctuated = whole_punctuated
    plain = False  # whether the clause being gathered holds words of an unmarked stretch (read as unpunctuated)
    out: list[Clause] = []
    sentence = 0
    paragraph = 0
    current: list[Token] = []

    def flush(end_sentence: bool, mark: str = "") -> None:
        nonlocal current, sentence, plain
        if current:
            out.append(
                Clause(current, len(out), sentence, paragraph, question=mark == "?", punctuated=punctuated and not plain)
            )
        current = []
        plain = False
        if end_sentence:
            sentence += 1

    for seg in transcript.segments:
        tokens = repair_heard(tokenize_segment(seg))
        # A recognizer that punctuates may still leave a long stretch without a single mark ("... the 200-day
        # simple moving average The idea is a rubber band A strong stock ..."): that stretch is cut as
        # unpunctuated speech is, at its cue words.
        punctuated = whole_punctuated and not (
            len(tokens) >= _UNMARKED_RUN and not any(t.text in _CLAUSE_MARKS for t in tokens)
        )
        run = 0
        cuts = _run_on_cuts(tokens) if punctuated else set()
        # "third, the exit, we don't wait for the RSI to get overbought we exit when ... within 5 trading days i
        # close it anyway dead money ...": a long stretch with no mark inside a punctuated segment is cut as
        # unpunctuated speech is
        plain_at = _unmarked_stretches(tokens) if punctuated else set()
        for at, tok in enumerate(tokens):
            if tok.inner:
                continue
            if tok.text in SENTENCE_END:
                flush(True, tok.text)
                run = 0
                continue
            if at in cuts:
                flush(True)
                run = 0
                continue
            if punctuated and tok.text == "," and _rule_done(current, tokens[at + 1 :]):
                flush(True)  # "..., I'm out, | and the short is the mirror image": the next rule begins
                run = 0
                continue
            nxt = tokens[at + 1].text if at + 1 < len(tokens) else ""
            if punctuated and current and current[-1].text == "," and any(
                tuple(t.text for t in tokens[at : at + len(p)]) == p for p in _ASIDES
            ):
                flush(True)  # "I buy at the next open, as you can see right here, on the 15th ...": an example
                run = 0
            # "setup 2", "step four", "setup number one"
            num_at = at + 2 if nxt in ("number", "no", "#") else at + 1
            numbered = tok.text in NUMBERED_HEADINGS and num_at < len(tokens) and (
                tokens[num_at].is_number or tokens[num_at].text in _SPELLED_COUNTS)
            if punctuated and current and numbered and (
                current[-1].text == ","
                # "... that daily traders use step 2, the entry, ...": a heading with its own mark after it
                or (num_at + 1 < len(tokens) and tokens[num_at + 1].text in _CLAUSE_MARKS
                    and current[-1].text not in HEADING_OBJECT)
            ):
                flush(True)  # "..., setup one, I call it the snapback": a heading run into the sentence before
                run = 0
            if current and (current[-1].text, tok.text, nxt) in _FIXED:
                pass  # "stop and reverse" is one name
            elif (not punctuated or at in plain_at) and run >= _SHORT_CLAUSE and _starts_thought(current, tok, nxt):
                flush(True)
                run = 0
            elif (
                (not punctuated or at in plain_at)
                and run >= _LONG_CLAUSE
                and tok.text in _CUES
                and not (current and current[-1].text in _ACTION_WORDS and tok.text in ("when", "if", "once"))
                and not (tok.text == "i" and current and len(current[-1].text) == 1)  # "r s i": one word
                # "that's the whole setup", "my first rule": a noun after its determiner, not a heading
                and not (
                    tok.text in ("setup", "rule", "step") and current and current[-1].text in _DETERMINERS
                )
                and not (tok.text in _SUBJECTS and _awaits_consequence(current) and run < 2 * _LONG_CLAUSE)
            ):  # "when the close crosses above the line i go long": the consequence stays with its condition
                flush(True)
                run = 0
            current.append(tok)
            plain = plain or at in plain_at
            run += 1
        # A written script's segment is a sentence or line; a recognizer's segment border is a pause, except
        # where it wrote a comma there: "when I see that second close, | I buy at the next open" goes on.
        if not (punctuated and tokens and (tokens[-1].text == "," or _unfinished(current))):
            flush(True)
        if not seg.text.strip():
            paragraph += 1
    flush(True)  # the last segment may end on a comma: what it says is still a clause
    return out

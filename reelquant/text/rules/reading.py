"""Stage 5: read a whole lesson: every clause's frames, with references resolved against what the lesson
said before ("it", "both of them", "the nine", "the 200-day", settings said once), and each frame tied to
the words (times, segments) it came from. `Reading` is what `build_specs` turns into StrategySpecs and what
the `trading_concepts` table stores.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from reelquant.indicators import REGISTRY, Scale
from reelquant.speech.transcript import Transcript
from reelquant.strategy.spec import Condition, Operand
from reelquant.text.rules import vocab
from reelquant.text.rules.frames import (
    Action,
    ClauseMarks,
    Comparison,
    clause_marks,
    explained_from,
    find_actions,
    find_comparisons,
    hedge_cues,
    stay_out_at,
    story_cues,
)
from reelquant.text.rules.normalize import (
    NUMBERED_HEADINGS,
    TAKES_BACK,
    UNCLEAR_CONFIDENCE,
    Clause,
    clauses,
    render,
)
from reelquant.text.rules.operands import Mention, find_mentions, split_fits
from reelquant.text.rules.stops import (
    StopFrame,
    data_needs,
    pattern_needs,
    read_stops,
    stop_words,
    timeframes,
)


@dataclass
class Evidence:
    """Where a frame was said: seconds, segment ids and the words."""

    start_s: float
    end_s: float
    segments: list[int]
    text: str


@dataclass
class RuleFrame:
    """A condition said with an action: `part` is "long.entry", "long.exit", "short.entry", "short.exit",
    or "exit" (the side is decided with the whole setup); `condition` is a StrategySpec Condition dict."""

    setup: int
    part: str
    condition: dict[str, Any]
    evidence: Evidence
    clause: int
    recap: bool = False
    side_context: str | None = None
    restated: bool = False  # said again with no action: updates the number of the rule it restates


@dataclass
class SettingFrame:
    """A lesson-level statement: a stop field, the timeframe, a side restriction, a data need, a note."""

    setup: int
    kind: str  # a stop field, "timeframe", "long_only", "short_only", "mirror", "always_in", "no_stop",
    #            "unsupported", "assumption", "setup_name"
    value: Any
    evidence: Evidence
    clause: int
    recap: bool = False
    unit: str = ""


@dataclass
class Reading:
    """Everything the reader found in one lesson, in the order it was said."""

    rules: list[RuleFrame] = field(default_factory=list)
    settings: list[SettingFrame] = field(default_factory=list)
    clause_count: int = 0
    word_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Reading:
        rules = [RuleFrame(**{**r, "evidence": Evidence(**r["evidence"])}) for r in d.get("rules", [])]
        settings = [
            SettingFrame(**{**s, "evidence": Evidence(**s["evidence"])}) for s in d.get("settings", [])
        ]
        return cls(rules, settings, d.get("clause_count", 0), d.get("word_count", 0))

    def records(self) -> list[dict[str, Any]]:
        """One JSON-safe row per candidate rule, stop or setting (the `trading_concepts` table)."""
        rows = []
        for r in self.rules:
            cond = Condition.model_validate(r.condition)
            rows.append(
                {
                    "kind": "rule",
                    "part": r.part,
                    "setup": r.setup,
                    "text": r.evidence.text,
                    "start_s": r.evidence.start_s,
                    "end_s": r.evidence.end_s,
                    "segments": list(r.evidence.segments),
                    "detail": cond.describe(),
                    "recap": r.recap,
                }
            )
        for s in self.settings:
            rows.append(
                {
                    "kind": s.kind,
                    "part": s.kind,
                    "setup": s.setup,
                    "text": s.evidence.text,
                    "start_s": s.evidence.start_s,
                    "end_s": s.evidence.end_s,
                    "segments": list(s.evidence.segments),
                    "detail": str(s.value),
                    "recap": s.recap,
                }
            )
        return rows


# ---------------------------------------------------------------- the reader


@dataclass
class _Said:
    """An indicator mention remembered for later references."""

    name: str
    params: dict[str, Any]
    explicit: bool
    clause: int
    generic: bool = False  # an average said without its kind
    plural: bool = False


class _Lesson:
    """What has been said so far: mentions (for "it" and bare windows), families, settings."""

    def __init__(self) -> None:
        self.said: list[_Said] = []
        self.families: set[str] = set()
        self.last_pair: tuple[Mention, Mention] | None = None
        self.last_right: Operand | float | None = None
        self.last_left: Operand | None = None
        # window -> clause: averages read as simple for want of a kind
        self.assumed_simple: dict[int, int] = {}

    def average_kind(self, window: int | None, source: Any = None) -> str | None:
        """The kind of an average said without one ("the 20-day average"): the kind the lesson tied to that
        window ("the 20-day exponential moving average"); else the kind it said its averages are ("two
        exponential moving averages"); for an average said with no window, the one average the lesson named
        by kind. Only averages of the same series count (a volume average is not a price average).
        None: the lesson does not say (read as simple, with an assumption)."""
        kinds = [
            s
            for s in self.said
            if s.name in vocab.AVERAGES and not s.generic and s.params.get("source") == source
        ]
        if window is not None:
            tied = {s.name for s in kinds if s.explicit and s.params.get("window") == window}
            if len(tied) == 1:
                return tied.pop()
            if tied:
                return None
        declared = {s.name for s in kinds if s.plural and not s.explicit}
        if len(declared) == 1:
            return declared.pop()
        if window is None:
            named = {(s.name, s.params.get("window")) for s in kinds if s.explicit}
            if len(named) == 1 and not any(s.generic and s.explicit for s in self.said):
                return named.pop()[0]
        return None

    def explicit_params(self, name: str, clause: int) -> dict[str, Any] | None:
        """Parameters of the nearest mention of `name` that said them: before this clause, else after."""
        before = [s for s in self.said if s.name == name and s.explicit and s.clause <= clause]
        if before:
            return before[-1].params
        after = [s for s in self.said if s.name == name and s.explicit]
        return after[0].params if after else None

    def by_window(self, window: int, clause: int) -> _Said | None:
        cands = [
            s
            for s in self.said
            if s.explicit
            and s.params.get("window") == window
            and REGISTRY[s.name].scale == Scale.PRICE
            and s.name not in vocab.PRICE
            and s.name in vocab.AVERAGES
        ]
        before = [s for s in cands if s.clause <= clause]
        said = before[-1] if before else (cands[0] if cands else None)
        if said is not None and said.generic:
            kind = self.average_kind(window, said.params.get("source"))
            if kind is None:
                self.assumed_simple.setdefault(window, clause)
            return replace(said, name=kind or said.name, generic=False)
        return said


def _evidence(c: Clause, i: int = 0, j: int | None = None) -> Evidence:
    toks = c.tokens[i:j] or c.tokens
    return Evidence(
        round(toks[0].start, 3), round(toks[-1].end, 3), sorted({t.segment for t in toks}), render(c.tokens)
    )


def read_lesson(transcript: Transcript) -> Reading:
    """Every rule, stop and setting the lesson states, with provenance."""
    cls = clauses(transcript)
    for k, c in enumerate(cls):
        _apply_corrections(c, cls[k + 1] if k + 1 < len(cls) else None)
    # a clause that was all correction ("No, 25.") gave its number to the one before it
    cls = [replace(c, index=i) for i, c in enumerate(x for x in cls if x.tokens)]
    reading = Reading(clause_count=len(cls), word_count=transcript.word_count)
    lesson = _Lesson()
    # Pass 1: every mention, so settings said once (before or after) are known everywhere.
    per_clause: list[tuple[Clause, ClauseMarks, list[Action], list[Mention]]] = []
    said_at: list[tuple[int, str]] = [(c.index, f) for c in cls for f in _family_scan(c)]
    families = {f for _, f in said_at}
    example_from: int | None = None
    example_words = 0
    told: set[int] = set()  # clauses inside a worked example or a habit given up
    for c in cls:
        actions = find_actions(c)
        claimed = {k for a in actions for k in range(a.at, a.end)}
        # the family the lesson names most, then the one named last before this clause
        times = Counter(f for _, f in said_at)
        before = [f for i, f in said_at if i <= c.index][::-1]
        after = [f for i, f in said_at if i > c.index]
        order = sorted(dict.fromkeys(before + after), key=lambda f: -times[f])
        mentions = find_mentions(c, claimed, order)
        named = {k for m in mentions if m.kind == "indicator" for k in range(m.start, m.end)}
        marks = clause_marks(c, named)
        # "somebody asked whether | I short the opposite when ...": a question cut off by a pause goes on
        if per_clause and per_clause[-1][0].words[-1:] and per_clause[-1][0].words[-1] in _ASKS_ON:
            marks.question = True
        # "somebody asked whether I short the opposite | when a stock is 3 percent above the EMA": a condition
        # with no action of its own, right after a reported question, is the question's
        if per_clause and per_clause[-1][1].question and c.words[:1] and c.words[0] in vocab.CONDITIONAL \
                and not actions:
            marks.question = True
        # A worked example runs on until the lesson turns back to its rules (a rule or step heading, a
        # summary) or says the numbers were only an example; none of it is a rule.
        if any(x in _EXAMPLE_WORDS for x in c.words):
            example_from = c.index
            example_words = 0
            marks.story = True
            told.add(c.index)
        elif example_from is not None:
            example_words += len(c.words)
            if _back_to_rules(c.words) or example_words > _EXAMPLE_REACH:
                example_from = None
            else:
                marks.story = True
                told.add(c.index)
        # "Yeah, I used to do that. Only take the longs above the 200 day.": the habit is told on
        if (
            per_clause
            and _used_to(per_clause[-1][0].words)
            and not any(not a.negated for a in actions)
            and not any(x in ("now", "changed", "today", "nowadays") for x in c.words)
        ):
            marks.story = True
            told.add(c.index)
        # settings count where the lesson sets its tools up, not in a story ("an ADX of 15 goes nowhere")
        if not (marks.story or marks.question or marks.optional):
            _settings_said(c, mentions, lesson)
            for m in mentions:
                if m.kind == "indicator" and m.indicator:
                    lesson.said.append(
                        _Said(m.indicator, dict(m.params), m.explicit, c.index, m.generic, m.plural_name)
                    )
        per_clause.append((c, marks, actions, mentions))
    lesson.families = families
    # Pass 2: frames.
    setup = 0
    names: dict[tuple[str, ...], int] = {}
    recap = False
    pending: list[tuple[Condition, Clause, Comparison, bool]] = []
    last_action_clause: tuple[int, Action] | None = None
    hungry: tuple[int, Action] | None = None  # an action that ended its clause without a condition
    listing: tuple[int, Action] | None = None  # an entry that took required conditions ("needs both ...")
    described: tuple[int, list[tuple[Comparison, Condition]], ClauseMarks] | None = None  # a zone described
    header: tuple[int, Action] | None = None
    dangling: list[tuple[Condition, Clause, Comparison]] = []
    unattached: list[tuple[Condition, Clause, Comparison]] = []
    definitions: dict[tuple[str, ...], list[Condition]] = {}
    defining: tuple[int, tuple[str, ...]] | None = None  # the clause that defined a pattern last
    stop_context: tuple[int, str] | None = None
    topic: str | None = None
    before: list[str] = []  # the words of the clause before: "let the double bottom finish, then buy ..."
    for c, marks, actions, mentions in per_clause:
        w = c.words
        # only a plain statement before carries a pattern over ("I never trade double tops" does not)
        plain = not (marks.negated or marks.story or marks.question or marks.optional or marks.hedge)
        said_before, before = before, (w if plain and not any(a.negated for a in actions) else [])
        if marks.setup is not None:
            setup = marks.setup
            recap = False
            pending = []
            if marks.setup_name:
                names[marks.setup_name] = setup
                reading.settings.append(
                    SettingFrame(setup, "setup_name", " ".join(marks.setup_name), _evidence(c), c.index)
                )
        else:
            for name, idx in names.items():
                if _contains(w, name):
                    setup = idx
        if marks.recap:
            recap = True
        ev = _evidence(c)

        def note(
            kind: str,
            value: Any,
            unit: str = "",
            _c: Clause = c,
            _ev: Evidence = ev,
            _s: int = setup,
            _r: bool = recap,
        ) -> None:
            reading.settings.append(SettingFrame(_s, kind, value, _ev, _c.index, _r, unit))

        said_plainly = not (marks.negated or marks.question or marks.optional or marks.story)
        for flag in ("long_only", "short_only", "mirror", "always_in"):
            if getattr(marks, flag) and (said_plainly or flag in ("long_only", "short_only")):
                note(flag, True)
        for _, tf in timeframes(w):
            note("timeframe", tf)
        # stops
        kinds = stop_words(w)
        ctx = stop_context[1] if stop_context and c.index - stop_context[0] <= 2 else None
        # a number the recognizer was unsure of, unless the clause says the same number clearly too ("the 40
        # week average, 40 weeks is roughly ...": the second 40 repeats the first)
        clear = {t.value for t in c.tokens
                 if t.is_number and (t.confidence is None or t.confidence >= UNCLEAR_CONFIDENCE)}
        unclear = [
            t.text
            for t in c.tokens
            if t.is_number and t.confidence is not None and t.confidence < UNCLEAR_CONFIDENCE
            and t.value not in clear
        ]
        found, no_stop = read_stops(c, mentions, ctx)
        if no_stop:
            note("no_stop", True)
        if not (marks.question or marks.story or marks.hedge or marks.optional):
            for f in found:
                note(f.field, f.value, f.unit)
        if kinds:
            stop_context = (c.index, kinds[-1][1])
        # comparisons
        comps = find_comparisons(c, mentions)
        if (kinds or ctx) and not comps and not any(f.field == "atr_window" for f in found) and not (
            marks.question or marks.story or marks.hedge or marks.optional or marks.negated
        ):
            # "The stop goes two times the ATR below the entry. Using the 20 day ATR.": the window said apart
            for m in mentions:
                if m.indicator == "atr" and m.explicit and "window" in m.params and not m.bare_number_before:
                    note("atr_window", float(m.params["window"]))
        if unclear and (found or comps):
            note(
                "unsupported",
                f"a rule's size could not be read (the recognizer was unsure of "
                f"'{unclear[0]}'): \"{render(c.tokens)}\"",
            )
        inside = {k for m in mentions if m.kind == "indicator" for k in range(m.start, m.end)}
        marks.settings = marks.settings or any(
            x in vocab.SETTING_WORDS and k not in inside for k, x in enumerate(w)
        )
        live = [a for a in actions if not a.negated]
        # data a rule needs: said as part of a rule (an action, a comparison, a "has to"), not in a story
        has_rule_words = bool(live) or bool(comps) or marks.modal
        needs = (
            list(dict.fromkeys(data_needs(w) + (pattern_needs(said_before) if not comps else [])))
            if has_rule_words and not (marks.story or marks.question or marks.optional)
            else []
        )
        for what in needs:
            note("unsupported", f'needs {what}: "{render(c.tokens)}"')
        resolved: list[tuple[Comparison, Condition]] = []
        # "ROC 12 above zero, so the price is higher than 12 weeks ago": what follows "so" explains the rule
        cut = explained_from(w)
        if cut is not None and any(comp.at < cut for comp in comps):
            comps = [comp for comp in comps if comp.at < cut]
        # "Yesterday, Williams %R was above -20": a clause set on the bar before
        day_before = _opens_with(c, _DAY_BEFORE)
        for comp in comps:
            if (
                day_before
                and comp.left.kind == "indicator"
                and comp.left.offset == 0
                and comp.right.kind == "number"
            ):
                comp.left.offset = 1
            cond_list = _resolve(comp, c, mentions, lesson, topic)
            for cond in cond_list:
                resolved.append((comp, cond))
        # "An inside bar is a day whose high is lower than the previous day's high, ...": a pattern the
        # lesson defines; "Yesterday must be an inside bar" then says its conditions, a bar earlier
        name = _defines(w)
        if name and resolved:
            definitions[name] = [cond for _, cond in resolved]
            defining = (c.index, name)
            continue
        if defining and defining[0] == c.index - 1 and resolved and w[:1] == ["and"] and "whose" in w[1:3]:
            # "... a day whose high is lower than the previous day's high | and whose low is higher ...": the
            # definition goes on
            definitions[defining[1]] += [cond for _, cond in resolved]
            defining = (c.index, defining[1])
            continue
        for name, conds in definitions.items():
            at = _says_pattern(w, name)
            if at is not None and not resolved and not marks.negated:
                shift = 1 if "yesterday" in w[:at] else 0
                for cond in conds:
                    resolved.append(
                        (
                            Comparison(
                                Mention("ref", at, at),
                                cond.op,
                                Mention("ref", at, at),
                                cond.for_bars,
                                at,
                                at,
                                at + len(name),
                            ),
                            _shifted(cond, shift),
                        )
                    )
                marks.modal = True
        # the topic: the last non-price indicator said
        for m in mentions:
            if m.kind == "indicator" and m.indicator not in vocab.PRICE and m.indicator not in ("atr",):
                topic = m.indicator
        if (
            not c.punctuated
            and resolved
            and (marks.hedge or marks.story)
            and not _used_to(w)
            and c.index not in told
        ):
            # likewise a hedge ("... we buy honestly below 5 is even better") or a story cue ("... that usually
            # happens a few days later") reaches only its own stretch of words
            cues = (hedge_cues(w) if marks.hedge else []) + (story_cues(w) if marks.story else [])
            kept = [
                (comp, cond) for comp, cond in resolved if not any(_same_stretch(w, comp.at, k) for k in cues)
            ]
            if kept:
                marks.hedge = marks.story = False
                resolved = kept
        if marks.negated and (not c.punctuated or ("," in w and not any(a.negated for a in actions))):
            # without punctuation a negation reaches only its own stretch of words ("... you're in long
            # that's it i don't short this"), and so in a sentence a recognizer ran on with commas ("I'm never
            # going to be a bear, and when the nine crosses back under the 21, you're out"): keep the
            # comparisons outside it
            kept = [(comp, cond) for comp, cond in resolved if not _negated_near(w, comp.at)]
            marks.negated = not kept and bool(resolved)
            resolved = kept
        if marks.stay_out and not (marks.question or marks.optional or marks.story):
            # "If price is below the 200-day, we do nothing": a filter for the next entry, the other way round
            at = stay_out_at(w) or 0
            # "..., otherwise stay out": what was said before is the filter itself, not its opposite
            otherwise = "otherwise" in w[max(0, at - 3) : at]
            # "... below the 200-day | we do nothing": said in the clause before
            if at <= 2 and not otherwise:
                # (not when that clause stayed out itself: "If it's below, I'm not buying. I'm not buying anything.")
                flipped = [
                    (_negation(cond), pc, comp, True)
                    for cond, pc, comp, _ in pending
                    if pc.index == c.index - 1 and not cond.op.startswith("crosses")
                    and not per_clause[pc.index][1].stay_out
                ]
                pending = [p for p in pending if p[1].index != c.index - 1] + flipped
            # "price has to be above it, and if it's under it I stand aside": only the "if" stretch is the
            # condition to stay out on; a comparison said before that "if" is the filter as it is
            cue = max((k for k, x in enumerate(w[:at]) if x in vocab.CONDITIONAL), default=-1)
            for comp, cond in resolved:
                if comp.at < at and not cond.op.startswith("crosses"):
                    plain = otherwise or comp.at < cue
                    pending.append((cond if plain else _negation(cond), c, comp, True))
            resolved = [(comp, cond) for comp, cond in resolved if comp.at > at]
            marks.negated = c.punctuated and marks.negated and not live
            if not resolved and not live:
                continue
        if marks.negated and live and any(a.negated for a in actions):
            # "Buy when the close crosses above the EMA, but do not buy when the RSI is above 70": the
            # negated action's condition holds the other way round; the rest of the sentence stands
            own = []
            for comp, cond in resolved:
                act = _action_for(comp, actions, w)
                if act is None or not act.negated:
                    own.append((comp, cond))
                elif not cond.op.startswith("crosses"):
                    _add_rule(
                        reading, setup, replace(act, negated=False), _negation(cond), c, comp, recap, marks
                    )
            resolved = own
            marks.negated = False
        # "do not buy" (not "beginners buy", someone else's action)
        negated_entries = [
            a
            for a in actions
            if a.negated
            and a.part.endswith("entry")
            and any(vocab.negates(w, k) for k in range(max(0, a.at - 3), a.at))
        ]
        if (
            not live
            and negated_entries
            and len(negated_entries) == len(actions)
            and resolved
            and not (marks.question or marks.story or marks.optional)
        ):
            # "Do not buy when the RSI is above 70." said on its own: the opposite is a filter of that entry
            for comp, cond in resolved:
                if not cond.op.startswith("crosses"):
                    pending.append((_negation(cond), c, comp, True))
            continue
        skip = (
            marks.negated
            or marks.hedge
            or marks.optional
            or marks.question
            or marks.story
            or bool(needs)
            or (any(a.negated for a in actions) and not live)
        )
        if skip:
            continue
        if not live:
            # a clause that sets an indicator up ("bands 2 standard deviations above and below it") or tells
            # a story is not a rule until an action says so
            if marks.definition and resolved and not (marks.story or marks.settings):
                # "when the RSI drops below 30 the market is oversold | and that is where I buy"
                described = (c.index, resolved, marks)
            if marks.story or marks.definition or (marks.settings and not _set_up_before(w, resolved)) or not resolved:
                continue
            # "Here is the entry. The MACD line crosses above zero.": the heading's action takes them
            if header is not None and c.index - header[0] <= _HEADER_REACH:
                for comp, cond in resolved:
                    _add_rule(reading, setup, header[1], cond, c, comp, recap, marks)
                continue
            # "we buy | when it drops under ten" in unpunctuated speech: the action came just before
            if (
                last_action_clause
                and last_action_clause[0] == c.index - 1
                and w[:1]
                and w[0] in ("when", "if", "once", "whenever", "as")
            ):
                for comp, cond in resolved:
                    _add_rule(
                        reading,
                        setup,
                        last_action_clause[1],
                        cond,
                        c,
                        comp,
                        recap,
                        _sided(marks, per_clause[last_action_clause[0]][1]),
                    )
                continue
            # unpunctuated: "the entry needs both price must be above the 200-day | and the RSI must drop below
            # 10": a required condition joined by "and" goes on the list of the entry said just before
            if (
                not c.punctuated
                and marks.modal
                and w[:1] == ["and"]
                and listing is not None
                and listing[0] == c.index - 1
            ):
                for comp, cond in resolved:
                    _add_rule(reading, setup, listing[1], cond, c, comp, recap, per_clause[listing[0]][1])
                listing = (c.index, listing[1])
                continue
            for comp, cond in resolved:
                pending.append((cond, c, comp, marks.modal))
            if described is not None and described[0] == c.index - 1:
                # "an overbought market: the RSI above 75 | and the close under the EMA | when both ...":
                # the description goes on, so an action pointing back still follows it
                described = (c.index, described[1], described[2])
            continue
        # an action that ends its clause ("... we sell") may take the conditions of the next ("when ...")
        ends = live[-1].end >= len(w) - 1
        heading = all(x in _HEADING_WORDS or c.tokens[k].is_number for k, x in enumerate(w[: live[-1].at]))
        header = (
            (c.index, live[-1])
            if heading and not resolved and (live[-1].end >= len(w) or w[live[-1].end] == ":"
                                             or set(w[live[-1].end :]) <= _NEEDS_WORDS)
            else None
        )
        # unpunctuated: "a long is closed | when X a short is closed | when Y": an action that ended its
        # clause with no condition of its own takes the "when" clause after it, even one that goes on to
        # the next action
        if (
            not c.punctuated
            and hungry is not None
            and hungry[0] == c.index - 1
            and w[:1]
            and w[0] in ("when", "if", "once", "whenever")
        ):
            first = live[0].at
            mine = [(comp, cond) for comp, cond in resolved if comp.end <= first]
            # the side said before the condition ("if I am short and ..."), not the next action's ("a short is")
            said_side = clause_marks(
                replace(c, tokens=c.tokens[: min([comp.start for comp, _ in mine], default=0)])
            )
            for comp, cond in mine:
                _add_rule(
                    reading,
                    setup,
                    hungry[1],
                    cond,
                    c,
                    comp,
                    recap,
                    _sided(said_side, per_clause[hungry[0]][1]),
                )
            resolved = [x for x in resolved if x not in mine]
        hungry = None
        waiting = (c.index, live[-1]) if ends and not resolved else None
        entries = [a for a in live if a.part.endswith("entry")]
        listing = (c.index, entries[-1]) if entries and resolved and marks.modal else None
        rules_before = len(reading.rules)
        # an action that took the "when ..." said before it ("when X, you buy.") takes no "when" said after it
        took_when = c.punctuated and resolved and any(x in vocab.CONDITIONAL for x in w[: live[-1].at])
        last_action_clause = (c.index, live[-1]) if not resolved or (ends and not took_when) else None
        if (
            described is not None
            and described[0] == c.index - 1
            and not resolved
            and _points_back(w[: live[0].at])
        ):
            for comp, cond in described[1]:
                _add_rule(
                    reading, setup, live[0], cond, per_clause[described[0]][0], comp, recap, described[2]
                )
        described = None
        if dangling and dangling[0][1].index == c.index - 1:
            for cond, pc, comp in dangling:
                _add_rule(reading, setup, live[0], cond, pc, comp, recap, marks)
        dangling = []
        # "when X | i buy when Y | i sell": the first action here already has the "when" said just before
        bound = (
            {live[0].at}
            if not c.punctuated
            and any(
                pc.index == c.index - 1
                and not modal
                and any(x in vocab.CONDITIONAL for x in pc.words[: pcomp.start])
                for _, pc, pcomp, modal in pending
            )
            else set()
        )
        chosen: dict[tuple[int, Any], tuple[int, Comparison, Condition, Action]] = {}
        for comp, cond in resolved:
            act = _action_for(comp, live, w, comps, bound, c.punctuated)
            if act is None:
                dangling.append((cond, c, comp))
                continue
            # "first it has to cross up, and then when it crosses back down, I'm out": for one pair of
            # series an action takes the comparison said nearest to it
            pair = (
                act.at,
                frozenset(repr(o.key()) for o in cond.operands()) | {repr(_num_key(cond))},
                cond.op.startswith("crosses"),
            )
            dist = abs(act.at - comp.at)
            if pair not in chosen or dist < chosen[pair][0]:
                chosen[pair] = (dist, comp, cond, act)
        for _, comp, cond, act in sorted(chosen.values(), key=lambda x: x[1].at):
            _add_rule(reading, setup, act, cond, c, comp, recap, marks)
        # Conditions said before, with no action of their own, belong to the next action: an entry takes
        # the filters said since the last action ("price has to close above it. ... When it drops under
        # ten, we buy"); an exit only what was said just before it ("It closes above the average. Sell.").
        entry = [a for a in live if a.part.endswith("entry")]
        keep = []
        for cond, pc, comp, modal in pending:
            if c.index - pc.index > (_PENDING_REACH if modal else _LOOSE_REACH):
                unattached.append((cond, pc, comp))
                continue
            side = per_clause[pc.index][1].side_context
            fits = [a for a in entry if side not in ("long", "short") or a.part.startswith(side)]
            if fits:
                _add_rule(reading, setup, fits[0], cond, pc, comp, recap, per_clause[pc.index][1])
                if pc.index >= c.index - 1 and not resolved:
                    # "when the close crosses below the line | I sell my long, and I go short": a reversal,
                    # the condition just said closes the one side as it opens the other
                    for act in live:
                        if ({act.part, fits[0].part} in ({"long.exit", "short.entry"}, {"short.exit", "long.entry"})
                                and act.at < fits[0].at <= act.end + 5):  # the other side's exit, just before
                            _add_rule(reading, setup, act, cond, pc, comp, recap, per_clause[pc.index][1])
            elif entry and side in ("long", "short"):
                keep.append((cond, pc, comp, modal))  # "for short trades, ...": waits for the short entry
            elif not entry and not resolved and pc.index >= c.index - 1:
                _add_rule(reading, setup, live[0], cond, pc, comp, recap, per_clause[pc.index][1])
            elif modal and not entry:
                keep.append((cond, pc, comp, modal))  # a required condition waits for an entry (or the end)
            else:
                unattached.append((cond, pc, comp))
        pending = keep
        # the action took conditions said before it ("... both true | i'm a buyer"): it is not waiting
        hungry = waiting if len(reading.rules) == rules_before else None
        if not resolved and any(r.part == live[-1].part for r in reading.rules[rules_before:]):
            # "when the close crosses above the line | I go long | when it crosses below | I sell": the action
            # had its condition, so the "when" after it starts the next rule
            last_action_clause = None
    # "Buy when the close crosses above the EMA. Do not buy when the RSI is above 70.": a filter said after
    # the entry, with no entry after it, belongs to the entry said before it
    left = []
    for cond, pc, comp, modal in pending:
        before = [
            r
            for r in reading.rules
            if r.part.endswith("entry")
            and not r.recap
            and r.clause < pc.index
            and pc.index - r.clause <= _LOOSE_REACH
        ]
        if (
            modal
            and before
            and not any(slot(Condition.model_validate(r.condition)) == slot(cond) for r in before)
        ):
            last = before[-1]
            reading.rules.append(
                RuleFrame(last.setup, last.part, cond.model_dump(mode="json"), _evidence(pc), pc.index, False)
            )
        else:
            left.append((cond, pc, comp))
    _restatements(reading, unattached + left)
    for window, at in sorted(lesson.assumed_simple.items()):
        reading.settings.append(
            SettingFrame(
                0,
                "assumption",
                f"the {window}-bar average is said without its kind: read as a simple moving average",
                _evidence(cls[at]),
                at,
            )
        )
    reading.rules.sort(key=lambda r: r.clause)
    return reading


def _restatements(reading: Reading, loose: list[tuple[Condition, Clause, Comparison]]) -> None:
    """Comparisons said with no action ("What I actually trade is three percent. More than three percent
    below the 20-day EMA.") restate a rule taught before: they update its number, and add nothing new."""
    for cond, pc, _comp in loose:
        earlier = [
            r
            for r in reading.rules
            if r.clause < pc.index
            and not r.recap
            and slot(Condition.model_validate(r.condition)) == slot(cond)
        ]
        if earlier:
            r = earlier[-1]
            reading.rules.append(
                RuleFrame(
                    r.setup,
                    r.part,
                    cond.model_dump(mode="json"),
                    _evidence(pc),
                    pc.index,
                    True,
                    r.side_context,
                    restated=True,
                )
            )


def slot(c: Condition) -> Any:
    """What a condition compares, without its number or scale: two sayings of one rule share a slot."""
    right = ("num",) if not isinstance(c.right, Operand) else (c.right.series_key(), c.right.offset)
    return c.left.key(), c.op in (">", ">=", "crosses_above"), c.op.startswith("crosses"), right, c.for_bars


# "Step two, the long entry.", "Here is the entry:", "Now the exit." (not "that's the entry", a look back)
_HEADING_WORDS = frozenset(
    [
        "here",
        "is",
        "the",
        "our",
        "my",
        "long",
        "short",
        "step",
        "rule",
        "now",
        "so",
        "next",
        "then",
        "and",
        "first",
        "second",
        "third",
        "fourth",
        "number",
        "one",
        ",",
        ":",
        "-",
        "part",
        "finally",
        "okay",
        "ok",
    ]
)
_ASKS_ON = frozenset(["whether", "asked", "asks", "wondering", "wonders"])
# A clause that opens with these is set on the bar before ("Yesterday, Williams %R was above -20")
_DAY_BEFORE = (("yesterday",), ("the", "day", "before"), ("the", "previous", "day"))
_EXAMPLE_WORDS = frozenset(["example", "suppose", "instance", "illustration", "hypothetically"])
_BACK_TO_RULES = frozenset(
    ["rule", "rules", "step", "setup", "summary", "recap", "summarize", "entry", "exit"]
)


def _back_to_rules(words: list[str]) -> bool:
    """Whether a clause turns from a worked example back to the rules: a rule or step heading, a summary, or
    "the entry" / "the exit" named as a part (not "we exit at the next open", which the example goes on with)."""
    return any(
        x in _BACK_TO_RULES
        and not (x in ("entry", "exit") and k > 0 and words[k - 1] in vocab.PRONOUN_SUBJECTS)
        for k, x in enumerate(words)
    )


# "The entry needs both." / "The exit requires two things.": a heading that announces the conditions to come
_NEEDS_WORDS = frozenset(["needs", "need", "requires", "require", "has", "takes", "both", "all", "two", "three",
                          "2", "3", "things", "conditions", "of", "these", "."])

_EXAMPLE_REACH = 90  # words (not clauses: unpunctuated speech cuts into more, shorter clauses)
_HEADER_REACH = 4  # clauses a heading ("Long entry.") reaches
_LOOSE_REACH = 5  # clauses: a condition said without "has to" / "must" reaches only the next action or two
_PENDING_REACH = 15  # clauses: how far back an action's unattached conditions may lie


_LEADS = frozenset(["a", "an", "on", "the", "close", "closes", "daily", "weekly", "hourly", "it", "price"])


def _action_for(
    comp: Comparison,
    live: list[Action],
    words: list[str],
    comps: list[Comparison] | None = None,
    bound: set[int] | None = None,
    punctuated: bool = True,
) -> Action | None:
    """The action a comparison belongs to. "Sell when X": an action followed by "when" takes what comes
    after it; "when X, I buy": any other action takes what was said before it."""

    def bound_back(a: Action) -> bool:
        # "when the 9 crosses over the 21 I go long": this action already has its "when"
        if a.at in (bound or set()):
            return True
        prev_end = max([b.end for b in live if b.end <= a.at], default=0)
        if prev_end and any(x in vocab.CONDITIONAL for x in words[prev_end : prev_end + 3]):
            return False  # "buy when X and sell when Y": that "when" was the action before's
        return any(
            c.end <= a.at + 1
            and c.start >= prev_end
            and any(x in vocab.CONDITIONAL for x in words[prev_end : c.start + 1])
            for c in comps or []
        )

    def forward(a: Action) -> bool:
        # "sell at the next open when ...", "short below the band", "buy a close above": the condition
        # follows the action with nothing that closes the action off ("," "and") in between
        if bound_back(a):
            return False
        for k, x in enumerate(words[a.end : a.end + 7]):
            if x in vocab.CONDITIONAL:
                return True
            if x in (",", "and", "but", "then", "so") or x in vocab.PRONOUN_SUBJECTS:
                return False
            if (x in vocab.ABOVE or x in vocab.BELOW or x in vocab.CROSS) and all(
                t in _LEADS for t in words[a.end : a.end + k]
            ):
                return True
        return False

    before = [a for a in live if a.end <= comp.start]
    # "buy when it is below 30, sell above 70": the subject was carried from before the action, and the
    # action said right before the comparison word takes it
    between = [a for a in live if comp.start < a.at and a.end <= comp.at and forward(a)]
    if between:
        return between[-1]
    if before and forward(before[-1]):
        return before[-1]
    after = [a for a in live if a.at >= comp.end - 1 and not forward(a)]
    if after:
        return after[0]
    if before and any(x in vocab.CONDITIONAL for x in words[before[-1].end : comp.start + 1]):
        return None  # "i buy and when it goes above 70 | i sell": its action is said next
    if (
        before
        and not punctuated
        and words[before[-1].at] not in ("entry", "exit")
        and not (before[-1].at > 0 and words[before[-1].at - 1] in ("the", "for"))  # "for the buy: ..."
        and words[before[-1].end : before[-1].end + 1] not in (["is"], ["are"], [":"])
    ):
        # "... you're long the 20 day line crosses under the 50 | you're out": the next action's; but "the
        # entry needs both price must be above ..." names what follows
        return None
    # "the entry is, X, and Y, the exit is when Z": an action that takes what follows it ("the exit is when")
    # is not the owner of a comparison said before it, however near
    owners = [a for a in live if not (a.at >= comp.end - 1 and forward(a))]
    return min(owners or live, key=lambda a: abs(a.at - comp.at))


_SCOPE_BREAKS = frozenset(
    [
        "that",
        "honestly",
        "when",
        "whenever",
        "if",
        "once",
        "and",
        "but",
        "so",
        "because",
        "then",
        "i",
        "we",
        "you",
        "i'm",
        "we're",
        "you're",
        "that's",
        "it's",
        "okay",
        "now",
        "or",
    ]
)


def _sided(condition: ClauseMarks, action: ClauseMarks) -> ClauseMarks:
    """The marks that say which side a rule is for: the condition's ("if I am short and ..."), else the
    action's ("a long is closed | when ...")."""
    return condition if condition.side_context in ("long", "short") else action


def _set_up_before(words: list[str], resolved: list[tuple[Comparison, Condition]]) -> bool:
    """ "I use the bands on their standard settings, and I'm looking for the close below the lower band":
    the set-up is said, then after a comma the speaker starts anew ("and I ...") before every comparison, so
    the comparisons are a rule (but "the defaults: ..., and bands two deviations above it" sets up)."""
    said = [k for k, x in enumerate(words) if x in vocab.SETTING_WORDS]
    first = min(comp.start for comp, _ in resolved) if resolved else 0
    if said and any(x in vocab.CONDITIONAL for x in words[max(said) : first]):
        return True  # "twenty periods with the bands two ATRs out when a bar closes below the lower band"
    if not said or "," not in words[max(said) : first]:
        return False
    k = max(i for i in range(max(said), first) if words[i] == ",") + 1
    k += 1 if words[k : k + 1] == ["and"] else 0
    return words[k : k + 1] != [] and words[k] in vocab.PRONOUN_SUBJECTS


def _opens_with(c: Clause, phrases: tuple[tuple[str, ...], ...]) -> bool:
    """Whether the clause opens with one of `phrases`, right at its start or after a heading run into it
    ("Step 2, yesterday, ..." where a recognizer wrote a comma for the full stop)."""
    w = c.words
    heading = 0
    while heading < len(w) and (w[heading] in _HEADING_WORDS or c.tokens[heading].is_number):
        heading += 1
    return any(tuple(w[k : k + len(p)]) == p for k in range(heading + 1) for p in phrases)


def _points_back(words: list[str]) -> bool:
    """ "that is where I buy", "this is when we sell", "when both of those are true, I buy": the action
    points at what was just described."""
    return any(
        words[i] in ("that", "this", "that's", "this's")
        and (words[i + 1] in ("where", "when") or words[i + 1 : i + 3] in (["is", "where"], ["is", "when"]))
        or words[i] in ("both", "all")
        and words[i + 1 : i + 3] in (["of", "those"], ["of", "these"], ["of", "them"], ["of", "that"])
        or words[i] in ("those", "these") and words[i + 1] in ("things", "conditions", "two", "three")
        for i in range(len(words) - 1)
    )


def _same_stretch(words: list[str], at: int, k: int) -> bool:
    """Whether word `k` lies in the stretch of words (between cue words) around the comparison at `at`."""
    lo = at
    while lo > 0 and words[lo - 1] not in _SCOPE_BREAKS:
        lo -= 1
    hi = at
    while hi < len(words) and (hi == at or words[hi] not in _SCOPE_BREAKS):
        hi += 1
    return lo - 1 <= k < hi


def _negated_near(words: list[str], at: int) -> bool:
    """Whether a negation shares the stretch of words (between cue words) with the comparison at `at`."""
    lo = at
    while lo > 0 and words[lo - 1] not in _SCOPE_BREAKS:
        lo -= 1
    lo = max(0, lo - 1)
    hi = at
    while hi < len(words) and (hi == at or words[hi] not in _SCOPE_BREAKS):
        hi += 1
    return any(vocab.negates(words, k) for k in range(lo, hi))


def _defines(words: list[str]) -> tuple[str, ...] | None:
    """The name a clause defines: "an inside bar is a day whose ..." -> ("inside", "bar"); also as a recognizer
    writes it contracted, "and inside bars a day whose ..." (an inside bar's a day)."""
    for i in range(len(words) - 4):
        # "definitions, and inside bar's a day ...", also after a run-on ("... no exit at all, definitions, and ...")
        if words[i] in ("a", "an", "and") and (i < 2 or words[i - 1] == ","):
            for j in range(i + 2, min(i + 5, len(words) - 2)):
                said = words[j]
                if (said.endswith("'s") or (said.endswith("s") and len(said) > 3)) and words[j + 1] in ("a", "an") \
                        and words[j + 2] in ("day", "bar", "candle", "week", "session"):
                    return (*words[i + 1 : j], said[:-2] if said.endswith("'s") else said[:-1])
        if words[i] in ("a", "an") and i < 2:
            for j in range(i + 2, min(i + 5, len(words) - 2)):
                if (
                    words[j] == "is"
                    and words[j + 1] in ("a", "an", "when")
                    and (
                        words[j + 2] in ("day", "bar", "candle", "week", "session") or words[j + 1] == "when"
                    )
                ):
                    return tuple(words[i + 1 : j])
    return None


def _says_pattern(words: list[str], name: tuple[str, ...]) -> int | None:
    """Where a clause says that a bar is the defined pattern ("yesterday must be an inside bar")."""
    n = len(name)
    for i in range(1, len(words) - n + 1):
        if (
            tuple(words[i : i + n]) == name
            and words[i - 1] in ("a", "an")
            and any(x in ("is", "be", "was", "must") for x in words[max(0, i - 4) : i])
        ):
            return i
    return None


def _shifted(cond: Condition, bars: int) -> Condition:
    """The condition read `bars` bars earlier (every operand's offset moved back)."""
    if not bars:
        return cond
    left = cond.left.model_copy(update={"offset": cond.left.offset + bars})
    right = (
        cond.right.model_copy(update={"offset": cond.right.offset + bars})
        if isinstance(cond.right, Operand)
        else cond.right
    )
    return cond.model_copy(update={"left": left, "right": right})


def _num_key(cond: Condition) -> Any:
    """A number on the right side keeps apart two thresholds on one series ("above 20 and below 80")."""
    return None if isinstance(cond.right, Operand) else float(cond.right)


def _used_to(words: list[str]) -> bool:
    return any(words[i : i + 2] == ["used", "to"] for i in range(len(words) - 1))


def _negation(cond: Condition) -> Condition:
    """The condition that holds when `cond` does not ("not above 70" is "at most 70")."""
    return cond.model_copy(update={"op": {">": "<=", ">=": "<", "<": ">=", "<=": ">"}[cond.op]})


def _contains(words: list[str], name: tuple[str, ...]) -> bool:
    """Whether the words say the name, hyphens aside ("the 2 times - close" says "2 times close")."""
    name = tuple(x for x in name if x != "-")
    words = [x for x in words if x != "-"]
    n = len(name)
    return any(tuple(words[i : i + n]) == name for i in range(len(words) - n + 1))


def _family_scan(c: Clause) -> set[str]:
    """The families a clause names by a word of their own ("keltner", "bollinger")."""
    fams = vocab.family_tokens()
    return {fams[w] for w in c.words if w in fams}


_CORRECTION = frozenset(
    [
        "no",
        "sorry",
        "mean",
        "actually",
        "wait",
        "rather",
        "correction",
        "oops",
        "i",
        "make",
        "that",
        ",",
        "-",
        "scratch",
        "not",
    ]
)


def _apply_corrections(c: Clause, following: Clause | None = None) -> None:
    """ "Seventy, no sorry, eighty" -> eighty: a number taken back goes, with the words taking it back; also
    where a recognizer ended the sentence at the correction ("... above 70, no sorry | 80, 80, I always ...")."""
    toks = c.tokens
    if following is not None and following.tokens and following.tokens[0].is_number:
        end = len(toks)
        i = end - 1
        while i >= 0 and toks[i].text in _CORRECTION:
            i -= 1
        taken_back = i >= 0 and toks[i].is_number and any(
            t.text in TAKES_BACK for t in toks[i + 1 :])
        if taken_back and end - i <= 6:
            toks[i:] = [following.tokens.pop(0)]
            while following.tokens and following.tokens[0].text == ",":
                following.tokens.pop(0)
    if following is not None and toks and toks[-1].is_number:
        # "... and the ADX is above 20. | No, 25. | ...": the next sentence takes the number back
        j = 0
        while j < len(following.tokens) and following.tokens[j].text in _CORRECTION:
            j += 1
        said = any(t.text in TAKES_BACK for t in following.tokens[:j])
        if said and 0 < j <= 4 and j < len(following.tokens) and following.tokens[j].is_number:
            toks[-1] = following.tokens[j]
            del following.tokens[: j + 1]
    i = 0
    while i < len(toks):
        if toks[i].is_number:
            j = i + 1
            said = False
            while j < len(toks) and toks[j].text in _CORRECTION:
                said = said or toks[j].text in TAKES_BACK
                j += 1
            if said and j < len(toks) and toks[j].is_number and j - i <= 6:
                del toks[i:j]
                continue
        i += 1


# Words after a number that say which setting it is ("2.5 standard deviations", "2 ATRs", "20 periods").
_PARAM_UNITS = {
    "standard": "std",
    "deviation": "std",
    "deviations": "std",
    "std": "std",
    "sigma": "std",
    "atr": "mult",
    "atrs": "mult",
    "multiplier": "mult",
}


# Words whose number names a part of the lesson, never an indicator's setting.
_NUMBERED = NUMBERED_HEADINGS | {"unit", "chapter", "part", "number"}


def _chart_period(w: list[str], at: int) -> bool:
    """Whether the words from `at` say the chart's bar length ("-hour bars", "minute chart")."""
    rest = [x for x in w[at : at + 3] if x != "-"]
    return len(rest) >= 2 and rest[0] in ("minute", "minutes", "hour", "hourly", "day", "week") and rest[1] in (
        "bars", "bar", "chart", "charts", "candles", "candle", "timeframe")


def _settings_said(c: Clause, mentions: list[Mention], lesson: _Lesson) -> None:
    """ "Settings is 10 and 3", "we set it to two periods", "twenty days, but two and a half standard
    deviations, not the usual two": numbers for the indicator the talk is about."""
    w = c.words
    said_settings = any(x in vocab.SETTING_WORDS for x in w)

    def unit_after(m: Mention) -> str:
        return w[m.end] if m.end < len(w) else ""

    # numbers that are not a comparison's level ("over 80") nor taken back ("not the usual two")
    loose = [
        m
        for m in mentions
        if m.kind in ("number", "window")
        and not m.percent
        and not any(x in vocab.NEGATIONS for x in w[max(0, m.start - 3) : m.start])
        and not (m.start > 0 and (w[m.start - 1] in vocab.ABOVE or w[m.start - 1] in vocab.BELOW))
        and (said_settings or unit_after(m) in _PARAM_UNITS)
        and (unit_after(m) in _PARAM_UNITS or not vocab.counts_things(w, m.start))  # "the two outer lines"
        and not vocab.said_running(w[m.end : m.end + 4])  # "for two sessions running" counts bars held
        and not (m.start > 0 and w[m.start - 1] in _NUMBERED)  # "setup one, ... its default settings"
        and not _chart_period(w, m.end)  # "on 1-hour bars, ... the Keltner channel": the chart's bars
    ]
    if not loose:
        return
    named = [m for m in mentions if m.kind == "indicator" and m.indicator not in vocab.PRICE]
    target = None
    if named:
        target = named[0] if not named[0].explicit else None
    elif lesson.said:
        cands = [s for s in lesson.said if s.name not in vocab.PRICE and s.clause >= c.index - 3]
        target = cands[-1] if cands else None
    if target is None:
        return
    name = target.indicator if isinstance(target, Mention) else target.name
    if name is None:
        return
    decl = REGISTRY[name]
    params: dict[str, Any] = {}
    positional = []
    for m in loose:
        unit = w[m.end] if m.end < len(w) else ""
        key = (
            _PARAM_UNITS.get(unit)
            or ("window" if unit in vocab.BAR_UNITS or m.kind == "window" else None)
            or _named_before(decl, w[max(0, m.start - 4) : m.start])
        )
        if key in decl.param_names and key not in params:
            params[key] = float(m.value or 0)
        else:
            positional.append(float(m.value or 0))
    if len(loose) == 1 and not params:
        # "keltner channels set to twenty two point five": 20 and 2.5, where the joined 22.5 fits worse
        tok = c.tokens[loose[0].start]
        if tok.split and split_fits(decl.params, float(tok.value or 0), tok.split, c.tokens, loose[0].start):
            positional = list(tok.split)
    for p in decl.params:
        if p.name not in params and positional:
            params[p.name] = positional.pop(0)
    for p in decl.params:
        if p.name in params:
            v = params[p.name]
            if p.integer and not float(v).is_integer():
                return
            params[p.name] = int(v) if p.integer else v
    if params:
        lesson.said.append(_Said(name, params, True, c.index))


def _named_before(decl: Any, words: list[str]) -> str | None:
    """The parameter a number's lead-in names by the registry's name or alias ("the acceleration factor
    starts at 0.02", "it maxes out at 0.2")."""
    for p in decl.params:
        names = (p.name, *p.aliases)
        if any(x in names or (len(p.name) >= 3 and x.startswith(p.name)) for x in words):
            return str(p.name)
    return None


def _operand(m: Mention, lesson: _Lesson, clause: int) -> Operand | None:
    name = m.indicator
    if name is None:
        return None
    params = dict(m.params)
    if m.generic:
        window = params.get("window") if m.explicit else None
        kind = lesson.average_kind(int(window) if window is not None else None, params.get("source"))
        if kind is None and window is not None:
            lesson.assumed_simple.setdefault(int(window), clause)
        name = kind or name
    if not m.explicit and REGISTRY[name].params:
        said = lesson.explicit_params(name, clause)
        if said:
            params = {**said, **{k: v for k, v in params.items() if k == "source"}}
        elif m.family:
            # a family member said without settings takes the settings said for the family
            for other in REGISTRY.values():
                if other.family == m.family and other.name != name:
                    said = lesson.explicit_params(other.name, clause)
                    if said:
                        params = {
                            **{k: v for k, v in said.items() if k != "source"},
                            **{k: v for k, v in params.items() if k == "source"},
                        }
                        break
    try:
        return Operand(indicator=name, params=params, offset=m.offset, scale=m.scale)
    except ValueError:
        return None


def _scale(op: Operand) -> Scale:
    if op.params.get("source") == "volume":
        return Scale.VOLUME
    return REGISTRY[op.indicator].scale


def _resolve(
    comp: Comparison, c: Clause, mentions: list[Mention], lesson: _Lesson, topic: str | None
) -> list[Condition]:
    """The comparison as StrategySpec conditions, or none when its operands do not make sense together."""
    right_m, left_m = comp.right, comp.left
    # the right side first: it decides what an unnamed subject is
    right: Operand | float | None = None
    if right_m.kind == "number":
        right = float(right_m.value or 0.0)
    elif right_m.kind == "window":
        said = lesson.by_window(int(right_m.value or 0), c.index)
        if said is not None:
            right = Operand(indicator=said.name, params=said.params)
        elif right_m.end - right_m.start > 1 and right_m.start == comp.at + 1:
            return []  # "the CCI over 20 bars": a span of bars, no level, when no average has that window
        else:
            right = float(right_m.value or 0.0)
    elif right_m.kind == "indicator":
        right = _operand(right_m, lesson, c.index)
    lefts: list[Operand] = []
    if left_m.kind == "indicator":
        op = _operand(left_m, lesson, c.index)
        if op is not None:
            lefts = [op]
    elif left_m.kind == "window":
        said = lesson.by_window(int(left_m.value or 0), c.index)
        if said is not None:
            lefts = [Operand(indicator=said.name, params=said.params)]
    elif left_m.kind == "ref":
        if right_m.kind == "ref" and right_m.elided and lesson.last_left is not None:
            lefts = [lesson.last_left]  # "first it has to cross up": the two lines that were crossing
        elif (
            right_m.kind == "ref"
            and not right_m.offset
            and not left_m.plural
            and lesson.last_left is not None
            and isinstance(lesson.last_right, Operand)
        ):
            # "sell when it falls back below it": the subject and the line of the comparison said last
            lefts = [lesson.last_left]
            right = lesson.last_right
        elif left_m.plural and lesson.last_pair is not None:
            lefts = [
                x
                for x in (
                    _operand(lesson.last_pair[0], lesson, c.index),
                    _operand(lesson.last_pair[1], lesson, c.index),
                )
                if x is not None
            ]
        elif isinstance(right, Operand) and _scale(right) == Scale.PRICE:
            lefts = [Operand(indicator="close")]
        elif isinstance(right, Operand) and _scale(right) == Scale.VOLUME:
            lefts = [Operand(indicator="volume")]
        else:
            name = _recent_indicator(c, left_m, mentions, lesson, topic)
            if name:
                op = _operand(
                    Mention("indicator", 0, 0, indicator=name, family=REGISTRY[name].family), lesson, c.index
                )
                if op is not None:
                    lefts = [op]
    if not lefts:
        return []
    if right_m.kind == "ref" and right_m.elided:
        right = lesson.last_right
    elif right_m.kind == "ref" and isinstance(right, Operand) and left_m.kind == "ref":
        pass  # taken from the comparison said last, above
    elif right_m.kind == "ref":
        if right_m.offset:
            right = Operand(indicator=lefts[0].indicator, params=lefts[0].params, offset=right_m.offset)
        else:
            # "price has to close above it": the last thing named that is not the subject
            name = _recent_other(c, right_m, mentions, lesson, lefts[0])
            if name is not None:
                right = name.model_copy(update={"scale": right_m.scale}) if right_m.scale != 1.0 else name
    if isinstance(right, float) and lefts and _scale(lefts[0]) == Scale.PRICE and right.is_integer():
        said = lesson.by_window(int(right), c.index)  # "... crosses back below thirty": the 30 average
        if said is not None:
            right = Operand(indicator=said.name, params=said.params)
    if right is None:
        return []
    out = []
    for left in lefts:
        cond = _checked(left, comp.op, right, comp.for_bars)
        if cond is not None:
            out.append(cond)
    if comp.left.kind == "indicator" and comp.right.kind == "indicator":
        lesson.last_pair = (comp.left, comp.right)
    if out:
        lesson.last_right = out[0].right
        lesson.last_left = out[0].left
    return out


def _recent_indicator(
    c: Clause, ref: Mention, mentions: list[Mention], lesson: _Lesson, topic: str | None
) -> str | None:
    here = [
        m for m in mentions if m.kind == "indicator" and m.end <= ref.start and m.indicator not in vocab.PRICE
    ]
    if here:
        return here[-1].indicator
    return topic


def _recent_other(
    c: Clause, ref: Mention, mentions: list[Mention], lesson: _Lesson, left: Operand
) -> Operand | None:
    here = [
        m for m in mentions if m.kind == "indicator" and m.end <= ref.start and m.indicator != left.indicator
    ]
    if here:
        return _operand(here[-1], lesson, c.index)
    before = [
        s
        for s in lesson.said
        if s.clause < c.index and s.name != left.indicator and s.name not in vocab.PRICE
    ]
    if before:
        s = before[-1]
        try:
            return Operand(
                indicator=s.name,
                params=s.params if s.explicit else (lesson.explicit_params(s.name, c.index) or {}),
            )
        except ValueError:
            return None
    return None


# A channel drawn with today's bar can never be broken by today's close; "breaks above the upper Donchian
# channel" means above the channel as it stood before today (registry: highest_high covers the prior bars).
_PRIOR_BARS = {
    ("donchian_high", ">"): "highest_high",
    ("donchian_high", "crosses_above"): "highest_high",
    ("donchian_low", "<"): "lowest_low",
    ("donchian_low", "crosses_below"): "lowest_low",
}


def _checked(left: Operand, op: str, right: Operand | float, for_bars: int) -> Condition | None:
    """A condition whose two sides live on the same scale (RSI with 0..100, price with price), else None."""
    ls = _scale(left)
    if isinstance(right, Operand) and (left.indicator == "atr") != (right.indicator == "atr"):
        return (
            None  # the ATR is a distance in price units, not a price level: "2 ATR from the entry" is a stop
        )
    if isinstance(right, Operand) and left.indicator in vocab.PRICE and (right.indicator, op) in _PRIOR_BARS:
        right = right.model_copy(update={"indicator": _PRIOR_BARS[(right.indicator, op)]})
    if isinstance(right, Operand):
        if (
            left.indicator == "volume"
            and REGISTRY[right.indicator].takes_source
            and "source" not in right.params
        ):
            # "volume above its 20-day average": the average of volume
            right = Operand(
                indicator=right.indicator,
                params={**right.params, "source": "volume"},
                offset=right.offset,
                scale=right.scale,
            )
        rs = _scale(right)
        if left.series_key() == right.series_key() and left.offset == right.offset:
            return None  # "seven percent under my entry price": a series against itself is a stop distance
        if ls != rs and not ({ls, rs} <= {Scale.OSCILLATOR} or {ls, rs} <= {Scale.UNBOUNDED}):
            return None
        return Condition(left=left, op=op, right=right, for_bars=for_bars)  # type: ignore[arg-type]
    value = float(right)
    if ls in (Scale.PRICE, Scale.VOLUME):
        return None  # a price compared with a bare small number is a level of one chart, not a rule
    if ls == Scale.OSCILLATOR and not 0 <= value <= 100:
        return None
    if ls == Scale.NEGATIVE_OSCILLATOR:
        if 0 < value <= 100:
            value = -value
        if not -100 <= value <= 0:
            return None
    num: float | int = int(value) if value.is_integer() else value
    return Condition(left=left, op=op, right=num, for_bars=for_bars)  # type: ignore[arg-type]


def _add_rule(
    reading: Reading,
    setup: int,
    act: Action,
    cond: Condition,
    c: Clause,
    comp: Comparison,
    recap: bool,
    marks: ClauseMarks,
) -> None:
    reading.rules.append(
        RuleFrame(
            setup, act.part, cond.model_dump(mode="json"), _evidence(c), c.index, recap, marks.side_context
        )
    )


__all__ = ["Evidence", "Reading", "RuleFrame", "SettingFrame", "StopFrame", "read_lesson"]

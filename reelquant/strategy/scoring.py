"""Score extracted StrategySpecs against a lesson's label, as the shared lessons' README ("Scoring") defines it.

The reference implementation is ../shared/tools/score_specs.py; this module gives the same per-lesson
status, counts and totals line (a test runs both on the same folders). A label is one spec or a list of
specs, each maybe with `accept_also` alternatives; an extraction is a list of specs.

- Every spec is read as a `Reading`: per side (long, short) and part (entry, exit) the set of normalized
  conditions (`Condition.key()`: registry defaults filled, `>=` as `>`, numbers on the right, two series in
  one fixed order), the timeframe, each stop field, and `atr_window` only when an ATR stop or target is set.
- A labeled spec accepts its own reading or any alternative's; the alternative is applied over the label the
  way the reference does it (a whole v2 second reading, or v1-style `entry`/`exit`/`direction` keys).
- Each labeled spec takes the best still unused extracted spec (an exact match first, then most true minus
  false conditions); the lesson is exact when every labeled spec found an exact counterpart and no testable
  extraction is left over. Left-over specs' conditions count as false positives.
- `wrong_testable`: a testable spec produced for a lesson labeled not testable. `missed_testable` (extra, not
  in the reference): no testable spec for a lesson that teaches one; saying "cannot tell" is not a wrong rule.

Known differences from the reference, both outside what labels and the extractor write: `Condition.key()`
rounds numbers to 6 decimals where the reference rounds to 4, and a v1 spec without a `testable` key is not
testable here (StrategySpec's default) where the reference reads it as testable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from reelquant.strategy.spec import (
    DEFAULT_ATR_WINDOW,
    PARTS,
    SIDES,
    STOP_FIELDS,
    Condition,
    ConditionSet,
    StrategySpec,
    upgrade_v1,
)

ConditionKey = tuple[Any, ...]
LABEL_ONLY_KEY = "accept_also"


@dataclass(frozen=True)
class SideSets:
    """The normalized conditions of one side: entry and exit, each a set."""

    entry: frozenset[ConditionKey] = frozenset()
    exit: frozenset[ConditionKey] = frozenset()

    def part(self, name: str) -> frozenset[ConditionKey]:
        return self.entry if name == "entry" else self.exit

    def size(self) -> int:
        return len(self.entry) + len(self.exit)


@dataclass(frozen=True)
class Reading:
    """Everything of one spec that is scored; two specs read the same when their Readings are equal."""

    long: SideSets | None
    short: SideSets | None
    timeframe: Any
    stop_loss_pct: Any = None
    take_profit_pct: Any = None
    trailing_stop_pct: Any = None
    stop_loss_atr: Any = None
    take_profit_atr: Any = None
    max_bars_held: Any = None
    atr_window: Any = None

    def side(self, name: str) -> SideSets | None:
        return self.long if name == "long" else self.short

    def n_conditions(self) -> int:
        return sum(s.size() for s in (self.long, self.short) if s is not None)


def _stop_value(value: Any) -> float | None:
    return None if value in (None, 0) else round(float(value), 3)


def _keys(conditions: Iterable[Condition]) -> frozenset[ConditionKey]:
    return frozenset(c.key() for c in conditions)


def _raw_part(part: Any) -> frozenset[ConditionKey]:
    if not part:
        return frozenset()
    return _keys(ConditionSet.model_validate(part).conditions)


def _raw_side(side: Any) -> SideSets | None:
    if not side:
        return None
    return SideSets(_raw_part(side.get("entry")), _raw_part(side.get("exit")))


def reading(spec: StrategySpec) -> Reading:
    """The scored parts of one spec."""
    sides = {
        name: None if side is None else SideSets(_keys(side.entry.conditions), _keys(side.exit.conditions))
        for name in SIDES
        for side in [getattr(spec, name)]
    }
    stops = {f: _stop_value(getattr(spec.stops, f)) for f in STOP_FIELDS}
    atr_used = stops["stop_loss_atr"] or stops["take_profit_atr"]
    atr_window = int(spec.stops.atr_window or DEFAULT_ATR_WINDOW) if atr_used else None
    return Reading(long=sides["long"], short=sides["short"], timeframe=spec.timeframe or "1d", **stops,
                   atr_window=atr_window)


def _apply_alternative(base: Reading, base_stops: dict[str, Any], alt: dict[str, Any]) -> Reading:
    """The label read with one `accept_also` alternative over it, key by key, as the reference applies it."""
    v = base
    names = {f.name for f in dataclasses.fields(Reading)}
    for key, value in alt.items():
        if key in SIDES:
            v = dataclasses.replace(v, **{key: _raw_side(value)})
        elif key == "stops":
            merged = {**base_stops, **(value or {})}
            # Only the stop fields: the alternative's atr_window is not re-read (nor is it in the reference).
            v = dataclasses.replace(v, **{f: _stop_value(merged.get(f)) for f in STOP_FIELDS})
        elif key in PARTS:  # v1-style alternative: the part of the side the label trades
            side_name = "long" if base.long is not None else "short"
            current = v.side(side_name) or SideSets()
            v = dataclasses.replace(v, **{side_name: dataclasses.replace(current, **{key: _raw_part(value)})})
        elif key == "direction":  # v1-style alternative: only one side traded
            if value == "long":
                v = dataclasses.replace(v, short=None)
            elif value == "short":
                v = dataclasses.replace(v, long=None, short=v.long)
        elif key in names:
            v = dataclasses.replace(v, **{key: value})
    return v


@dataclass(frozen=True)
class LabeledSpec:
    """One labeled spec and every reading it accepts (its own first, then its `accept_also` alternatives)."""

    spec: StrategySpec
    readings: tuple[Reading, ...]


def labeled_specs(data: Any) -> list[LabeledSpec]:
    """A label as stored (one spec or a list, v1 or v2, dicts with `accept_also` or StrategySpecs)."""
    if data is None:
        return []
    out = []
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, LabeledSpec):
            out.append(item)
            continue
        if isinstance(item, StrategySpec):
            out.append(LabeledSpec(item, (reading(item),)))
            continue
        spec = StrategySpec.from_dict(item)
        base = reading(spec)
        raw = upgrade_v1({k: v for k, v in item.items() if k != LABEL_ONLY_KEY})
        base_stops = dict(raw.get("stops") or {})
        alternatives = [_apply_alternative(base, base_stops, alt) for alt in item.get(LABEL_ONLY_KEY) or []]
        out.append(LabeledSpec(spec, (base, *alternatives)))
    return out


def extracted_specs(data: Any) -> list[StrategySpec]:
    """An extraction as given: one spec or a list, StrategySpecs or dicts."""
    if data is None:
        return []
    items = data if isinstance(data, list) else [data]
    return [s if isinstance(s, StrategySpec) else StrategySpec.from_dict(s) for s in items]


# ------------------------------------------------------------------ comparing


@dataclass(frozen=True)
class Comparison:
    """One labeled reading against one extracted reading."""

    exact: bool
    tp: int
    fp: int
    fn: int


def compare(want: Reading, got: Reading) -> Comparison:
    """Condition counts over the four side parts; exact when every scored field is equal."""
    tp = fp = fn = 0
    for side in SIDES:
        for part in PARTS:
            w = want.side(side).part(part) if want.side(side) is not None else frozenset()
            h = got.side(side).part(part) if got.side(side) is not None else frozenset()
            tp, fp, fn = tp + len(w & h), fp + len(h - w), fn + len(w - h)
    return Comparison(want == got, tp, fp, fn)


@dataclass(frozen=True)
class Pair:
    """A labeled spec and the extracted spec it was matched with (None: nothing left to match)."""

    label_index: int
    extracted_index: int | None
    reading_index: int
    comparison: Comparison


@dataclass(frozen=True)
class LessonScore:
    """One lesson's score. `status` is the reference's: exact, differs, or missing (no extraction at all)."""

    exact: bool
    tp: int
    fp: int
    fn: int
    wrong_testable: bool
    missed_testable: bool
    status: str
    pairs: tuple[Pair, ...] = ()
    left_over: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"exact": self.exact, "tp": self.tp, "fp": self.fp, "fn": self.fn, "status": self.status,
                "wrong_testable": self.wrong_testable, "missed_testable": self.missed_testable}


def score_lesson(label: Any, extracted: Any, missing: bool = False) -> LessonScore:
    """Score one lesson: `label` as labeled_specs takes it, `extracted` a spec or list of specs.

    `missing` marks a lesson nothing was extracted for (no script, no report); it scores as an empty list.
    """
    labels = labeled_specs(label)
    got = [] if missing else extracted_specs(extracted)
    want = [w for w in labels if w.spec.testable]
    have = [(i, reading(s)) for i, s in enumerate(got) if s.testable]

    def done(exact: bool, tp: int, fp: int, fn: int, wrong: bool, pairs: tuple[Pair, ...] = (),
             left: tuple[int, ...] = ()) -> LessonScore:
        status = "missing" if missing else ("exact" if exact else "differs")
        return LessonScore(exact, tp, fp, fn, wrong, bool(want) and not have, status, pairs, left)

    if not want:
        wrong = bool(have)
        return done(bool(got) and not wrong, 0, sum(r.n_conditions() for _, r in have), 0, wrong,
                    left=tuple(i for i, _ in have))
    if not have:
        return done(False, 0, 0, sum(w.readings[0].n_conditions() for w in want), False)
    all_exact, tp, fp, fn = True, 0, 0, 0
    used: set[int] = set()
    pairs: list[Pair] = []
    for li, w in enumerate(want):
        best: tuple[Comparison, int, int] | None = None
        for hi, (_, h) in enumerate(have):
            if hi in used:
                continue
            for ri, v in enumerate(w.readings):
                cand = compare(v, h)
                if best is None or (cand.exact, cand.tp - cand.fp) > (best[0].exact, best[0].tp - best[0].fp):
                    best = (cand, hi, ri)
        if best is None:  # more labeled setups than extracted ones
            all_exact = False
            fn += w.readings[0].n_conditions()
            pairs.append(Pair(li, None, 0, Comparison(False, 0, 0, w.readings[0].n_conditions())))
            continue
        cmp_, hi, ri = best
        used.add(hi)
        all_exact &= cmp_.exact
        tp, fp, fn = tp + cmp_.tp, fp + cmp_.fp, fn + cmp_.fn
        pairs.append(Pair(li, have[hi][0], ri, cmp_))
    left = tuple(have[hi][0] for hi in range(len(have)) if hi not in used)
    for hi in range(len(have)):  # extracted setups the lesson does not teach
        if hi not in used:
            all_exact = False
            fp += have[hi][1].n_conditions()
    return done(all_exact, tp, fp, fn, False, tuple(pairs), left)


# ------------------------------------------------------------------ totals and lines


@dataclass
class Totals:
    """Counts over lessons; precision and recall are 0 when nothing was counted (as in the reference)."""

    n: int = 0
    exact: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    wrong_testable: int = 0
    missed_testable: int = 0
    lessons: list[str] = field(default_factory=list)

    def add(self, score: LessonScore, name: str = "") -> None:
        self.n += 1
        self.exact += int(score.exact)
        self.tp, self.fp, self.fn = self.tp + score.tp, self.fp + score.fp, self.fn + score.fn
        self.wrong_testable += int(score.wrong_testable)
        self.missed_testable += int(score.missed_testable)
        self.lessons.append(name)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "exact": self.exact, "tp": self.tp, "fp": self.fp, "fn": self.fn,
                "precision": self.precision, "recall": self.recall, "wrong_testable": self.wrong_testable,
                "missed_testable": self.missed_testable}


def totals_line(totals: Totals) -> str:
    """The reference's last line: `extraction: K/N exact, cond P=.. R=.., wrong_testable=W`."""
    return (f"extraction: {totals.exact}/{totals.n} exact, cond P={totals.precision:.2f} "
            f"R={totals.recall:.2f}, wrong_testable={totals.wrong_testable}")


def lesson_line(name: str, score: LessonScore) -> str:
    """The reference's line for one lesson: name, status, counts, and a WRONG-TESTABLE mark."""
    return (f"{name:34s} {score.status:8s} tp={score.tp} fp={score.fp} fn={score.fn}"
            + ("  WRONG-TESTABLE" if score.wrong_testable else ""))


# ------------------------------------------------------------------ explaining a difference


def describe_key(key: ConditionKey) -> str:
    """A normalized condition as text: `close > highest_high(20)`, `rsi(2)[1] < 10 for 2 bars`."""
    left, op, right, for_bars = key

    def operand(k: tuple[Any, ...]) -> str:
        if k[0] == "num":
            return f"{k[1]:g}"
        name, params, offset, scale = k
        values = [f"{v:g}" if isinstance(v, float) else str(v) for _, v in params]
        text = f"{name}({','.join(values)})" if values else name
        text += f"[{offset}]" if offset else ""
        return text + (f"x{scale:g}" if scale != 1.0 else "")

    return f"{operand(left)} {op} {operand(right)}" + (f" for {for_bars} bars" if for_bars > 1 else "")


def differences(want: Reading, got: Reading) -> Iterator[str]:
    """What an extracted reading gets wrong against a labeled one, one short line per difference."""
    for side in SIDES:
        w, h = want.side(side), got.side(side)
        if (w is None) != (h is None):
            yield f"{side}: {'missing side' if h is None else 'side the label does not trade'}"
        for part in PARTS:
            ws = w.part(part) if w is not None else frozenset()
            hs = h.part(part) if h is not None else frozenset()
            for k in sorted(hs - ws, key=repr):
                yield f"{side}.{part} extra  {describe_key(k)}"
            for k in sorted(ws - hs, key=repr):
                yield f"{side}.{part} missed {describe_key(k)}"
    for name in ("timeframe", *STOP_FIELDS, "atr_window"):
        if getattr(want, name) != getattr(got, name):
            yield f"{name}: {getattr(got, name)!r}, label {getattr(want, name)!r}"


def explain(label: Any, extracted: Any, score: LessonScore) -> list[str]:
    """Why a lesson is not exact: each pair's differences, left-over and unmatched specs."""
    labels = [w for w in labeled_specs(label) if w.spec.testable]
    got = extracted_specs(extracted)
    lines: list[str] = []
    for pair in score.pairs:
        w = labels[pair.label_index]
        name = w.spec.name or f"setup {pair.label_index + 1}"
        if pair.extracted_index is None:
            lines.append(f"{name}: not extracted")
        elif not pair.comparison.exact:
            lines += [f"{name}: {d}" for d in differences(w.readings[pair.reading_index],
                                                           reading(got[pair.extracted_index]))]
    for i in score.left_over:
        lines.append(f"invented: {got[i].summary()}")
    if score.missed_testable:
        why = "; ".join(r for s in got for r in s.unsupported) or "nothing extracted"
        lines.append(f"not testable: {why}")
    return lines


# ------------------------------------------------------------------ shorthand kept for callers


def score_spec(pred: Any, label: Any) -> dict[str, Any]:
    """score_lesson(label, pred) as a dict (exact, tp, fp, fn, status, wrong_testable, missed_testable)."""
    return score_lesson(label, pred).as_dict()


def score_many(pairs: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """Totals over (extracted, label) pairs, as a dict with precision and recall."""
    totals = Totals()
    for pred, label in pairs:
        totals.add(score_lesson(label, pred))
    return totals.as_dict()


# ------------------------------------------------------------------ why a lesson is not testable

# The kinds of reason a lesson cannot be tested (DESIGN.md, the shared README's "Not testable"), each with
# the words that say it. A not-testable answer is right for the right reason when its reasons share a kind
# with the label's: "needs earnings data" for a lesson about order-book scalping is a wrong why.
UNTESTABLE_KINDS: dict[str, tuple[str, ...]] = {
    "fundamentals": ("earnings", "revenue", "guidance", "analyst", "estimate", "fundamental", "press release",
                     "quarterly report", "eps"),
    "news": ("news", "headline", "economic calendar", "announcement"),
    "order book": ("order book", "order-book", "level 2", "level two", "depth of market", "time and sales",
                   "time-and-sales", "bids", "tape"),
    "another symbol": ("another symbol", "other symbol", "another index", "another market", "vix", "breadth",
                       "put/call", "put call", "tick reading", "internals", "other instrument"),
    "options": ("options data", "option chain", "implied volatility", "open interest"),
    "chart pattern": ("chart pattern", "head and shoulders", "neckline", "pattern"),
    "no rule": ("no entry or exit rule", "no rule", "no trading rule", "advice", "psychology", "mindset",
                "discipline", "journaling"),
    "no exit": ("no exit", "without an exit", "without exit", "exit is not taught", "no way out"),
    "discretionary": ("discretionary", "judgement", "judgment", "it depends"),
}


def untestable_kinds(reasons: Iterable[str]) -> set[str]:
    """The kinds of UNTESTABLE_KINDS that these reasons name."""
    import re

    text = " ".join(reasons).lower()
    return {kind for kind, words in UNTESTABLE_KINDS.items()
            if any(re.search(rf"(?<![a-z]){re.escape(w)}s?(?![a-z])", text) for w in words)}


def key_idea(label_reasons: list[str]) -> set[str]:
    """The kinds a label's first reason names (its main point; later reasons add detail), else any reason's."""
    return untestable_kinds(label_reasons[:1]) or untestable_kinds(label_reasons)


def wrong_why(label_reasons: list[str], extracted_reasons: Iterable[str]) -> bool:
    """True when the extracted reasons miss the label's key idea (a label whose reasons name no known kind
    cannot be judged and never counts)."""
    wanted = key_idea(label_reasons)
    return bool(wanted) and not (wanted & untestable_kinds(extracted_reasons))

"""Stage 6: a Reading becomes StrategySpecs: one per setup taught, or one `testable: false` spec with reasons.

Per setup: conditions grouped by part and deduplicated by `Condition.key()`; a later value replaces an
earlier one for the same comparison ("we changed that"); state conditions that only set the scene for a
crossing of the same two series are dropped; "exit" goes to the side the setup trades; long-only / short-only,
mirrored ("the same in reverse for shorts") and always-in ("stop and reverse") sides are applied; stops and
time exits come from the setup, else from the lesson.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from reelquant.indicators import REGISTRY, Scale
from reelquant.strategy.spec import (
    FLIPPED,
    Condition,
    ConditionSet,
    Operand,
    Provenance,
    Side,
    Stops,
    StrategySpec,
)
from reelquant.text.rules.reading import Reading, RuleFrame, SettingFrame, slot
from reelquant.text.rules.stops import bars

NO_RULE = "no entry or exit rule is taught"
NO_EXIT = "an entry is taught but no exit, stop or target"
_PARTS = ("long.entry", "long.exit", "short.entry", "short.exit")


def build_specs(reading: Reading) -> list[StrategySpec]:
    """One spec per setup the lesson teaches, or a single testable=false spec saying why. Never empty."""
    unsupported = [s for s in reading.settings if s.kind == "unsupported"]
    if unsupported:
        reasons = list(dict.fromkeys(str(s.value) for s in unsupported))
        return [StrategySpec.untestable(reasons, provenance=[_prov("unsupported", s) for s in unsupported])]
    setups = sorted({r.setup for r in reading.rules})
    if len(setups) > 1 and 0 in setups:
        # rules said before the first numbered setup belong to no setup in particular: drop them
        setups.remove(0)
    specs = []
    for number in setups:
        spec = _setup_spec(reading, number, len(setups) > 1)
        if spec is not None:
            specs.append(spec)
    testable = [s for s in specs if s.testable]
    if testable:
        return testable
    return specs[:1] or [StrategySpec.untestable([NO_RULE])]


def _settings(reading: Reading, setup: int, kind: str) -> list[SettingFrame]:
    own = [s for s in reading.settings if s.kind == kind and s.setup == setup]
    if own:
        return own
    return [s for s in reading.settings if s.kind == kind and s.setup == 0]


def _setup_spec(reading: Reading, setup: int, several: bool) -> StrategySpec | None:
    frames = [r for r in reading.rules if r.setup == setup]
    flags = {
        k: bool(_settings(reading, setup, k)) for k in ("long_only", "short_only", "mirror", "always_in")
    }
    # which side an "exit" closes
    has_long = any(r.part == "long.entry" for r in frames)
    has_short = any(r.part == "short.entry" for r in frames)
    # an exit said without its side that repeats a side's exit ("when the CCI crosses back below plus 100,
    # sell ... the exit is the cross back below plus 100") is that side's
    sided_exits = {Condition.model_validate(r.condition).key(): r.part for r in frames
                   if r.part in ("long.exit", "short.exit")}
    parts: dict[str, list[RuleFrame]] = {p: [] for p in _PARTS}
    for r in frames:
        part = r.part
        if part == "exit":
            if r.side_context in ("long", "short"):
                part = f"{r.side_context}.exit"
            else:
                part = sided_exits.get(
                    Condition.model_validate(r.condition).key(),
                    "short.exit" if (has_short and not has_long) or flags["short_only"] else "long.exit")
        if part == "long.exit" and flags["short_only"] and not has_long:
            part = "short.entry" if r.part == "long.exit" and not has_short else "short.exit"
        parts[part].append(r)
    conds = {p: _clean(parts[p]) for p in _PARTS}
    taught_short = any(not r.recap for r in parts["short.entry"])
    if flags["always_in"] and conds["long.entry"] and not taught_short and not flags["long_only"]:
        conds["short.entry"] = list(conds["long.exit"])
        conds["short.exit"] = list(conds["long.entry"])
    if (
        flags["mirror"]
        and conds["long.entry"]
        and not conds["short.entry"]
        and not flags["long_only"]
        and not flags["short_only"]
    ):
        conds["short.entry"] = [_mirror(c) for c in conds["long.entry"]]
        conds["short.exit"] = [_mirror(c) for c in conds["long.exit"]]
    if (
        flags["mirror"]
        and conds["long.entry"]
        and conds["short.entry"]
        and not conds["short.exit"]
        and conds["long.exit"]
    ):
        conds["short.exit"] = [_mirror(c) for c in conds["long.exit"]]
    if flags["mirror"] and conds["long.entry"] and conds["short.entry"]:
        # "in both directions": conditions that read the same upside down (an inside bar, a volume filter)
        # belong to both entries
        keys = {c.key() for c in conds["long.entry"]}
        neutral = [c for c in conds["long.entry"] if _mirror(c).key() in keys]
        have = {c.key() for c in conds["short.entry"]}
        conds["short.entry"] += [c for c in neutral if c.key() not in have]
    # "long only" / "we never short" forbid a short side in the setup, whatever else was read as one (and
    # the same the other way round)
    if flags["long_only"] and not flags["short_only"] and conds["long.entry"]:
        conds["short.entry"], conds["short.exit"] = [], []
    if flags["short_only"] and not flags["long_only"] and conds["short.entry"]:
        conds["long.entry"], conds["long.exit"] = [], []
    for part in ("long.entry", "short.entry"):
        clash = _contradiction(conds[part])
        if clash:
            return StrategySpec.untestable([f"the {part.replace('.', ' ')} heard cannot hold: {clash}"])
    long_side = (
        Side(
            entry=ConditionSet.of("all", conds["long.entry"]), exit=ConditionSet.of("any", conds["long.exit"])
        )
        if conds["long.entry"]
        else None
    )
    short_side = (
        Side(
            entry=ConditionSet.of("all", conds["short.entry"]),
            exit=ConditionSet.of("any", conds["short.exit"]),
        )
        if conds["short.entry"]
        else None
    )
    if long_side is None and short_side is None:
        return None
    timeframe = _timeframe(reading, setup)
    stops, stop_prov, assumptions = _stops(reading, setup, timeframe)
    if not stops.any_set() and not conds["long.exit"] and not conds["short.exit"]:
        return StrategySpec.untestable([NO_EXIT])  # a trade that never ends cannot be tested
    assumptions += _default_assumptions(long_side, short_side, reading)
    assumptions += _read_as(reading, setup, long_side, short_side)
    prov = []
    for p in _PARTS:
        side, part = p.split(".")
        for i, r in enumerate(_first_frames(parts[p])):
            prov.append(
                Provenance(
                    part=f"{side}.{part}[{i}]",
                    start_s=r.evidence.start_s,
                    end_s=r.evidence.end_s,
                    text=r.evidence.text,
                )
            )
    prov += stop_prov
    name = _settings(reading, setup, "setup_name")
    return StrategySpec(
        testable=True,
        name=str(name[0].value) if name and several else "",
        timeframe=timeframe,
        long=long_side,
        short=short_side,
        stops=stops,
        assumptions=assumptions,
        provenance=prov,
        confidence=0.5,
    )


_LOWER_BOUNDS = (">", ">=")
_UPPER_BOUNDS = ("<", "<=")


def _contradiction(entry: list[Condition]) -> str | None:
    """Two conditions of one entry (all of which must hold) that never hold together, "X > 20" and "X < 20"
    on the same series: what was heard is not a rule (a misheard word or a threshold taken twice)."""
    for a in entry:
        for b in entry:
            if (
                a.op in _LOWER_BOUNDS
                and b.op in _UPPER_BOUNDS
                and a.left == b.left
                and not isinstance(a.right, Operand)
                and not isinstance(b.right, Operand)
                and a.right >= b.right  # "X >= 20 and X <= 20" leaves one value: no rule either
            ):
                return f"{a.describe()} and {b.describe()} contradict each other"
    return None


def _first_frames(frames: list[RuleFrame]) -> list[RuleFrame]:
    seen, out = set(), []
    for r in frames:
        k = Condition.model_validate(r.condition).key()
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


def _clean(frames: list[RuleFrame]) -> list[Condition]:
    """Conditions of one part: deduplicated, later values replacing earlier ones, scene-setters dropped."""
    conds = [Condition.model_validate(r.condition) for r in frames]
    # The teaching part decides which comparisons there are; a recap only restates them. For the same
    # comparison said with another number ("four percent ... what I actually trade is three percent"),
    # the value said last holds: a correction comes after what it corrects.
    main = {slot(c) for r, c in zip(frames, conds, strict=True) if not r.recap}
    by_slot: dict[Any, Condition] = {}
    order: list[Any] = []
    for r, c in zip(frames, conds, strict=True):
        key = slot(c)
        if r.recap and main and (key not in main or key in by_slot) and not r.restated:
            continue  # a recap confirms; it neither adds a comparison nor changes a number
        if key not in by_slot:
            order.append(key)
        elif by_slot[key].key() == c.key():
            continue  # the same rule again ("must be above it ... if it's below, we do nothing"): as first said
        by_slot[key] = c
    out = [by_slot[s] for s in order]
    # "having been over +100, crosses back below +100": the state only sets the scene for the crossing
    crosses = [c for c in out if c.op.startswith("crosses")]
    keep = []
    for c in out:
        if not c.op.startswith("crosses") and any(_same_pair(c, x) for x in crosses):
            continue
        keep.append(c)
    # "two closes in a row under the band" also said as "closes under the band": the stricter one holds
    held = {c.model_copy(update={"for_bars": 1}).key() for c in keep if c.for_bars > 1}
    keep = [c for c in keep if c.for_bars > 1 or c.key() not in held]
    uniq: dict[Any, Condition] = {}
    for c in keep:
        uniq.setdefault(c.key(), c)
    return list(uniq.values())


def _direction(op: str) -> str:
    return "up" if op in (">", ">=", "crosses_above") else "down"


def _same_pair(a: Condition, b: Condition) -> bool:
    def key(x: Operand | float | int) -> Any:
        return x.key() if isinstance(x, Operand) else ("num", float(x))

    return {key(a.left), key(a.right)} == {key(b.left), key(b.right)}


_SWAP = {
    "upper": "lower",
    "lower": "upper",
    "high": "low",
    "low": "high",
    "highest": "lowest",
    "lowest": "highest",
    "plus": "minus",
    "minus": "plus",
}


def _partner(name: str) -> str | None:
    """The registry indicator a short side reads where the long side reads `name` (upper band -> lower band,
    +DI -> -DI), or None when it has none."""
    other = "_".join(_SWAP.get(p, p) for p in name.split("_"))
    return other if other != name and other in REGISTRY else None


def _directionless(op: Operand) -> bool:
    """Whether an operand says nothing about up or down: volume, and a family member whose siblings carry
    the direction (ADX beside +DI / -DI)."""
    d = REGISTRY[op.indicator]
    if d.scale == Scale.VOLUME or op.params.get("source") == "volume":
        return True
    if d.family and _partner(op.indicator) is None:
        return (
            any(_partner(x) for x in REGISTRY if REGISTRY[x].family == d.family and x != op.indicator)
            and d.scale == Scale.OSCILLATOR
        )
    return False


def mirror_operand(op: Operand) -> Operand:
    """The operand a short side reads where the long side reads `op`, seen upside down: the upper band
    becomes the lower one, the highest high the lowest low, and 3 % below becomes 3 % above."""
    name = _partner(op.indicator) or op.indicator
    return Operand(
        indicator=name,
        params=op.params,
        offset=op.offset,
        scale=round(2 - op.scale, 6) if op.scale != 1.0 else 1.0,
    )


def _mirror_number(left: Operand, value: float) -> float | int:
    scale = REGISTRY[left.indicator].scale
    if scale == Scale.OSCILLATOR:
        out = 100 - value
    elif scale == Scale.NEGATIVE_OSCILLATOR:
        out = -100 - value
    else:
        out = -value
    return int(out) if float(out).is_integer() else out


def _mirror(c: Condition) -> Condition:
    """The short side's condition for a long side's one (DESIGN: mirrored rules, flipped comparisons)."""
    ops = c.operands()
    if all(_directionless(o) for o in ops):
        return c  # "ADX above 20", "volume above its average" hold for both sides
    if isinstance(c.right, Operand) and all(
        REGISTRY[o.indicator].scale != Scale.PRICE and _partner(o.indicator) for o in ops
    ):
        # "+DI above -DI" -> "-DI above +DI": the two lines trade places, the comparison stays
        return Condition(
            left=mirror_operand(c.left), op=c.op, right=mirror_operand(c.right), for_bars=c.for_bars
        )
    left = mirror_operand(c.left)
    right: Operand | float | int = (
        mirror_operand(c.right) if isinstance(c.right, Operand) else _mirror_number(c.left, float(c.right))
    )
    return Condition(left=left, op=FLIPPED[c.op], right=right, for_bars=c.for_bars)  # type: ignore[arg-type]


def _timeframe(reading: Reading, setup: int) -> str:
    said = [s for s in reading.settings if s.kind == "timeframe" and s.setup == setup] or [
        s for s in reading.settings if s.kind == "timeframe"
    ]
    if not said:
        return "1d"
    counts = Counter(str(s.value) for s in said)
    best = max(counts.values())
    return next(str(s.value) for s in said if counts[str(s.value)] == best)


_STOP_FIELDS = ("stop_loss_pct", "take_profit_pct", "trailing_stop_pct", "stop_loss_atr", "take_profit_atr")


def _stops(reading: Reading, setup: int, timeframe: str) -> tuple[Stops, list[Provenance], list[str]]:
    values: dict[str, Any] = {}
    prov: list[Provenance] = []
    notes: list[str] = []
    fields = (*_STOP_FIELDS, "atr_window", "max_bars_held")
    # a recap restates the stops; it adds one only when the teaching part said none at all
    taught = any(not s.recap for f in fields for s in _settings(reading, setup, f))
    for f in fields:
        said = _settings(reading, setup, f)
        main = [s for s in said if not s.recap] if taught else said
        if not main:
            continue
        s = main[-1]
        value: Any = s.value
        if f == "max_bars_held":
            value = bars(float(s.value), s.unit, timeframe)
            if value is None:
                notes.append(f"time exit '{s.evidence.text}' does not convert to {timeframe} bars; left out")
                continue
        if f == "atr_window":
            value = int(value)
        values[f] = value
        prov.append(_prov(f"stops.{f}", s))
    if not (values.get("stop_loss_atr") or values.get("take_profit_atr")):
        values.pop("atr_window", None)
    return Stops(**values), prov, notes


def _default_assumptions(long_side: Side | None, short_side: Side | None, reading: Reading) -> list[str]:
    out = []
    seen = set()
    for side in (long_side, short_side):
        if side is None:
            continue
        for cs in (side.entry, side.exit):
            for c in cs.conditions:
                for op in c.operands():
                    d = REGISTRY[op.indicator]
                    if d.params and not op.params and op.indicator not in seen:
                        seen.add(op.indicator)
                        settings = ", ".join(f"{k} {v:g}" for k, v in d.defaults.items())
                        out.append(f"{d.title} at the registry's default settings ({settings})")
    return out


def _read_as(reading: Reading, setup: int, long_side: Side | None, short_side: Side | None) -> list[str]:
    """Reading decisions the reader noted (an average without its kind read as simple), for a setup that
    uses a simple moving average."""
    uses_sma = any(
        op.indicator == "sma"
        for side in (long_side, short_side)
        if side is not None
        for cs in (side.entry, side.exit)
        for c in cs.conditions
        for op in c.operands()
    )
    notes = [s.value for s in reading.settings if s.kind == "assumption" and s.setup in (0, setup)]
    return list(dict.fromkeys(notes)) if uses_sma else []


def _prov(part: str, s: SettingFrame) -> Provenance:
    return Provenance(part=part, start_s=s.evidence.start_s, end_s=s.evidence.end_s, text=s.evidence.text)

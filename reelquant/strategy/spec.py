"""StrategySpec v2: the one JSON contract between rule extraction, backtests, reports and the CLI.

The JSON form is exactly the one in DESIGN.md ("StrategySpec v2"); the pydantic models validate it and give
the JSON schema that the `strategy_spec` asset check runs. Indicator names and parameter names come from
the indicator registry (`reelquant.indicators`). v1 specs (one `direction`, top-level stop fields) still
load: `StrategySpec.from_dict` converts them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reelquant.indicators import INDICATOR_NAMES, IndicatorError, get, resolve_params

SPEC_VERSION = 2
OPERATORS: tuple[str, ...] = ("crosses_above", "crosses_below", ">", "<", ">=", "<=")
Operator = Literal["crosses_above", "crosses_below", ">", "<", ">=", "<="]
FLIPPED: dict[str, str] = {">": "<", "<": ">", ">=": "<=", "<=": ">=",
                           "crosses_above": "crosses_below", "crosses_below": "crosses_above"}
SIDES: tuple[str, ...] = ("long", "short")
PARTS: tuple[str, ...] = ("entry", "exit")
STOP_FIELDS: tuple[str, ...] = ("stop_loss_pct", "take_profit_pct", "trailing_stop_pct", "stop_loss_atr",
                                "take_profit_atr", "max_bars_held")
DEFAULT_ATR_WINDOW = 14


class Operand(BaseModel):
    """An indicator series from the registry, with its parameters, read `offset` bars back and times `scale`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # The schema lists the registry's names, so a spec written by hand is checked against the same set.
    indicator: str = Field(json_schema_extra={"enum": list(INDICATOR_NAMES)})
    params: dict[str, float | int | str] = Field(default_factory=dict)
    offset: int = Field(default=0, ge=0)
    scale: float = Field(default=1.0, gt=0)

    @field_validator("indicator")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in INDICATOR_NAMES:
            raise ValueError(f"unknown indicator {name!r}: use one of {', '.join(INDICATOR_NAMES)}")
        return name

    @model_validator(mode="after")
    def _params_known(self) -> Operand:
        try:
            resolve_params(self.indicator, self.params)
        except IndicatorError as err:
            raise ValueError(str(err)) from None
        return self

    def resolved(self) -> dict[str, float | int | str]:
        """Parameters under the registry's names with defaults filled in (`source: close` dropped)."""
        return resolve_params(self.indicator, self.params)

    def series_key(self) -> tuple[str, tuple[tuple[str, Any], ...]]:
        """Identity of the underlying series (offset and scale aside): one computation per key."""
        return self.indicator, tuple(sorted((k, _norm_value(v)) for k, v in self.resolved().items()))

    def key(self) -> tuple[Any, ...]:
        """A hashable identity used when comparing specs: defaults filled, numbers as numbers."""
        return (*self.series_key(), self.offset, round(float(self.scale), 6))

    def describe(self) -> str:
        """`ema(9)`, `sma(50, volume)x1.5`, `rsi(2)[1]` for tables and logs."""
        resolved = self.resolved()
        values = [f"{v:g}" if isinstance(v, int | float) else str(v) for v in resolved.values()]
        text = f"{self.indicator}({','.join(values)})" if values else self.indicator
        if self.offset:
            text += f"[{self.offset}]"
        if self.scale != 1.0:
            text += f"x{self.scale:g}"
        return text


def _norm_value(v: Any) -> Any:
    return round(float(v), 6) if isinstance(v, int | float) else v


class Condition(BaseModel):
    """`left op right` on each bar, where right is another operand or a number; held `for_bars` bars running."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    left: Operand
    op: Operator
    right: Operand | float | int
    for_bars: int = Field(default=1, ge=1)

    def key(self) -> tuple[Any, ...]:
        """Order-free identity: a number always on the right, two series in one fixed order, >= as >."""
        left, op = self.left.key(), self.op
        right = self.right.key() if isinstance(self.right, Operand) else ("num", round(float(self.right), 6))
        if isinstance(self.right, Operand) and repr(right) < repr(left):
            left, right, op = right, left, FLIPPED[op]
        op = {">=": ">", "<=": "<"}.get(op, op)
        return left, op, right, self.for_bars

    def operands(self) -> list[Operand]:
        return [self.left] + ([self.right] if isinstance(self.right, Operand) else [])

    def describe(self) -> str:
        right = self.right.describe() if isinstance(self.right, Operand) else f"{self.right:g}"
        text = f"{self.left.describe()} {self.op} {right}"
        return text + (f" for {self.for_bars} bars" if self.for_bars > 1 else "")


class ConditionSet(BaseModel):
    """Either `{"all": [...]}` (every condition holds) or `{"any": [...]}` (one is enough)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    all_: list[Condition] | None = Field(default=None, alias="all")
    any_: list[Condition] | None = Field(default=None, alias="any")

    @model_validator(mode="after")
    def _one_mode(self) -> ConditionSet:
        if self.all_ is not None and self.any_ is not None:
            raise ValueError('a condition set has either "all" or "any", not both')
        return self

    @property
    def mode(self) -> Literal["all", "any"]:
        return "any" if self.any_ is not None else "all"

    @property
    def conditions(self) -> list[Condition]:
        return list(self.any_ if self.any_ is not None else (self.all_ or []))

    @classmethod
    def of(cls, mode: Literal["all", "any"], conditions: list[Condition]) -> ConditionSet:
        return cls(**{mode: list(conditions)})

    def describe(self) -> str:
        joiner = " and " if self.mode == "all" else " or "
        return joiner.join(c.describe() for c in self.conditions)


def _empty_entry() -> ConditionSet:
    return ConditionSet.of("all", [])


def _empty_exit() -> ConditionSet:
    return ConditionSet.of("any", [])


class Side(BaseModel):
    """The rules of one side (long or short): when to open a position and when to close it."""

    model_config = ConfigDict(extra="forbid")
    entry: ConditionSet = Field(default_factory=_empty_entry)
    exit: ConditionSet = Field(default_factory=_empty_exit)


class Stops(BaseModel):
    """Stops and time exit, mirrored for shorts (a short's stop sits above its entry)."""

    model_config = ConfigDict(extra="forbid")
    stop_loss_pct: float | None = Field(default=None, gt=0)
    take_profit_pct: float | None = Field(default=None, gt=0)
    trailing_stop_pct: float | None = Field(default=None, gt=0)
    stop_loss_atr: float | None = Field(default=None, gt=0)
    take_profit_atr: float | None = Field(default=None, gt=0)
    atr_window: int = Field(default=DEFAULT_ATR_WINDOW, ge=1)
    max_bars_held: int | None = Field(default=None, ge=1)

    def any_set(self) -> bool:
        return any(getattr(self, f) for f in STOP_FIELDS)

    def describe(self) -> list[str]:
        out = []
        if self.stop_loss_pct:
            out.append(f"SL {self.stop_loss_pct:g}%")
        if self.stop_loss_atr:
            out.append(f"SL {self.stop_loss_atr:g}xATR({self.atr_window})")
        if self.trailing_stop_pct:
            out.append(f"TS {self.trailing_stop_pct:g}%")
        if self.take_profit_pct:
            out.append(f"TP {self.take_profit_pct:g}%")
        if self.take_profit_atr:
            out.append(f"TP {self.take_profit_atr:g}xATR({self.atr_window})")
        if self.max_bars_held:
            out.append(f"out after {self.max_bars_held} bars")
        return out


class Provenance(BaseModel):
    """Where in the video a part of the spec was said (`part` such as "long.entry[0]" or "stops")."""

    model_config = ConfigDict(extra="forbid")
    part: str
    start_s: float
    end_s: float
    text: str


class StrategySpec(BaseModel):
    """StrategySpec v2. `testable: false` with `unsupported` reasons is a valid, honest answer."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[2] = SPEC_VERSION
    testable: bool = False
    name: str = ""
    timeframe: str = "1d"
    long: Side | None = None
    short: Side | None = None
    stops: Stops = Field(default_factory=Stops)
    unsupported: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    provenance: list[Provenance] = Field(default_factory=list)
    confidence: float = 0.0

    @field_validator("stops", mode="before")
    @classmethod
    def _null_stops(cls, value: Any) -> Any:
        return {} if value is None else value

    @model_validator(mode="after")
    def _consistent(self) -> StrategySpec:
        if self.testable:
            if not any(s is not None and s.entry.conditions for s in (self.long, self.short)):
                raise ValueError("a testable spec needs at least one side with an entry condition")
        elif self.long is not None or self.short is not None:
            raise ValueError("a spec that is not testable has no long or short side")
        return self

    # -------------------------------------------------------------- JSON

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=False)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StrategySpec:
        """A v2 spec from a v2 or v1 dict (label-only keys such as `accept_also` are ignored)."""
        data = {k: v for k, v in data.items() if k != "accept_also"}
        return cls.model_validate(upgrade_v1(data))

    @classmethod
    def untestable(cls, reasons: list[str], **fields: Any) -> StrategySpec:
        return cls(testable=False, unsupported=list(reasons), **fields)

    # -------------------------------------------------------------- reading

    def sides(self) -> Iterator[tuple[str, Side]]:
        """(name, side) for each side the spec trades."""
        for name in SIDES:
            side = getattr(self, name)
            if side is not None:
                yield name, side

    def conditions(self) -> Iterator[tuple[str, Condition]]:
        """(part, condition) for every condition, part written as in provenance: `long.entry[0]`."""
        for name, side in self.sides():
            for part in PARTS:
                for i, cond in enumerate(getattr(side, part).conditions):
                    yield f"{name}.{part}[{i}]", cond

    def operands(self) -> list[Operand]:
        """Every distinct operand the conditions use (stops' ATR aside)."""
        seen: dict[Any, Operand] = {}
        for _, cond in self.conditions():
            for op in cond.operands():
                seen.setdefault(op.key(), op)
        return list(seen.values())

    @property
    def direction(self) -> str:
        """"long", "short", "both" or "none": which sides the spec trades (for tables and features)."""
        names = [n for n, _ in self.sides()]
        return {0: "none", 1: names[0] if names else "none", 2: "both"}[len(names)]

    def is_stop_and_reverse(self) -> bool:
        """Both sides, each side's exit the other's entry: the position flips instead of going flat."""
        if self.long is None or self.short is None:
            return False
        keys = [{c.key() for c in s.conditions} for s in (self.long.entry, self.long.exit, self.short.entry,
                                                          self.short.exit)]
        return bool(keys[1]) and keys[0] == keys[3] and keys[1] == keys[2]

    def summary(self) -> str:
        """The spec in one line, for tables and logs."""
        if not self.testable:
            why = "; ".join(self.unsupported) or "no rule"
            return f"not testable: {why}"
        parts = [self.timeframe]
        for name, side in self.sides():
            exit_text = side.exit.describe() if side.exit.conditions else "(stops only)"
            parts.append(f"{name}: entry {side.entry.describe()}; exit {exit_text}")
        parts += self.stops.describe()
        return " | ".join(parts)


def upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A v2-shaped dict from a v1 one (v2 dicts pass through): `direction` becomes sides, stops move."""
    if data.get("version", 1) >= 2 or "long" in data or "short" in data:
        return data
    out: dict[str, Any] = {k: data[k] for k in ("testable", "name", "timeframe", "unsupported", "assumptions",
                                                 "provenance", "confidence") if k in data}
    out["version"] = SPEC_VERSION
    out["stops"] = {k: data.get(k) for k in ("stop_loss_pct", "take_profit_pct", "trailing_stop_pct",
                                             "stop_loss_atr")}
    direction = data.get("direction", "long")
    entry = data.get("entry") or {"all": []}
    exit_ = data.get("exit") or {"any": []}
    testable = bool(data.get("testable", False))
    out["long"] = out["short"] = None
    if testable and direction in ("long", "long_short"):
        out["long"] = {"entry": entry, "exit": exit_}
    if testable and direction == "short":
        out["short"] = {"entry": entry, "exit": exit_}
    if testable and direction == "long_short":  # v1's flip: the exit opens the short, the entry covers it
        out["short"] = {"entry": _as_mode(exit_, "all"), "exit": _as_mode(entry, "any")}
    for prov in out.get("provenance", []):
        if prov.get("part", "").startswith(("entry", "exit")):
            prov["part"] = f"{'short' if direction == 'short' else 'long'}.{prov['part']}"
    return out


def _as_mode(cset: dict[str, Any], mode: str) -> dict[str, Any]:
    conds = cset.get("all") or cset.get("any") or []
    return {mode: conds} if len(conds) <= 1 else cset


def load_specs(data: Any) -> list[StrategySpec]:
    """Specs from what a label, report or asset holds: one spec or a list, v1 or v2."""
    if data is None:
        return []
    items = data if isinstance(data, list) else [data]
    return [item if isinstance(item, StrategySpec) else StrategySpec.from_dict(item) for item in items]


def indicator_scale(name: str) -> str:
    """The registry's scale of an indicator, for readers that check a number against it."""
    return get(name).scale.value


def json_schema() -> dict[str, Any]:
    """The JSON schema of StrategySpec v2 (by alias, as it is written to disk)."""
    return StrategySpec.model_json_schema(by_alias=True)

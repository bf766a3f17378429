"""StrategySpec v1: the one JSON contract between rule extraction, backtests, reports and the CLI.

The JSON form is exactly the one in DESIGN.md; the pydantic models validate it and give
the JSON schema that the `strategy_spec` asset check runs.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

INDICATORS: tuple[str, ...] = (
    "close", "open", "high", "low", "volume",
    "sma", "ema", "rsi", "macd", "macd_signal", "macd_hist",
    "bb_upper", "bb_middle", "bb_lower",
    "donchian_high", "donchian_low", "atr", "stoch_k", "stoch_d",
    "highest_high", "lowest_low",
)
OPERATORS: tuple[str, ...] = ("crosses_above", "crosses_below", ">", "<", ">=", "<=")

IndicatorName = Literal[
    "close", "open", "high", "low", "volume",
    "sma", "ema", "rsi", "macd", "macd_signal", "macd_hist",
    "bb_upper", "bb_middle", "bb_lower",
    "donchian_high", "donchian_low", "atr", "stoch_k", "stoch_d",
    "highest_high", "lowest_low",
]
Operator = Literal["crosses_above", "crosses_below", ">", "<", ">=", "<="]


class Indicator(BaseModel):
    """An indicator series: a name from INDICATORS and its parameters (window, std, fast, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    indicator: IndicatorName
    params: dict[str, float | int] = Field(default_factory=dict)

    def key(self) -> tuple[str, tuple[tuple[str, float], ...]]:
        """A hashable, order-free identity used when comparing specs."""
        return self.indicator, tuple(sorted((k, float(v)) for k, v in self.params.items()))


class Condition(BaseModel):
    """`left op right`, where right is another indicator or a constant."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    left: Indicator
    op: Operator
    right: Indicator | float | int

    def key(self) -> tuple[Any, ...]:
        right = self.right.key() if isinstance(self.right, Indicator) else float(self.right)
        return self.left.key(), self.op, right


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


class Provenance(BaseModel):
    """Where in the video a part of the spec was said."""

    model_config = ConfigDict(extra="forbid")
    part: str
    start_s: float
    end_s: float
    text: str


class StrategySpec(BaseModel):
    """StrategySpec v1. `testable: false` with `unsupported` reasons is a valid, honest answer."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = 1
    testable: bool = False
    name: str = ""
    direction: Literal["long", "short", "long_short"] = "long"
    timeframe: str = "1d"
    entry: ConditionSet = Field(default_factory=lambda: ConditionSet.of("all", []))
    exit: ConditionSet = Field(default_factory=lambda: ConditionSet.of("any", []))
    stop_loss_pct: float | None = None
    take_profit_pct: float | None = None
    trailing_stop_pct: float | None = None
    stop_loss_atr: float | None = None
    unsupported: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    provenance: list[Provenance] = Field(default_factory=list)
    confidence: float = 0.0

    @model_validator(mode="after")
    def _testable_has_entry(self) -> StrategySpec:
        if self.testable and not self.entry.conditions:
            raise ValueError("a testable spec needs at least one entry condition")
        return self

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=False)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StrategySpec:
        return cls.model_validate(data)

    @classmethod
    def untestable(cls, reasons: list[str], **fields: Any) -> StrategySpec:
        return cls(testable=False, unsupported=list(reasons), **fields)

    def indicators(self) -> list[Indicator]:
        """Every distinct indicator the entry and exit conditions use."""
        seen: dict[Any, Indicator] = {}
        for cond in self.entry.conditions + self.exit.conditions:
            for ind in (cond.left, cond.right):
                if isinstance(ind, Indicator):
                    seen.setdefault(ind.key(), ind)
        return list(seen.values())

    def summary(self) -> str:
        """The spec in one line, for tables and logs."""
        if not self.testable:
            why = "; ".join(self.unsupported) or "no rule"
            return f"not testable: {why}"
        parts = [f"{self.direction}",
                 f"entry {_fmt_set(self.entry)}",
                 f"exit {_fmt_set(self.exit) if self.exit.conditions else '(stops only)'}"]
        stops = [
            f"SL {self.stop_loss_pct:g}%" if self.stop_loss_pct else "",
            f"TP {self.take_profit_pct:g}%" if self.take_profit_pct else "",
            f"TS {self.trailing_stop_pct:g}%" if self.trailing_stop_pct else "",
            f"SL {self.stop_loss_atr:g}xATR" if self.stop_loss_atr else "",
        ]
        parts += [s for s in stops if s]
        return " | ".join(parts)


def _fmt_ind(x: Indicator | float | int) -> str:
    if not isinstance(x, Indicator):
        return f"{x:g}"
    if not x.params:
        return x.indicator
    return f"{x.indicator}({','.join(f'{v:g}' for v in x.params.values())})"


def _fmt_set(cs: ConditionSet) -> str:
    joiner = " and " if cs.mode == "all" else " or "
    return joiner.join(f"{_fmt_ind(c.left)} {c.op} {_fmt_ind(c.right)}" for c in cs.conditions)


def json_schema() -> dict[str, Any]:
    """The JSON schema of StrategySpec v1 (by alias, as it is written to disk)."""
    return StrategySpec.model_json_schema(by_alias=True)

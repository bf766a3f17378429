"""StrategySpec v2: validation, the order-free condition identity, the JSON schema and v1 specs loading as v2."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from reelquant.indicators import INDICATOR_NAMES
from reelquant.strategy.spec import Condition, Operand, StrategySpec, json_schema, load_specs


def _op(name: str, **params: float) -> dict:
    return {"indicator": name, "params": params}


def _v1(direction: str) -> dict:
    return {
        "version": 1, "testable": True, "name": "cross", "direction": direction, "timeframe": "1d",
        "entry": {"all": [{"left": _op("sma", window=50), "op": "crosses_above", "right": _op("sma", window=200)}]},
        "exit": {"any": [{"left": _op("sma", window=50), "op": "crosses_below", "right": _op("sma", window=200)}]},
        "stop_loss_pct": 2.0, "take_profit_pct": None, "trailing_stop_pct": None, "stop_loss_atr": 1.5,
        "unsupported": [], "assumptions": [],
        "provenance": [{"part": "entry[0]", "start_s": 1.0, "end_s": 2.0, "text": "buy the cross"}],
        "confidence": 0.7,
    }


def test_v1_long_becomes_the_long_side_with_its_stops_moved() -> None:
    spec = StrategySpec.from_dict(_v1("long"))
    assert spec.version == 2 and spec.short is None and spec.direction == "long"
    assert [c.op for c in spec.long.entry.conditions] == ["crosses_above"]
    assert (spec.stops.stop_loss_pct, spec.stops.stop_loss_atr, spec.stops.atr_window) == (2.0, 1.5, 14)
    assert spec.provenance[0].part == "long.entry[0]"


def test_v1_short_becomes_the_short_side() -> None:
    spec = StrategySpec.from_dict(_v1("short"))
    assert spec.long is None and spec.direction == "short"
    assert spec.provenance[0].part == "short.entry[0]"


def test_v1_long_short_becomes_stop_and_reverse() -> None:
    spec = StrategySpec.from_dict(_v1("long_short"))
    assert spec.direction == "both" and spec.is_stop_and_reverse()
    assert spec.short.entry.conditions == spec.long.exit.conditions
    assert spec.short.exit.conditions == spec.long.entry.conditions


def test_v1_untestable_has_no_sides() -> None:
    spec = StrategySpec.from_dict({"version": 1, "testable": False, "unsupported": ["needs earnings data"]})
    assert spec.long is None and spec.short is None and spec.summary() == "not testable: needs earnings data"


def test_round_trip_keeps_every_field() -> None:
    spec = StrategySpec.from_dict(_v1("long_short"))
    again = StrategySpec.from_dict(json.loads(spec.to_json()))
    assert again == spec
    assert set(spec.to_dict()) == {"version", "testable", "name", "timeframe", "long", "short", "stops",
                                   "unsupported", "assumptions", "provenance", "confidence"}


def test_load_specs_takes_one_spec_or_a_list_and_ignores_accept_also() -> None:
    one = _v1("long") | {"accept_also": [{"long": None}]}
    assert len(load_specs(one)) == 1 and len(load_specs([one, _v1("short")])) == 2 and load_specs(None) == []


@pytest.mark.parametrize("bad, words", [
    ({"indicator": "ichimoku"}, "unknown indicator"),
    ({"indicator": "rsi", "params": {"std": 2}}, "rsi has no parameter"),
    ({"indicator": "rsi", "offset": -1}, "greater than or equal"),
    ({"indicator": "sma", "scale": 0}, "greater than"),
    ({"indicator": "rsi", "params": {"source": "volume"}}, "takes no source"),
])
def test_bad_operands_are_refused_with_the_reason(bad: dict, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        Operand.model_validate(bad)


def test_testable_needs_an_entry_and_untestable_has_no_side() -> None:
    with pytest.raises(ValidationError, match="needs at least one side with an entry"):
        StrategySpec.from_dict({"version": 2, "testable": True, "long": {"entry": {"all": []}}})
    with pytest.raises(ValidationError, match="not testable has no long or short side"):
        StrategySpec.from_dict({"version": 2, "testable": False,
                                "long": {"entry": {"all": [{"left": _op("rsi"), "op": "<", "right": 30}]}}})


def test_condition_identity_is_order_free_and_fills_defaults() -> None:
    a = Condition.model_validate({"left": _op("close"), "op": ">", "right": _op("sma", period=20)})
    b = Condition.model_validate({"left": {"indicator": "sma"}, "op": "<=", "right": _op("close")})
    c = Condition.model_validate({"left": _op("close"), "op": ">", "right": _op("sma", window=21)})
    assert a.key() == b.key() != c.key()
    vol = Operand.model_validate({"indicator": "sma", "params": {"window": 50, "source": "volume"}, "scale": 2})
    assert vol.resolved() == {"window": 50, "source": "volume"} and vol.describe() == "sma(50,volume)x2"


def test_json_schema_names_exactly_the_registry_indicators() -> None:
    schema = json_schema()
    assert schema["$defs"]["Operand"]["properties"]["indicator"]["enum"] == list(INDICATOR_NAMES)

"""The strategy_spec asset's checks: each invariant of the v2 list, passing on a good list and failing on a bad one,
and the asset itself materialized from a reading of a two-setup lesson."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.language import trading_concepts
from assets.strategy import (
    dangling_provenance,
    list_problems,
    provenance_outside,
    schema_problems,
    strategy_spec,
)
from reelquant.speech.transcript import transcript_from_text
from reelquant.strategy.spec import StrategySpec
from reelquant.text.keywords import find_keyword_hits

LESSON = (
    "Setup one. Buy when the two period RSI drops below ten. Sell when the two period RSI rises above seventy.\n"
    "Setup two. I sell short when the close crosses below the fifty day moving average. "
    "Cover when the close crosses above the fifty day moving average. Use a stop loss of three percent."
)


def _testable(name: str, provenance: list[dict] | None = None) -> StrategySpec:
    cond = {"left": {"indicator": "rsi", "params": {"window": 2}}, "op": "<", "right": 10}
    return StrategySpec.from_dict({"version": 2, "testable": True, "name": name, "long": {"entry": {"all": [cond]}},
                                   "stops": {"stop_loss_pct": 2.0}, "provenance": provenance or []})


def test_a_good_list_passes_every_check() -> None:
    quote = [{"part": "long.entry[0]", "start_s": 1.0, "end_s": 3.0, "text": "buy"},
             {"part": "stops.stop_loss_pct", "start_s": 4.0, "end_s": 5.0, "text": "stop"}]
    specs = [_testable("a", quote), _testable("b")]
    assert schema_problems([s.to_dict() for s in specs]) == []
    assert provenance_outside(specs, 10.0) == [] and list_problems(specs) == [] and dangling_provenance(specs) == []
    assert list_problems([StrategySpec.untestable(["needs order book data"])]) == []


def test_each_check_names_what_is_wrong() -> None:
    bad = _testable("a").to_dict()
    bad["long"]["entry"]["all"][0]["left"]["indicator"] = "hull_ma"
    assert schema_problems([_testable("ok").to_dict(), bad])[0].startswith("setup 2: ")
    assert schema_problems([{**_testable("v1").to_dict(), "version": 1}]) == ["setup 1: version 1 is not 2"]
    late = _testable("a", [{"part": "long.entry[0]", "start_s": 8.0, "end_s": 12.0, "text": "buy"}])
    assert provenance_outside([late], 10.0) == ["setup 1 long.entry[0] 8.0-12.0 s"]
    untestable = StrategySpec.untestable(["needs earnings data"])
    assert list_problems([]) and list_problems([untestable, untestable])[0].startswith("2 specs are not testable")
    assert list_problems([_testable("a"), untestable]) == ["not-testable setup 2 mixed with testable ones"]
    assert list_problems([StrategySpec.untestable([])]) == ["setup 1 is not testable and gives no reason"]
    dangling = _testable("a", [{"part": "long.entry[1]", "start_s": 1, "end_s": 2, "text": "x"},
                               {"part": "short.exit[0]", "start_s": 1, "end_s": 2, "text": "x"},
                               {"part": "stops.take_profit_pct", "start_s": 1, "end_s": 2, "text": "x"},
                               {"part": "stops", "start_s": 1, "end_s": 2, "text": "x"}])
    assert dangling_provenance([dangling]) == ["setup 1: long.entry[1]", "setup 1: short.exit[0]",
                                               "setup 1: stops.take_profit_pct (not set)"]


@pytest.fixture(scope="module")
def lesson():
    tr = transcript_from_text(LESSON)
    return tr.to_dict(), find_keyword_hits(tr)


def test_the_assets_read_a_lesson_of_two_setups(lesson) -> None:
    transcript, hits = lesson
    concepts = trading_concepts(transcript=transcript, keyword_hits=hits)
    assert concepts.metadata["rules"].value >= 4 and "short" in concepts.metadata["preview"].value
    result = strategy_spec(trading_concepts=concepts.value, transcript=transcript)
    specs = [StrategySpec.from_dict(d) for d in result.value]
    assert [s.direction for s in specs] == ["long", "short"]
    assert result.metadata["setups"].value == 2 and result.metadata["testable_setups"].value == 2
    checks = {c.check_name: c for c in result.check_results}
    assert set(checks) == {"spec_schema_valid", "provenance_inside_video", "setup_list_consistent",
                           "provenance_parts_exist"}
    assert all(c.passed for c in checks.values()), {n: c.description for n, c in checks.items()}


def test_a_video_without_speech_gets_one_not_testable_spec(lesson) -> None:
    silent = {"segments": [], "engine": "none", "reason": "no speech in the audio", "duration_s": 30.0}
    result = strategy_spec(trading_concepts={}, transcript=silent)
    (spec,) = (StrategySpec.from_dict(d) for d in result.value)
    assert not spec.testable and spec.unsupported == ["no speech: no speech in the audio"]
    assert all(c.passed for c in result.check_results)
    assert isinstance(result, dg.MaterializeResult)

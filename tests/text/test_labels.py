"""Every label (tests/lessons, samples, ../shared/lessons) is a StrategySpec v2 in the full shape the shared
lessons' README asks for ("How a label is written"), so that labels read the same whoever wrote them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reelquant.indicators import REGISTRY
from reelquant.strategy.spec import PARTS, SIDES, STOP_FIELDS, StrategySpec

from .lessons import LABEL_SETS, require

TOP_LEVEL = tuple(StrategySpec.model_fields)  # every field of the model, by its JSON name
STOP_KEYS = (*STOP_FIELDS, "atr_window")
OPERAND_KEYS = ("indicator", "params", "offset", "scale")
CONDITION_KEYS = ("left", "op", "right", "for_bars")


def _label_files() -> list[Path]:
    return [p for folder in LABEL_SETS.values() for p in sorted(require(folder).glob("*.spec.json"))]


def _specs(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, list) else [data]


def _problems(spec: dict[str, Any], alternative: bool = False) -> list[str]:
    """Everything in one labeled spec that the README's full shape does not allow."""
    out = [f"missing key {k!r}" for k in TOP_LEVEL if k not in spec]
    if "accept_also" in spec and alternative:
        out.append("an alternative holds its own accept_also")
    stripped = {k: v for k, v in spec.items() if k != "accept_also"}
    try:
        StrategySpec.model_validate(stripped)  # v2 as it stands: no v1 upgrade on the way
    except ValueError as exc:
        return [*out, f"not a valid StrategySpec v2: {exc}"]
    if spec.get("version") != 2:
        out.append("version is not 2")
    stops = spec.get("stops") or {}
    out += [f"stops lacks {k!r}" for k in STOP_KEYS if k not in stops]
    if spec.get("provenance") != [] or spec.get("confidence") != 1.0:
        out.append("provenance must be empty and confidence 1.0 (scripts have no timings)")
    if not spec["testable"]:
        if spec["long"] is not None or spec["short"] is not None or any(stops.get(k) for k in STOP_FIELDS):
            out.append("a not-testable label has sides or stops")
        if not spec["unsupported"]:
            out.append("a not-testable label says nothing in `unsupported`")
    for side in SIDES:
        for part in PARTS:
            cset = (spec.get(side) or {}).get(part) or {}
            for i, cond in enumerate(cset.get("all") or cset.get("any") or []):
                where = f"{side}.{part}[{i}]"
                out += [f"{where} lacks {k!r}" for k in CONDITION_KEYS if k not in cond]
                for operand in (cond.get("left"), cond.get("right")):
                    if not isinstance(operand, dict):
                        continue
                    out += [f"{where} operand lacks {k!r}" for k in OPERAND_KEYS if k not in operand]
                    decl = REGISTRY[operand["indicator"]]
                    params = operand.get("params") or {}
                    named = set(params) - {"source"}
                    if named != set(decl.param_names):
                        out.append(f"{where} {decl.name} params {sorted(named)}: write out {list(decl.param_names)}")
                    if params.get("source") == "close":
                        out.append(f"{where} writes source close: leave the default out")
    return out


@pytest.mark.parametrize("path", _label_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_label_is_a_full_v2_spec(path: Path) -> None:
    problems = []
    for i, spec in enumerate(_specs(path)):
        problems += [f"spec {i}: {p}" for p in _problems(spec)]
        alternatives = spec.get("accept_also", [])
        if not isinstance(alternatives, list):
            problems.append(f"spec {i}: accept_also is not a list of specs")
            continue
        for j, alt in enumerate(alternatives):
            problems += [f"spec {i} accept_also {j}: {p}" for p in _problems(alt, alternative=True)]
    assert not problems, problems


def test_every_label_set_is_there_and_has_a_script_per_label() -> None:
    for name, folder in LABEL_SETS.items():
        labels = sorted(require(folder).glob("*.spec.json"))
        assert labels, f"{name}: no labels in {folder}"
        assert all(p.with_name(p.name.replace(".spec.json", ".txt")).is_file() for p in labels), name
    assert len(list(LABEL_SETS["shared"].glob("*.spec.json"))) >= 44


def test_the_check_catches_v1_and_partial_labels() -> None:
    v1 = {"version": 1, "testable": True, "direction": "long", "entry": {"all": []}}
    assert _problems(v1)
    full = _specs(LABEL_SETS["own"] / "rsi_short_fade.spec.json")[0]
    partial = json.loads(json.dumps(full))
    del partial["stops"]["max_bars_held"]
    del partial["short"]["entry"]["all"][0]["for_bars"]
    partial["short"]["exit"]["any"][0]["left"]["params"] = {}
    problems = _problems(partial)
    assert any("max_bars_held" in p for p in problems)
    assert any("for_bars" in p for p in problems)
    assert any("write out ['window']" in p for p in problems)
    assert not _problems(full)

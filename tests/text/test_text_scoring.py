"""Scoring agrees with the reference scorer (../shared/tools/score_specs.py) line for line.

Each check writes a REPORT_DIR of extractions for a folder of labels, runs the reference on it as a
subprocess, and compares every per-lesson line and the totals line with reelquant.strategy.scoring's.
Extractions: the labels themselves, labels perturbed one way at a time (each perturbation a real mistake
or an equivalent rewrite), v1 forms of labels and extractions, and what the real extractor produces.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reelquant.indicators import REGISTRY
from reelquant.strategy.scoring import (
    LessonScore,
    Totals,
    labeled_specs,
    lesson_line,
    reading,
    score_lesson,
    score_many,
    score_spec,
    totals_line,
)
from reelquant.strategy.spec import FLIPPED, StrategySpec, load_specs

from .lessons import LABEL_SETS, REFERENCE_SCORER, require

Specs = list[dict[str, Any]]
RSI = {"indicator": "rsi", "params": {"window": 14}, "offset": 0, "scale": 1.0}
INVENTED = {"version": 2, "testable": True, "name": "invented", "timeframe": "1d",
            "long": {"entry": {"all": [{"left": RSI, "op": "<", "right": 30, "for_bars": 1}]},
                     "exit": {"any": [{"left": RSI, "op": ">", "right": 70, "for_bars": 1}]}},
            "short": None}


def _labels(folder: Path) -> dict[str, Any]:
    return {p.name[: -len(".spec.json")]: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(require(folder).glob("*.spec.json"))}


def _plain(label: Any) -> Specs:
    """The label's own specs as an extractor would write them (v2, validated, accept_also gone)."""
    return [s.to_dict() for s in load_specs(label)]


def _reference(label_dir: Path, reports: dict[str, Specs | None], tmp: Path) -> list[str]:
    report_dir = tmp / "reports"
    for name, specs in reports.items():
        if specs is not None:  # None: no report for this lesson at all
            (report_dir / name).mkdir(parents=True)
            (report_dir / name / "report.json").write_text(json.dumps({"video_id": name, "strategy_spec": specs}))
    report_dir.mkdir(exist_ok=True)
    out = subprocess.run([sys.executable, str(require(REFERENCE_SCORER)), str(label_dir), str(report_dir)],
                         capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def _ours(label_dir: Path, reports: dict[str, Specs | None]) -> list[str]:
    totals, lines = Totals(), []
    for name, label in _labels(label_dir).items():
        got = reports.get(name)
        score = score_lesson(label, got, missing=got is None)
        totals.add(score, name)
        lines.append(lesson_line(name, score))
    return [*lines, totals_line(totals)]


def _agree(label_dir: Path, reports: dict[str, Specs | None], tmp: Path) -> list[str]:
    ours = _ours(label_dir, reports)
    assert ours == _reference(label_dir, reports, tmp)
    return ours


# ------------------------------------------------------------------ perturbations


def _first_testable(specs: Specs) -> dict[str, Any] | None:
    return next((s for s in specs if s["testable"]), None)


def _conditions(spec: dict[str, Any]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(side, part, condition list) for every non-empty part, long before short, entry before exit."""
    out = []
    for side in ("long", "short"):
        if spec.get(side):
            for part in ("entry", "exit"):
                cset = spec[side][part]
                conds = cset.get("all") or cset.get("any") or []
                if conds:
                    out.append((side, part, conds))
    return out


def _operands(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for _, _, conds in _conditions(spec) for c in conds for o in (c["left"], c["right"])
            if isinstance(o, dict)]


def drop_condition(specs: Specs) -> Specs:
    spec = _first_testable(specs)
    for side, part, conds in _conditions(spec or {}):
        if part == "exit" or len(conds) > 1 or any(p == "entry" and s != side for s, p, _ in _conditions(spec)):
            conds.pop(0)
            if not conds and part == "entry":
                spec[side] = None
            break
    return specs


def change_window(specs: Specs) -> Specs:
    for op in _operands(_first_testable(specs) or {}):
        if "window" in op["params"]:
            op["params"]["window"] += 1
            break
    return specs


def flip_op(specs: Specs) -> Specs:
    for _, _, conds in _conditions(_first_testable(specs) or {})[:1]:
        conds[0]["op"] = FLIPPED[conds[0]["op"]]
    return specs


def missing_side(specs: Specs) -> Specs:
    spec = _first_testable(specs)
    if spec and spec["long"] and spec["short"]:
        spec["short"] = None
    elif spec:  # the one side it trades, given as the other
        spec["long"], spec["short"] = spec["short"], spec["long"]
    return specs


def extra_spec(specs: Specs) -> Specs:
    return [*specs, copy.deepcopy(INVENTED)]


def rule_for_untestable(specs: Specs) -> Specs:
    return specs if _first_testable(specs) else [copy.deepcopy(INVENTED)]


def untestable_for_testable(specs: Specs) -> Specs:
    return [StrategySpec.untestable(["could not read the rule"]).to_dict()] if _first_testable(specs) else specs


def stop_changed(specs: Specs) -> Specs:
    spec = _first_testable(specs)
    if spec:
        spec["stops"]["stop_loss_pct"] = (spec["stops"]["stop_loss_pct"] or 0) + 1.5
    return specs


def atr_window_changed(specs: Specs) -> Specs:
    # Counts only where an ATR stop or target is set; elsewhere the lesson stays exact.
    for spec in specs:
        spec["stops"]["atr_window"] = 21
    return specs


def wrong_timeframe(specs: Specs) -> Specs:
    spec = _first_testable(specs)
    if spec:
        spec["timeframe"] = "1h" if spec["timeframe"] != "1h" else "1d"
    return specs


def for_bars_offset_scale(specs: Specs) -> Specs:
    conds = [c for _, _, cs in _conditions(_first_testable(specs) or {}) for c in cs]
    if conds:
        conds[0]["for_bars"] += 1
        conds[-1]["left"]["offset"] += 1
        conds[len(conds) // 2]["left"]["scale"] = 1.05
    return specs


def duplicate_spec(specs: Specs) -> Specs:
    spec = _first_testable(specs)
    return [*specs, copy.deepcopy(spec)] if spec else specs


def equivalent_rewrites(specs: Specs) -> Specs:
    """Same rules written differently: exact wherever the label is (series swapped around a flipped op,
    >= for >, defaults left out, specs in reverse order, an unused atr_window)."""
    for spec in specs:
        for _, _, conds in _conditions(spec):
            for c in conds:
                if isinstance(c["right"], dict):
                    c["left"], c["right"], c["op"] = c["right"], c["left"], FLIPPED[c["op"]]
                c["op"] = {">": ">=", "<": "<="}.get(c["op"], c["op"])
        for op in _operands(spec):
            defaults = REGISTRY[op["indicator"]].defaults
            op["params"] = {k: v for k, v in op["params"].items() if defaults.get(k) != v}
        if not (spec["stops"]["stop_loss_atr"] or spec["stops"]["take_profit_atr"]):
            spec["stops"]["atr_window"] = 30
    return specs[::-1]


def accept_also_reading(specs: Specs, label: Any) -> Specs:
    items = label if isinstance(label, list) else [label]
    out = []
    for spec, item in zip(specs, items, strict=True):
        alts = item.get("accept_also") or []
        out.append(StrategySpec.from_dict(alts[0]).to_dict() if alts else spec)
    return out


PERTURBATIONS: dict[str, Callable[[Specs], Specs]] = {
    f.__name__: f for f in (drop_condition, change_window, flip_op, missing_side, extra_spec,
                            rule_for_untestable, untestable_for_testable, stop_changed, atr_window_changed,
                            wrong_timeframe, for_bars_offset_scale, duplicate_spec, equivalent_rewrites)
}


# ------------------------------------------------------------------ agreement with the reference


@pytest.mark.parametrize("label_set", sorted(LABEL_SETS))
def test_labels_scored_against_themselves_are_exact_and_agree(label_set: str, tmp_path: Path) -> None:
    folder = LABEL_SETS[label_set]
    labels = _labels(folder)
    lines = _agree(folder, {name: _plain(label) for name, label in labels.items()}, tmp_path)
    assert lines[-1].startswith(f"extraction: {len(labels)}/{len(labels)} exact"), lines[-1]
    assert lines[-1].endswith("wrong_testable=0")


@pytest.mark.parametrize("label_set", sorted(LABEL_SETS))
@pytest.mark.parametrize("perturbation", sorted(PERTURBATIONS))
def test_perturbed_extractions_agree(label_set: str, perturbation: str, tmp_path: Path) -> None:
    folder = LABEL_SETS[label_set]
    labels = _labels(folder)
    reports = {name: PERTURBATIONS[perturbation](_plain(label)) for name, label in labels.items()}
    lines = _agree(folder, reports, tmp_path)
    exact = sum(" exact " in line for line in lines[:-1])
    changed = sum(reports[name] != _plain(label) for name, label in labels.items())
    if perturbation in ("equivalent_rewrites", "atr_window_changed"):
        # Rewrites keep every lesson exact, except where the unused window is used (an ATR stop).
        atr = sum(any(reading(s).atr_window for s in load_specs(label)) for label in labels.values())
        assert exact == len(labels) - (atr if perturbation == "atr_window_changed" else 0), lines
    else:
        assert changed > 0 and exact == len(labels) - changed, lines


def test_accept_also_readings_are_exact_and_agree(tmp_path: Path) -> None:
    folder = LABEL_SETS["shared"]
    labels = _labels(folder)
    reports = {name: accept_also_reading(_plain(label), label) for name, label in labels.items()}
    assert sum(reports[n] != _plain(lab) for n, lab in labels.items()) >= 10
    lines = _agree(folder, reports, tmp_path)
    assert lines[-1].startswith(f"extraction: {len(labels)}/{len(labels)} exact"), lines[-1]
    # Without its accept_also, a label does not take the second reading.
    stripped = {name: [{k: v for k, v in s.items() if k != "accept_also"} for s in
                       (label if isinstance(label, list) else [label])] for name, label in labels.items()}
    assert sum(not score_lesson(stripped[n], reports[n]).exact for n in labels) >= 10


def test_missing_and_empty_reports_agree(tmp_path: Path) -> None:
    folder = LABEL_SETS["shared"]
    reports: dict[str, Specs | None] = {}
    for i, (name, label) in enumerate(_labels(folder).items()):
        reports[name] = None if i % 3 == 0 else [] if i % 3 == 1 else _plain(label)
    lines = _agree(folder, reports, tmp_path)
    assert sum(" missing " in line for line in lines) == len(range(0, len(reports), 3))


# ------------------------------------------------------------------ v1 labels and extractions


def _to_v1(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The v1 form of a v2 spec, where v1 can say it (one side or a flip, v1's four stop fields)."""
    base = {"version": 1, "testable": spec["testable"], "timeframe": spec["timeframe"]}
    if not spec["testable"]:
        return {**base, "unsupported": spec["unsupported"]}
    stops = spec["stops"]
    if stops["take_profit_atr"] or stops["max_bars_held"] or stops["atr_window"] != 14:
        return None
    long, short = spec["long"], spec["short"]
    if long and short:
        reverse = StrategySpec.from_dict(spec).is_stop_and_reverse()
        if not reverse:
            return None
        direction, side = "long_short", long
    else:
        direction, side = ("long", long) if long else ("short", short)
    return {**base, "direction": direction, "entry": side["entry"], "exit": side["exit"],
            **{k: stops[k] for k in ("stop_loss_pct", "take_profit_pct", "trailing_stop_pct", "stop_loss_atr")}}


def _v1_label(label: Any) -> Any:
    items = label if isinstance(label, list) else [label]
    out = []
    for item in items:
        v1 = _to_v1(StrategySpec.from_dict(item).to_dict())
        if v1 is None:
            return None
        alts = []
        for alt in item.get("accept_also") or []:  # the v1 way: only the part that differs
            side = "long" if item["long"] else "short"
            if alt.get(side):
                alts.append({part: alt[side][part] for part in ("entry", "exit")
                             if alt[side][part] != item[side][part]})
        out.append({**v1, **({"accept_also": alts} if alts else {})})
    return out if isinstance(label, list) else out[0]


def test_v1_labels_and_extractions_load_and_agree(tmp_path: Path) -> None:
    v1_dir = tmp_path / "v1"
    v1_dir.mkdir()
    originals = {}
    for folder in LABEL_SETS.values():
        for name, label in _labels(folder).items():
            v1 = _v1_label(label)
            if v1 is not None:
                (v1_dir / f"{name}.spec.json").write_text(json.dumps(v1))
                originals[name] = label
    assert len(originals) >= 30
    assert any("accept_also" in json.loads(p.read_text()) for p in v1_dir.glob("*.json")
               if isinstance(json.loads(p.read_text()), dict))
    # v2 extractions against v1 labels, then v1 extractions (and their perturbations) against them.
    lines = _agree(v1_dir, {n: _plain(lab) for n, lab in originals.items()}, tmp_path / "a")
    assert lines[-1].startswith(f"extraction: {len(originals)}/{len(originals)} exact"), lines[-1]
    v1_reports = {n: [_to_v1(s) for s in _plain(lab)] for n, lab in originals.items()}
    _agree(v1_dir, v1_reports, tmp_path / "b")
    _agree(v1_dir, {n: flip_op(_plain(lab)) for n, lab in originals.items()}, tmp_path / "c")
    # The v2 labels score v1 extractions the same way.
    for name, label in originals.items():
        assert score_lesson(label, load_specs(v1_reports[name])).exact, name


# ------------------------------------------------------------------ the real extractor


def test_the_real_extractors_output_agrees(tmp_path: Path) -> None:
    from reelquant.speech.transcript import transcript_from_text
    from reelquant.text.rules import extract_specs

    for label_set, folder in LABEL_SETS.items():
        reports = {}
        for name in _labels(folder):
            script = folder / f"{name}.txt"
            if script.is_file():
                reports[name] = [s.to_dict() for s in extract_specs(transcript_from_text(script.read_text()))]
        _agree(folder, reports, tmp_path / label_set)


# ------------------------------------------------------------------ the same registry, the same defaults


def test_the_registry_fills_the_same_defaults_as_the_reference() -> None:
    import runpy

    ref = runpy.run_path(str(require(REFERENCE_SCORER)))
    for name, defaults in ref["DEFAULTS"].items():
        assert REGISTRY[name].defaults == defaults, name
    for name, decl in REGISTRY.items():  # what the reference does not list takes no parameters
        assert name in ref["DEFAULTS"] or not decl.params, name


# ------------------------------------------------------------------ small cases, read directly


def _spec(entry: float, exit_: float | None = 70, stop: float | None = None, **kw: Any) -> StrategySpec:
    exits = [] if exit_ is None else [{"left": RSI, "op": ">", "right": exit_}]
    return StrategySpec.from_dict({"testable": True, "long": {"entry": {"all": [{"left": RSI, "op": "<",
                                                                                  "right": entry}]},
                                                              "exit": {"any": exits}},
                                   "stops": {"stop_loss_pct": stop}, **kw})


def test_stops_count_toward_exact_not_toward_conditions() -> None:
    s = score_spec(_spec(30, stop=3.0), _spec(30, stop=2.0))
    assert (s["exact"], s["tp"], s["fp"], s["fn"]) == (False, 2, 0, 0)


def test_missed_testable_is_kept_apart_from_wrong_testable() -> None:
    untestable = StrategySpec.untestable(["psychology only"])
    missed: LessonScore = score_lesson(_spec(30), [untestable])
    assert missed.missed_testable and not missed.wrong_testable and missed.fn == 2
    wrong = score_lesson(untestable, [_spec(30)])
    assert wrong.wrong_testable and not wrong.missed_testable and wrong.fp == 2
    assert score_lesson(untestable, [StrategySpec.untestable(["other words"])]).exact
    assert not score_lesson(untestable, []).exact  # saying nothing is not saying "not testable"


def test_score_many_totals_follow_the_reference_zero_rule() -> None:
    t = score_many([(_spec(30), _spec(30)), (_spec(25), _spec(30))])
    assert (t["n"], t["exact"], t["tp"], t["fp"], t["fn"]) == (2, 1, 3, 1, 1)
    empty = score_many([([StrategySpec.untestable(["x"])], StrategySpec.untestable(["y"]))])
    assert (empty["precision"], empty["recall"], empty["exact"]) == (0.0, 0.0, 1)


def test_a_label_list_keeps_its_alternatives() -> None:
    label = json.loads((LABEL_SETS["shared"] / "yt_supertrend_flip.spec.json").read_text())
    (only,) = labeled_specs(label)
    assert len(only.readings) == 2 and only.readings[0] != only.readings[1]


# ------------------------------------------------------------------ a wrong why is a defect


def test_every_not_testable_label_has_a_key_idea_the_why_check_can_judge() -> None:
    from reelquant.strategy.scoring import key_idea

    judged = 0
    for folder in LABEL_SETS.values():
        for name, label in _labels(folder).items():
            for spec in load_specs(label):
                if not spec.testable:
                    assert key_idea(spec.unsupported), (name, spec.unsupported)
                    judged += 1
    assert judged >= 13


def test_a_reason_of_another_kind_is_a_wrong_why() -> None:
    from reelquant.strategy.scoring import wrong_why

    label = ["the entry and exit depend on order book (level 2) data"]
    assert wrong_why(label, ["needs earnings and news data"])
    assert wrong_why(label, [])
    assert not wrong_why(label, ["reads Level 2 bids, not bars"])
    # The first reason is the key idea; a later, secondary one does not excuse missing it.
    earnings = ["needs earnings dates and analyst estimates", "the host judges each release (discretionary)"]
    assert wrong_why(earnings, ["a discretionary read"]) and not wrong_why(earnings, ["needs earnings data"])
    assert not wrong_why(["something no kind names"], ["anything"])


# ------------------------------------------------------------------ the reference's corner cases, by hand


def _rsi_side(entry: float = 30, exit_: float | None = 70) -> dict[str, Any]:
    exits = [] if exit_ is None else [{"left": RSI, "op": ">", "right": exit_}]
    return {"entry": {"all": [{"left": RSI, "op": "<", "right": entry}]}, "exit": {"any": exits}}


def _v2(**kw: Any) -> dict[str, Any]:
    return {"version": 2, "testable": True, "timeframe": "1d", "long": _rsi_side(), "short": None,
            "stops": {"stop_loss_pct": 2.0}, **kw}


def test_partial_and_v1_style_alternatives_agree(tmp_path: Path) -> None:
    """Alternatives that change only some keys (stops, timeframe, a side, v1's entry/exit/direction)."""
    v1 = {"version": 1, "testable": True, "direction": "long", "timeframe": "1d", **_rsi_side(), "stop_loss_pct": 2.0}
    labels = {
        "atr_stop_alt": {**_v2(), "accept_also": [{"stops": {"stop_loss_pct": None, "stop_loss_atr": 2.0}}]},
        "timeframe_alt": {**_v2(), "accept_also": [{"timeframe": "1h"}]},
        "side_alt": {**_v2(), "accept_also": [{"long": None, "short": _rsi_side(70, 30)}]},
        "v1_alts": {**v1, "accept_also": [{"direction": "short"}, {"exit": {"any": []}}, {"stop_loss_pct": 3}]},
        "two_setups": [_v2(), {**_v2(long=_rsi_side(20, 80)), "accept_also": [{"long": _rsi_side(25, 80)}]}],
    }
    candidates = [
        [_v2()],
        [_v2(stops={"stop_loss_atr": 2.0})],
        [_v2(stops={"stop_loss_atr": 2.0, "atr_window": 20})],
        [_v2(timeframe="1h")],
        [_v2(long=None, short=_rsi_side(70, 30))],
        [_v2(long=None, short=_rsi_side())],
        [_v2(long=_rsi_side(30, None))],
        [_v2(stops={"stop_loss_pct": 3.0})],
        [_v2(long=_rsi_side(25, 80)), _v2()],
        [_v2(long=_rsi_side(20, 80)), _v2(), _v2(timeframe="1h")],
    ]
    folder = tmp_path / "labels"
    folder.mkdir()
    for name, label in labels.items():
        (folder / f"{name}.spec.json").write_text(json.dumps(label))
    exact_lines = 0
    for k, candidate in enumerate(candidates):
        lines = _agree(folder, {name: copy.deepcopy(candidate) for name in labels}, tmp_path / str(k))
        exact_lines += sum(" exact " in line for line in lines)
    assert exact_lines >= 8  # the alternatives do accept something

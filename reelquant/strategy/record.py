"""The final per-video strategy record (every setup, every market) and the leaderboard built from many of them.

A lesson teaches one or more setups (StrategySpec v2, one each); each testable setup is backtested on every
market whose bars it can run on and judged there by the promotion gates. Records and reports written before
v2 (one v1 spec, one market) still load: `upgrade_record` brings them to this shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from reelquant.speech.transcript import Transcript
from reelquant.strategy.spec import StrategySpec, load_specs

RECORD_VERSION = 2
LEADERBOARD_COLUMNS = [
    "rank", "video_id", "name", "setup", "setup_name", "strategy", "market", "promoted", "oos_sharpe", "oos_return",
    "oos_max_drawdown", "oos_trades", "reasons",
]
# Records from before v2 tested one market without naming it.
V1_MARKET = "market not recorded"


def _clip_for(start_s: float, end_s: float, clips: list[dict[str, Any]]) -> str | None:
    """The clip that covers most of [start_s, end_s], if any does."""
    best, best_overlap = None, 0.0
    for clip in clips:
        overlap = min(end_s, clip["end_s"]) - max(start_s, clip["start_s"])
        if overlap > best_overlap:
            best, best_overlap = clip["path"], overlap
    return best


def setup_label(index: int, spec: StrategySpec | Mapping[str, Any]) -> str:
    """`setup 2 (Two-period RSI pullback)`: how reasons and tables name a setup (numbered from 1)."""
    name = spec.name if isinstance(spec, StrategySpec) else spec.get("name", "")
    return f"setup {index + 1}" + (f" ({name})" if name else "")


def _robustness_brief(robust: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not robust:
        return None
    return {k: robust.get(k) for k in ("share_positive", "deflated_sharpe", "n_trials") if k in robust}


def _market_entry(result: Mapping[str, Any], decision: Any | None) -> dict[str, Any]:
    """What the record keeps of one setup's backtest on one market: headline metrics and the decision."""
    if not result.get("ran"):
        reason = str(result.get("reason") or "not run")
        return {"ran": False, "reason": reason, "promoted": False, "reasons": [f"skipped: {reason}"]}
    rule = result.get("rule_only") or {}
    with_model = result.get("rule_plus_model") or {}
    promoted = bool(decision.promoted) if decision is not None else False
    reasons = list(decision.reasons) if decision is not None else ["rejected: the backtest was not judged"]
    return {
        "ran": True,
        "promoted": promoted,
        "reasons": reasons,
        "oos": (rule.get("metrics") or {}).get("out_of_sample"),
        "in_sample": (rule.get("metrics") or {}).get("in_sample"),
        "oos_with_model": (with_model.get("metrics") or {}).get("out_of_sample"),
        "walk_forward_summary": result.get("walk_forward_summary"),
        "robustness": _robustness_brief(result.get("robustness")),
        "signal_model": {k: v for k, v in (result.get("signal_model") or {}).items() if k != "entry_filter"},
        "equity_png": result.get("equity_png"),
    }


def _setup_verdict(spec: StrategySpec, markets: dict[str, dict[str, Any]], reason: str | None) -> tuple[bool, list[str]]:
    """Promoted where every gate passed on at least one market; one line per market either way."""
    if not spec.testable:
        return False, [f"rejected: not testable ({'; '.join(spec.unsupported) or 'no rule taught'})"]
    ran = [m for m in markets.values() if m["ran"]]
    winners = [name for name, m in markets.items() if m["promoted"]]
    if winners:
        headline = f"promoted on {', '.join(winners)}"
    elif ran:
        headline = f"rejected: failed the gates on {'the one market' if len(ran) == 1 else f'all {len(ran)} markets'} it ran on"
    else:
        headline = f"rejected: not run on any market ({reason or 'no market matched'})"
    lines = [headline]
    for name, m in markets.items():
        lines += [f"{name}: {r}" for r in m["reasons"]]
    return bool(winners), lines


def build_record(
    *,
    video_id: str,
    video: dict[str, Any],
    transcript: dict[str, Any],
    specs: list[StrategySpec] | StrategySpec,
    backtest: dict[str, Any],
    clips: list[dict[str, Any]],
    embeddings: dict[str, Any],
    features: dict[str, float],
    decisions: Mapping[int, Mapping[str, Any]] | None = None,
    evidence: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything a user needs to judge one lesson's setups, JSON-safe.

    `backtest` is the backtest asset's value (`{"setups": [{"markets": {name: result}}]}`); `decisions` maps a
    setup index and market name to a promotion Decision (promoted, reasons) for every market that ran.
    `evidence` items carry a "setup" index; without it each setup's provenance quotes stand in.
    """
    specs = load_specs(specs)
    decisions = decisions or {}
    runs = {int(s.get("setup", i)): s for i, s in enumerate(backtest.get("setups") or [])}
    if evidence is None:
        evidence = [{"setup": i, "part": p.part, "start_s": p.start_s, "end_s": p.end_s, "text": p.text,
                     "source": "provenance"} for i, spec in enumerate(specs) for p in spec.provenance]
    for quote in evidence:
        quote.setdefault("clip", _clip_for(quote["start_s"], quote["end_s"], clips))
    setups = []
    for i, spec in enumerate(specs):
        run = runs.get(i, {})
        markets = {name: _market_entry(result, (decisions.get(i) or {}).get(name))
                   for name, result in (run.get("markets") or {}).items()}
        promoted, reasons = _setup_verdict(spec, markets, run.get("reason"))
        setups.append({
            "setup": i, "label": setup_label(i, spec), "name": spec.name, "summary": spec.summary(),
            "testable": spec.testable, "spec": spec.to_dict(), "markets": markets, "promoted": promoted,
            "reasons": reasons, "evidence": [e for e in evidence if e.get("setup") == i],
        })
    return {
        "record_version": RECORD_VERSION,
        "video_id": video_id,
        "name": video.get("original_name", video_id),
        "duration_s": video.get("duration_s"),
        "engine": transcript.get("engine"),
        "language": transcript.get("language") or "en",
        "translated": bool(transcript.get("translation")),
        "words": Transcript.from_dict(transcript).word_count,
        "summary": " || ".join(s.summary() for s in specs),
        "testable": any(s.testable for s in specs),
        "specs": [s.to_dict() for s in specs],
        "setups": setups,
        **_verdict(setups),
        "evidence": evidence,
        "clips": clips,
        "search_rows": embeddings.get("rows", 0),
        "features": features,
    }


def _verdict(setups: list[dict[str, Any]]) -> dict[str, Any]:
    """The video's headline: promoted when at least one of its setups is, with every setup's reasons."""
    winners = [s for s in setups if s["promoted"]]
    n = len(setups)
    if winners:
        headline = f"promoted: {len(winners)} of {n} setup{'s' if n != 1 else ''} passed every gate on a market"
    else:
        tested = sum(any(m["ran"] for m in s["markets"].values()) for s in setups)
        if n == 1:
            headline = "rejected: its setup failed the gates" if tested else "rejected: its setup was not backtested"
        else:
            headline = f"rejected: none of {n} setups passed the gates ({tested} backtested)" if n else \
                "rejected: no setup"
    reasons = [headline] + [f"{s['label']}: {r}" for s in setups for r in s["reasons"]]
    return {"promoted": bool(winners), "reasons": reasons}


# ------------------------------------------------------------------ records and reports written before v2


def _v1_market(body: Mapping[str, Any], promoted: bool, reasons: list[str]) -> dict[str, Any]:
    return {"ran": True, "promoted": promoted, "reasons": list(reasons), "oos": body.get("oos"),
            "in_sample": body.get("in_sample"), "oos_with_model": body.get("oos_with_model"),
            "walk_forward_summary": body.get("walk_forward_summary"),
            "robustness": _robustness_brief(body.get("robustness")),
            "signal_model": body.get("signal_model") or {}, "equity_png": body.get("equity_png")}


def _v1_metrics(backtest: Mapping[str, Any]) -> dict[str, Any]:
    """A v1 backtest value's headline metrics under the record's names."""
    rule = (backtest.get("rule_only") or {}).get("metrics") or {}
    with_model = (backtest.get("rule_plus_model") or {}).get("metrics") or {}
    return {"oos": rule.get("out_of_sample"), "in_sample": rule.get("in_sample"),
            "oos_with_model": with_model.get("out_of_sample"), **{k: backtest.get(k) for k in (
                "walk_forward_summary", "robustness", "signal_model", "equity_png")}}


def _single_setup(spec: StrategySpec, market: dict[str, Any] | None, promoted: bool, reasons: list[str],
                  evidence: list[dict[str, Any]]) -> dict[str, Any]:
    markets = {V1_MARKET: market} if market else {}
    return {"setup": 0, "label": setup_label(0, spec), "name": spec.name, "summary": spec.summary(),
            "testable": spec.testable, "spec": spec.to_dict(), "markets": markets, "promoted": promoted,
            "reasons": list(reasons), "evidence": evidence}


def upgrade_record(data: Mapping[str, Any]) -> dict[str, Any]:
    """A v2 record from a stored strategy record or report.json, of any version (v2 passes through).

    Specs are read through `load_specs`, so a v1 spec comes back as its v2 form; a v1 lesson is one setup
    tested on one market that was not named at the time.
    """
    rec = dict(data)
    if rec.get("record_version", 1) >= RECORD_VERSION and "setups" in rec:
        return rec
    if "strategy_spec" in rec:  # a report.json
        return _from_report(rec)
    spec = load_specs(rec.get("spec"))[0] if rec.get("spec") else StrategySpec.untestable(["no spec recorded"])
    promoted, reasons = bool(rec.get("promoted")), list(rec.get("reasons") or [])
    evidence = [{**e, "setup": 0, "part": _v1_part(e.get("part", ""), spec)} for e in rec.get("evidence") or []]
    market = _v1_market(rec, promoted, reasons) if rec.get("oos") else None
    setup = _single_setup(spec, market, promoted, reasons, evidence)
    return {**rec, "record_version": RECORD_VERSION, "summary": spec.summary(), "testable": spec.testable,
            "specs": [spec.to_dict()], "setups": [setup], "evidence": evidence}


def _v1_part(part: str, spec: StrategySpec) -> str:
    """v1 named parts `entry[0]`; v2 names the side: `long.entry[0]` (`short.` for a short-only v1 spec)."""
    if part.startswith(("entry", "exit")):
        return f"{'short' if spec.direction == 'short' else 'long'}.{part}"
    return part


def _from_report(rep: dict[str, Any]) -> dict[str, Any]:
    specs = load_specs(rep.get("strategy_spec")) or [StrategySpec.untestable(["no spec recorded"])]
    backtest = rep.get("backtest") or {}
    promoted, reasons = bool(rep.get("promoted")), list(rep.get("reasons") or [])
    transcript = rep.get("transcript") or {}
    base = {"record_version": RECORD_VERSION, "video_id": rep["video_id"], "name": rep["video_id"],
            "duration_s": transcript.get("duration_s"), "engine": transcript.get("engine"),
            "language": transcript.get("language") or "en", "translated": bool(transcript.get("translation")),
            "words": transcript.get("word_count"), "summary": " || ".join(s.summary() for s in specs),
            "testable": any(s.testable for s in specs), "specs": [s.to_dict() for s in specs],
            "promoted": promoted, "reasons": reasons, "clips": rep.get("clips") or []}
    if "setups" in rep:  # a v2 report carries its record's setups as they were judged
        return {**base, "setups": rep["setups"], "evidence": rep.get("evidence") or []}
    spec = specs[0]
    evidence = [{**e, "setup": 0, "part": _v1_part(e.get("part", ""), spec)} for e in rep.get("evidence") or []]
    market = _v1_market(_v1_metrics(backtest), promoted, reasons) if backtest.get("ran") else None
    return {**base, "setups": [_single_setup(spec, market, promoted, reasons, evidence)], "evidence": evidence}


# ------------------------------------------------------------------ leaderboard


def _metric(oos: Mapping[str, Any] | None, key: str) -> float:
    return float(oos[key]) if oos and oos.get(key) is not None else float("nan")


def leaderboard_frame(records: list[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per setup and market it ran on (one row for a setup that ran nowhere), ranked: promoted first,
    then backtested by out-of-sample Sharpe, then the rest. Records of any version are read."""
    rows = []
    for raw in records:
        rec = upgrade_record(raw)
        for setup in rec["setups"]:
            base = {"video_id": rec["video_id"], "name": rec.get("name", rec["video_id"]),
                    "setup": int(setup["setup"]) + 1, "setup_name": setup.get("name", ""),
                    "strategy": setup.get("summary", "")}
            ran = {name: m for name, m in setup["markets"].items() if m.get("ran")}
            if not ran:
                skipped = [f"{name}: {m.get('reason')}" for name, m in setup["markets"].items()]
                rows.append({**base, "market": "-", "promoted": False, "oos_sharpe": float("nan"),
                             "oos_return": float("nan"), "oos_max_drawdown": float("nan"), "oos_trades": 0,
                             "reasons": "; ".join(skipped or setup.get("reasons", []))})
                continue
            for name, m in ran.items():
                oos = m.get("oos") or {}
                rows.append({**base, "market": name, "promoted": bool(m.get("promoted")),
                             "oos_sharpe": _metric(oos, "sharpe"), "oos_return": _metric(oos, "total_return"),
                             "oos_max_drawdown": _metric(oos, "max_drawdown"),
                             "oos_trades": int(oos.get("trades", 0) or 0), "reasons": "; ".join(m.get("reasons", []))})
    if not rows:
        return pd.DataFrame(columns=LEADERBOARD_COLUMNS)
    board = pd.DataFrame(rows)
    board["_tested"] = board["oos_sharpe"].notna()
    board = board.sort_values(["promoted", "_tested", "oos_sharpe", "video_id", "setup"],
                              ascending=[False, False, False, True, True],
                              na_position="last", kind="stable").drop(columns="_tested").reset_index(drop=True)
    board.insert(0, "rank", range(1, len(board) + 1))
    return board[LEADERBOARD_COLUMNS]

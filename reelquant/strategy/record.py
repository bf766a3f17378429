"""The final per-video strategy record and the leaderboard built from many of them."""

from __future__ import annotations

from typing import Any

import pandas as pd

from reelquant.speech.transcript import Transcript
from reelquant.strategy.spec import StrategySpec

LEADERBOARD_COLUMNS = [
    "rank", "video_id", "name", "strategy", "promoted", "oos_sharpe", "oos_return", "oos_max_drawdown",
    "oos_trades", "reasons",
]


def _clip_for(start_s: float, end_s: float, clips: list[dict[str, Any]]) -> str | None:
    """The clip that covers most of [start_s, end_s], if any does."""
    best, best_overlap = None, 0.0
    for clip in clips:
        overlap = min(end_s, clip["end_s"]) - max(start_s, clip["start_s"])
        if overlap > best_overlap:
            best, best_overlap = clip["path"], overlap
    return best


def build_record(
    *,
    video_id: str,
    video: dict[str, Any],
    transcript: dict[str, Any],
    spec: StrategySpec,
    backtest: dict[str, Any],
    signal_model: dict[str, Any],
    clips: list[dict[str, Any]],
    embeddings: dict[str, Any],
    features: dict[str, float],
    decision: Any | None,
    evidence: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything a user needs to judge one lesson's strategy, JSON-safe.

    `decision` is a promotion Decision (promoted, reasons) or None when nothing was backtested.
    """
    if decision is None:
        promoted = False
        reasons = [f"rejected: no testable strategy ({'; '.join(spec.unsupported) or 'no rule taught'})"]
    else:
        promoted = bool(decision.promoted)
        reasons = list(decision.reasons)
    rule = backtest.get("rule_only") or {}
    with_model = backtest.get("rule_plus_model") or {}
    quotes = evidence if evidence is not None else [
        {"part": p.part, "start_s": p.start_s, "end_s": p.end_s, "text": p.text} for p in spec.provenance
    ]
    for quote in quotes:
        quote.setdefault("clip", _clip_for(quote["start_s"], quote["end_s"], clips))
    return {
        "video_id": video_id,
        "name": video.get("original_name", video_id),
        "duration_s": video.get("duration_s"),
        "engine": transcript.get("engine"),
        "words": Transcript.from_dict(transcript).word_count,
        "summary": spec.summary(),
        "testable": spec.testable,
        "spec": spec.to_dict(),
        "promoted": promoted,
        "reasons": reasons,
        "oos": (rule.get("metrics") or {}).get("out_of_sample"),
        "in_sample": (rule.get("metrics") or {}).get("in_sample"),
        "oos_with_model": (with_model.get("metrics") or {}).get("out_of_sample"),
        "signal_model": {k: v for k, v in signal_model.items() if k not in ("entry_filter",)},
        "evidence": quotes,
        "clips": clips,
        "search_rows": embeddings.get("rows", 0),
        "features": features,
    }


def leaderboard_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Rank records: promoted first, then by out-of-sample Sharpe; untested lessons last."""
    rows = []
    for rec in records:
        oos = rec.get("oos") or {}
        rows.append({
            "video_id": rec["video_id"],
            "name": rec.get("name", rec["video_id"]),
            "strategy": rec.get("summary", ""),
            "promoted": bool(rec.get("promoted")),
            "oos_sharpe": float(oos.get("sharpe", float("nan"))) if oos else float("nan"),
            "oos_return": float(oos.get("total_return", float("nan"))) if oos else float("nan"),
            "oos_max_drawdown": float(oos.get("max_drawdown", float("nan"))) if oos else float("nan"),
            "oos_trades": int(oos.get("trades", 0)) if oos else 0,
            "reasons": "; ".join(rec.get("reasons", [])),
        })
    if not rows:
        return pd.DataFrame(columns=LEADERBOARD_COLUMNS)
    board = pd.DataFrame(rows)
    board["_tested"] = board["oos_sharpe"].notna()
    board = board.sort_values(["promoted", "_tested", "oos_sharpe"], ascending=[False, False, False],
                              na_position="last").drop(columns="_tested").reset_index(drop=True)
    board.insert(0, "rank", range(1, len(board) + 1))
    return board[LEADERBOARD_COLUMNS]

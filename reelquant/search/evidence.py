"""Evidence for a strategy: for each rule of a StrategySpec, the moments of its video that support it, found through
the search index and set beside the words the extractor quoted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reelquant.search.embed import embed_texts
from reelquant.search.query import reciprocal_rank_fusion
from reelquant.search.store import VectorStore
from reelquant.strategy.spec import Condition, Indicator, StrategySpec

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# Below this cosine similarity a segment shares too little with the rule to be shown as support for it; a lesson
# always has a "nearest" segment, and an unrelated quote beside a rule would mislead more than no quote.
MIN_SIMILARITY = 0.35

_NAMES = {
    "close": "closing price", "open": "opening price", "high": "high", "low": "low", "volume": "volume",
    "sma": "simple moving average", "ema": "exponential moving average", "rsi": "RSI relative strength index",
    "macd": "MACD line", "macd_signal": "MACD signal line", "macd_hist": "MACD histogram",
    "bb_upper": "upper Bollinger band", "bb_middle": "middle Bollinger band", "bb_lower": "lower Bollinger band",
    "donchian_high": "Donchian channel high", "donchian_low": "Donchian channel low", "atr": "average true range",
    "stoch_k": "stochastic %K", "stoch_d": "stochastic %D", "highest_high": "highest high", "lowest_low": "lowest low",
}
_OPS = {
    "crosses_above": "crosses above", "crosses_below": "crosses below", ">": "is above", "<": "is below",
    ">=": "is at or above", "<=": "is at or below",
}
_STOPS = {
    "stop_loss_pct": "stop loss {v:g} percent {side} the entry",
    "take_profit_pct": "take profit at {v:g} percent",
    "trailing_stop_pct": "trailing stop {v:g} percent",
    "stop_loss_atr": "stop loss {v:g} times the ATR average true range {side} the entry",
}


def _say(x: Indicator | float | int) -> str:
    if not isinstance(x, Indicator):
        return f"{x:g}"
    window = x.params.get("window")
    name = _NAMES.get(x.indicator, x.indicator.replace("_", " "))
    return f"{window:g} period {name}" if window is not None else name


def _say_condition(cond: Condition, action: str) -> str:
    return f"{action} when the {_say(cond.left)} {_OPS.get(cond.op, cond.op)} {_say(cond.right)}"


def rule_parts(spec: StrategySpec) -> list[tuple[str, str]]:
    """(part, the rule in words) for every rule of the spec: entry[i], exit[i] and each stop that is set."""
    buy, sell = ("sell short", "cover") if spec.direction == "short" else ("buy", "sell")
    side = {"long": "below", "short": "above"}.get(spec.direction, "away from")
    parts = [(f"entry[{i}]", _say_condition(c, buy)) for i, c in enumerate(spec.entry.conditions)]
    parts += [(f"exit[{i}]", _say_condition(c, sell)) for i, c in enumerate(spec.exit.conditions)]
    for field, template in _STOPS.items():
        value = getattr(spec, field)
        if value is not None:
            parts.append((field, template.format(v=float(value), side=side)))
    return parts


def _overlaps(hit: dict[str, Any], quote: dict[str, Any]) -> bool:
    return float(hit["start_s"]) < float(quote["end_s"]) and float(quote["start_s"]) < float(hit["end_s"])


def evidence_for_spec(
    store: VectorStore, model: SentenceTransformer, spec: StrategySpec, video_id: str, k: int = 2
) -> list[dict[str, Any]]:
    """For each rule of `spec`, its quoted provenance and the `k` best supporting segments of `video_id`.

    Each item has "part", "start_s", "end_s", "text" and "source": "provenance" (the extractor's own quote) or
    "search" (a segment from the index, with "segment_id", "score" (cosine similarity to the rule), "quoted"
    (whether it spans the provenance quote) and "clip" when the segment has a clip). A segment is searched for
    with the quote and the rule in words together, by vectors and full text fused by reciprocal rank, within
    that video only; segments below MIN_SIMILARITY are left out unless they hold the quote.
    """
    parts = rule_parts(spec)
    if not parts:
        return []
    quotes: dict[str, list[dict[str, Any]]] = {}
    for p in spec.provenance:
        quotes.setdefault(p.part, []).append(
            {"part": p.part, "start_s": p.start_s, "end_s": p.end_s, "text": p.text, "source": "provenance"}
        )
    queries = [" ".join([*(q["text"] for q in quotes.get(part, [])), words]) for part, words in parts]
    vectors = embed_texts(model, queries)
    evidence: list[dict[str, Any]] = []
    for (part, _), query, vector in zip(parts, queries, vectors, strict=True):
        own = quotes.get(part, [])
        evidence.extend(own)
        if k < 1:
            continue
        # Every segment of one lesson is a candidate, so rank them all: a short lesson has only a few.
        depth = max(4 * k, 20)
        semantic = store.search(vector, k=depth, video_id=video_id)
        similarity = {int(h["segment_id"]): float(h["score"]) for h in semantic}
        lexical = store.fts_search(query, k=depth, video_id=video_id)
        found = 0
        for hit in reciprocal_rank_fusion([semantic, lexical]):
            cos = similarity.get(int(hit["segment_id"]), 0.0)
            quoted = any(_overlaps(hit, q) for q in own)
            if cos < MIN_SIMILARITY and not quoted:
                continue
            item = {
                "part": part, "start_s": float(hit["start_s"]), "end_s": float(hit["end_s"]), "text": hit["text"],
                "source": "search", "segment_id": int(hit["segment_id"]), "score": round(cos, 4), "quoted": quoted,
            }
            if hit.get("clip_path"):
                item["clip"] = hit["clip_path"]
            evidence.append(item)
            found += 1
            if found == k:
                break
    return evidence

"""Evidence for a lesson's setups: for each rule of each StrategySpec, the moments of its video that support it,
found through the search index and set beside the words the extractor quoted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reelquant.indicators import get
from reelquant.search.embed import embed_texts
from reelquant.search.query import reciprocal_rank_fusion
from reelquant.search.store import VectorStore
from reelquant.strategy.spec import STOP_FIELDS, Condition, Operand, StrategySpec, load_specs

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# Below this cosine similarity a segment shares too little with the rule to be shown as support for it; a lesson
# always has a "nearest" segment, and an unrelated quote beside a rule would mislead more than no quote.
MIN_SIMILARITY = 0.35

_OPS = {
    "crosses_above": "crosses above", "crosses_below": "crosses below", ">": "is above", "<": "is below",
    ">=": "is at or above", "<=": "is at or below",
}
# What a trader does when each part of a side fires.
_ACTIONS = {("long", "entry"): "buy", ("long", "exit"): "sell", ("short", "entry"): "sell short",
            ("short", "exit"): "cover"}
_STOPS = {
    "stop_loss_pct": "stop loss {v:g} percent {side} the entry",
    "take_profit_pct": "take profit at {v:g} percent",
    "trailing_stop_pct": "trailing stop {v:g} percent",
    "stop_loss_atr": "stop loss {v:g} times the ATR average true range {side} the entry",
    "take_profit_atr": "take profit at {v:g} times the ATR average true range",
    "max_bars_held": "exit after {v:g} bars",
}
assert set(_STOPS) == set(STOP_FIELDS), "every stop field is said in words"


def _name(indicator: str) -> str:
    """The registry's title in lower case, with the short form lessons say (`relative strength index rsi`)."""
    ind = get(indicator)
    title = ind.title.lower()
    short = next((w for w in ind.words if " " not in w and len(w) <= 5 and w not in title.split()), "")
    return f"{title} {short}".strip()


def _say(x: Operand | float | int) -> str:
    if not isinstance(x, Operand):
        return f"{x:g}"
    params = x.resolved()
    window = params.get("window")
    text = f"{window:g} period {_name(x.indicator)}" if isinstance(window, int | float) else _name(x.indicator)
    if x.offset:
        text += f" {x.offset} bar{'s' if x.offset > 1 else ''} ago"
    if x.scale != 1.0:
        text = f"{x.scale:g} times the {text}"
    return text


def _the(x: Operand | float | int) -> str:
    """An operand as the object of a sentence: `the 20 period ...`, `0.95 times the ...`, or a bare number."""
    return f"the {_say(x)}" if isinstance(x, Operand) and x.scale == 1.0 else _say(x)


def _say_condition(cond: Condition, action: str) -> str:
    text = f"{action} when {_the(cond.left)} {_OPS.get(cond.op, cond.op)} {_the(cond.right)}"
    return text + (f" for {cond.for_bars} bars in a row" if cond.for_bars > 1 else "")


def rule_parts(spec: StrategySpec) -> list[tuple[str, str]]:
    """(part, the rule in words) for every rule of the spec: `long.entry[0]`, `short.exit[1]`, ... and
    `stops.<field>` for each stop that is set."""
    parts = []
    for part, cond in spec.conditions():
        side, kind = part.split("[")[0].split(".")
        parts.append((part, _say_condition(cond, _ACTIONS[(side, kind)])))
    side = {"long": "below", "short": "above"}.get(spec.direction, "away from")
    for field, template in _STOPS.items():
        value = getattr(spec.stops, field)
        if value is not None:
            parts.append((f"stops.{field}", template.format(v=float(value), side=side)))
    return parts


def _quotes_for(part: str, quotes: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The provenance said for a part; a stop is also quoted by provenance of the stops as a whole."""
    if part.startswith("stops."):
        return quotes.get(part, []) + quotes.get("stops", []) + quotes.get(part.removeprefix("stops."), [])
    return quotes.get(part, [])


def _overlaps(hit: dict[str, Any], quote: dict[str, Any]) -> bool:
    return float(hit["start_s"]) < float(quote["end_s"]) and float(quote["start_s"]) < float(hit["end_s"])


def evidence_for_specs(
    store: VectorStore, model: SentenceTransformer, specs: list[StrategySpec] | list[dict[str, Any]], video_id: str,
    k: int = 2,
) -> list[dict[str, Any]]:
    """For each rule of each setup, its quoted provenance and the `k` best supporting segments of `video_id`.

    Each item has "setup" (the spec's index in the list), "part" (`long.entry[0]`, `stops.stop_loss_pct`, ...),
    "start_s", "end_s", "text" and "source": "provenance" (the extractor's own quote) or "search" (a segment
    from the index, with "segment_id", "score" (cosine similarity to the rule), "quoted" (whether it spans the
    provenance quote) and "clip" when the segment has a clip). A segment is searched for with the quote and the
    rule in words together, by vectors and full text fused by reciprocal rank, within that video only; segments
    below MIN_SIMILARITY are left out unless they hold the quote.
    """
    rules: list[tuple[int, str, list[dict[str, Any]], str]] = []
    for i, spec in enumerate(load_specs(specs)):
        quotes: dict[str, list[dict[str, Any]]] = {}
        for p in spec.provenance:
            quotes.setdefault(p.part, []).append({"setup": i, "part": p.part, "start_s": p.start_s,
                                                  "end_s": p.end_s, "text": p.text, "source": "provenance"})
        for part, words in rule_parts(spec):
            own = _quotes_for(part, quotes)
            rules.append((i, part, own, " ".join([*(q["text"] for q in own), words])))
    if not rules:
        return []
    vectors = embed_texts(model, [query for *_, query in rules]) if k >= 1 else [None] * len(rules)
    evidence: list[dict[str, Any]] = []
    shown: set[tuple[int, str, float, float]] = set()
    for (setup, part, own, query), vector in zip(rules, vectors, strict=True):
        for q in own:
            # A quote of the stops as a whole is shown once per setup, under the part it was said for.
            key = (setup, q["part"], q["start_s"], q["end_s"])
            if key not in shown:
                shown.add(key)
                evidence.append(q)
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
                "setup": setup, "part": part, "start_s": float(hit["start_s"]), "end_s": float(hit["end_s"]),
                "text": hit["text"], "source": "search", "segment_id": int(hit["segment_id"]), "score": round(cos, 4),
                "quoted": quoted,
            }
            if hit.get("clip_path"):
                item["clip"] = hit["clip_path"]
            evidence.append(item)
            found += 1
            if found == k:
                break
    return evidence


def evidence_for_spec(
    store: VectorStore, model: SentenceTransformer, spec: StrategySpec, video_id: str, k: int = 2
) -> list[dict[str, Any]]:
    """`evidence_for_specs` for a lesson of one setup."""
    return evidence_for_specs(store, model, [spec], video_id, k=k)

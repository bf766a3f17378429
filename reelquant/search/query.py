"""Answer a search question across every processed lesson: vector and full-text hits fused by reciprocal rank."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from reelquant.search.embed import embed_texts
from reelquant.search.errors import SearchError
from reelquant.search.store import VectorStore
from reelquant.text.lexicon import load_lexicon
from reelquant.text.numbers import spell_number

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_NUMBER = re.compile(r"(?<![\w.])(\d{1,6})(?:\.(\d{1,3}))?(?![\w.])")
HIT_FIELDS = ("video_id", "segment_id", "start_s", "end_s", "text", "clip_path", "keywords")
RRF_K = 60


def reciprocal_rank_fusion(rankings: Sequence[Sequence[dict[str, Any]]], rrf_k: int = RRF_K) -> list[dict[str, Any]]:
    """Merge ranked hit lists: each hit scores the sum of 1 / (rrf_k + rank) over the lists it appears in.

    Hits are the same when (video_id, segment_id) match; the first list's copy of a row is kept. Ties keep the
    order of first appearance, so the earlier list breaks them.
    """
    fused: dict[tuple[str, int], dict[str, Any]] = {}
    order: dict[tuple[str, int], int] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            key = (hit["video_id"], int(hit["segment_id"]))
            if key not in fused:
                fused[key] = {**hit, "score": 0.0}
                order[key] = len(order)
            fused[key]["score"] += 1.0 / (rrf_k + rank)
    return sorted(fused.values(), key=lambda h: (-h["score"], order[(h["video_id"], int(h["segment_id"]))]))


def spoken_numbers(text: str) -> str:
    """The numbers written as digits in `text`, said in words ("2.5 x 90" -> "two point five ninety").

    Speech engines and scripts often spell numbers out while people type digits; full-text search gets both.
    """
    said = []
    for m in _NUMBER.finditer(text):
        words = spell_number(int(m.group(1)))
        if m.group(2):
            words += " point " + " ".join(spell_number(int(d)) for d in m.group(2))
        said.append(words)
    return " ".join(said)


def keyword_categories() -> list[str]:
    """Every keyword category a search can be limited to, as the lexicon names them."""
    return sorted({t.category for t in load_lexicon().terms})


def category_keyword_ids(category: str) -> list[str]:
    """Canonical keyword ids of one lexicon category; an unknown name is refused rather than matching nothing."""
    name = category.strip().lower() if isinstance(category, str) else ""
    ids = [t.id for t in load_lexicon().in_category(name)] if name else []
    if not ids:
        raise SearchError(
            f"Unknown keyword category {category!r}; use one of: {', '.join(keyword_categories())}."
        )
    return ids


def _hit(row: dict[str, Any]) -> dict[str, Any]:
    hit = {f: row.get(f) for f in HIT_FIELDS}
    hit["clip_path"] = hit["clip_path"] or ""
    hit["keywords"] = list(hit["keywords"] or [])
    hit["score"] = float(row["score"])
    return hit


def search(
    store: VectorStore,
    model: SentenceTransformer,
    query: str,
    k: int = 5,
    video_id: str | None = None,
    hybrid: bool = True,
    category: str | None = None,
) -> list[dict[str, Any]]:
    """The k moments that best answer `query`, optionally within one video or one keyword category.

    With `hybrid`, semantic neighbours and BM25 full-text matches are fused by reciprocal rank (score is the
    fused score); otherwise only vectors count and score is the cosine similarity. `category` (a lexicon
    category such as "indicators" or "risk_management") keeps segments that mention a term of that category.
    """
    keyword_ids = category_keyword_ids(category) if category is not None else None
    if k < 1 or not query.strip():
        return []
    vector = embed_texts(model, [query])[0]
    if not hybrid:
        return [_hit(h) for h in store.search(vector, k=k, video_id=video_id, keyword_ids=keyword_ids)]
    # Fusing deeper lists than k lets a segment ranked moderately by both methods rise above one-sided hits.
    depth = max(4 * k, 20)
    semantic = store.search(vector, k=depth, video_id=video_id, keyword_ids=keyword_ids)
    spoken = spoken_numbers(query)
    lexical = store.fts_search(f"{query} {spoken}" if spoken else query, k=depth, video_id=video_id,
                               keyword_ids=keyword_ids)
    return [_hit(h) for h in reciprocal_rank_fusion([semantic, lexical])[:k]]

"""Answer a search question across every processed lesson: vector and full-text hits fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from reelquant.search.embed import embed_texts
from reelquant.search.store import VectorStore

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

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
) -> list[dict[str, Any]]:
    """The k moments that best answer `query`, optionally within one video.

    With `hybrid`, semantic neighbours and BM25 full-text matches are fused by reciprocal rank (score is the
    fused score); otherwise only vectors count and score is the cosine similarity.
    """
    if k < 1 or not query.strip():
        return []
    vector = embed_texts(model, [query])[0]
    if not hybrid:
        return [_hit(h) for h in store.search(vector, k=k, video_id=video_id)]
    # Fusing deeper lists than k lets a segment ranked moderately by both methods rise above one-sided hits.
    depth = max(4 * k, 20)
    semantic = store.search(vector, k=depth, video_id=video_id)
    lexical = store.fts_search(query, k=depth, video_id=video_id)
    return [_hit(h) for h in reciprocal_rank_fusion([semantic, lexical])[:k]]

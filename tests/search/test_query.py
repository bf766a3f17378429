"""Search questions answered across lessons: semantic ranking, full-text fusion and the shape of a hit."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelquant.search.embed import embed_texts
from reelquant.search.query import reciprocal_rank_fusion, search
from reelquant.search.store import VectorStore

HIT_KEYS = {"video_id", "segment_id", "start_s", "end_s", "text", "clip_path", "keywords", "score"}


@pytest.fixture
def library(tmp_path: Path, lesson_rows) -> VectorStore:
    store = VectorStore(tmp_path / "lancedb", model_name="all-MiniLM-L6-v2", dim=384)
    for vid, rows in lesson_rows.items():
        store.replace_video(vid, rows)
    return store


@pytest.mark.parametrize("hybrid", [True, False])
def test_a_question_about_an_rsi_stop_loss_finds_the_rsi_stop_segment_first(library, embedder, hybrid):
    hits = search(library, embedder, "Where do I put the stop loss on an RSI trade?", k=3, hybrid=hybrid)
    assert (hits[0]["video_id"], hits[0]["segment_id"]) == ("rsi_reversion", 2)
    assert (hits[0]["start_s"], hits[0]["end_s"]) == (12.4, 19.8)
    assert all(set(h) == HIT_KEYS for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_hybrid_lifts_an_exact_rare_term_that_vectors_alone_cannot_place(library, embedder, lesson_rows):
    # A made-up setup name: only the full-text index knows which segment says it.
    row = {**lesson_rows["trading_psychology"][0], "segment_id": 1,
           "text": "The zorblax setup buys the first pullback after a gap."}
    row["vector"] = embed_texts(embedder, [row["text"]])[0]
    library.replace_video("trading_psychology", [lesson_rows["trading_psychology"][0], row])

    hits = search(library, embedder, "zorblax", k=3, hybrid=True)
    assert (hits[0]["video_id"], hits[0]["segment_id"]) == ("trading_psychology", 1)
    # Found by both rankers, its fused score beats any hit that only one ranker placed first.
    assert hits[0]["score"] > 1 / 61
    assert hits[1]["score"] <= 1 / 61 + 1e-12


def test_search_stays_inside_one_video_when_asked(library, embedder):
    hits = search(library, embedder, "when do I buy", k=5, video_id="golden_cross")
    assert hits and {h["video_id"] for h in hits} == {"golden_cross"}
    assert search(library, embedder, "when do I buy", k=5, video_id="x' OR '1'='1") == []


def test_k_limits_hits_and_an_empty_question_finds_nothing(library, embedder):
    assert len(search(library, embedder, "moving average", k=2)) == 2
    assert search(library, embedder, "   ", k=5) == []


def test_reciprocal_rank_fusion_rewards_agreement():
    a = {"video_id": "v", "segment_id": 0, "text": "a"}
    b = {"video_id": "v", "segment_id": 1, "text": "b"}
    c = {"video_id": "w", "segment_id": 0, "text": "c"}
    fused = reciprocal_rank_fusion([[a, b], [c, b]], rrf_k=60)
    assert [h["text"] for h in fused] == ["b", "a", "c"]
    assert fused[0]["score"] == pytest.approx(2 / 62)
    assert fused[1]["score"] == pytest.approx(1 / 61) == fused[2]["score"]

"""Search questions answered across lessons: semantic ranking, full-text fusion and the shape of a hit."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelquant.search.embed import embed_texts
from reelquant.search.errors import SearchError
from reelquant.search.query import category_keyword_ids, reciprocal_rank_fusion, search, spoken_numbers
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


def test_a_category_keeps_only_segments_that_mention_one_of_its_terms(library, embedder):
    hits = search(library, embedder, "when do I buy", k=10, category="indicators")
    assert hits and all("rsi" in h["keywords"] for h in hits)
    assert {h["video_id"] for h in hits} == {"rsi_reversion"}
    # Psychology terms are tagged on no row of this library: the filter matches nothing rather than being dropped.
    assert search(library, embedder, "when do I buy", k=10, category="psychology") == []
    assert category_keyword_ids(" Indicators ") == category_keyword_ids("indicators")


@pytest.mark.parametrize("category", ["indicators' OR '1'='1", "indicators; DROP TABLE segments", "", "nonsense"])
def test_a_category_outside_the_lexicon_is_refused_in_one_sentence(library, embedder, category):
    with pytest.raises(SearchError) as err:
        search(library, embedder, "when do I buy", k=5, category=category)
    message = str(err.value)
    assert message.startswith("Unknown keyword category") and "indicators" in message and message.count(". ") == 0


@pytest.mark.parametrize("query", [
    "stop loss' OR '1'='1", 'RSI"; DROP TABLE segments; --', "buy) OR (1=1", "it's the RSI stop: -- ;",
])
def test_quotes_and_sql_in_the_query_text_neither_break_nor_change_the_search(library, embedder, query, lesson_rows):
    before = library.count()
    hits = search(library, embedder, query, k=3, video_id="rsi_reversion")
    assert hits and {h["video_id"] for h in hits} == {"rsi_reversion"}
    assert library.count() == before == sum(len(r) for r in lesson_rows.values())


def test_numbers_typed_as_digits_are_also_searched_as_spoken_words():
    assert spoken_numbers("sell the 2-period RSI above 90 with a 2.5 ATR stop on the S&P 500") == (
        "two ninety two point five five hundred"
    )
    assert spoken_numbers("no digits here") == ""

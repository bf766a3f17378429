"""The ANN index: trained once the table is large enough, retrained when it outgrows it, and never in the way of
a filtered search that must see every row of one video or category."""

from __future__ import annotations

from pathlib import Path

import lancedb
import numpy as np
import pytest

from reelquant.search.errors import VectorStoreError
from reelquant.search.store import VectorStore

DIM = 32
PER_VIDEO = 50


def _vectors(rng: np.random.Generator, n: int, centers: np.ndarray) -> np.ndarray:
    v = centers[rng.integers(0, len(centers), n)] + 0.3 * rng.standard_normal((n, DIM)).astype(np.float32)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _fill(store: VectorStore, videos: range, rng: np.random.Generator, centers: np.ndarray) -> dict[str, np.ndarray]:
    written = {}
    for n in videos:
        vid = f"video-{n:03d}"
        vectors = _vectors(rng, PER_VIDEO, centers)
        store.replace_video(vid, [
            {"segment_id": i, "start_s": i * 5.0, "end_s": i * 5.0 + 4.0, "text": f"{vid} part {i}",
             "keywords": ["rsi"] if (n == 7 and i == 3) else [], "vector": v}
            for i, v in enumerate(vectors)
        ])
        written[vid] = vectors
    return written


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory):
    rng = np.random.default_rng(3)
    centers = rng.standard_normal((24, DIM)).astype(np.float32)
    store = VectorStore(tmp_path_factory.mktemp("ann") / "lancedb", "tiny-test-model", DIM, ann_min_rows=1500)
    written = _fill(store, range(20), rng, centers)  # 1000 rows: still below the threshold
    before = store.vector_index()
    written |= _fill(store, range(20, 40), rng, centers)  # 2000 rows: the write that crosses it trains the index
    return store, written, before, rng, centers


def test_no_index_below_the_threshold_then_one_trained_on_the_rows_present(indexed):
    store, written, before, _, _ = indexed
    assert before is None
    info = store.vector_index()
    assert info is not None and info["trained_rows"] >= 1500
    assert info["indexed_rows"] + info["unindexed_rows"] == store.count() == 40 * PER_VIDEO
    assert store.ensure_vector_index() == "current"


def test_indexed_search_finds_a_stored_row_as_its_own_nearest_neighbour(indexed):
    store, written, _, _, _ = indexed
    exact_hits, total = 0, 0
    for vid in ("video-005", "video-021", "video-033"):
        for i in (0, 17, 49):
            hits = store.search(written[vid][i], k=5)
            assert len(hits) == 5
            total += 1
            exact_hits += (hits[0]["video_id"], hits[0]["segment_id"]) == (vid, i)
    assert exact_hits / total >= 0.9


def test_filtered_search_reaches_every_row_of_a_video_or_keyword_despite_the_index(indexed):
    store, written, _, _, _ = indexed
    # A query far from the video's rows: the probed partitions may hold none of them, yet all must come back.
    far = -written["video-011"].mean(axis=0)
    hits = store.search(far, k=PER_VIDEO + 10, video_id="video-011")
    assert sorted(h["segment_id"] for h in hits) == list(range(PER_VIDEO))
    tagged = store.search(far, k=5, keyword_ids=["rsi"])
    assert [(h["video_id"], h["segment_id"]) for h in tagged] == [("video-007", 3)]


def test_the_index_is_retrained_once_the_table_has_doubled(tmp_path: Path):
    rng = np.random.default_rng(5)
    centers = rng.standard_normal((16, DIM)).astype(np.float32)
    store = VectorStore(tmp_path / "lancedb", "tiny-test-model", DIM, ann_min_rows=1000)
    _fill(store, range(20), rng, centers)
    first = store.vector_index()
    _fill(store, range(20, 26), rng, centers)  # +30 %: folded into the trained partitions, not retrained
    folded = store.vector_index()
    _fill(store, range(26, 42), rng, centers)  # past twice the training size
    retrained = store.vector_index()
    assert first["trained_rows"] == 1000
    assert folded["trained_rows"] == 1000 and folded["unindexed_rows"] <= 0.1 * store.count()
    assert retrained["trained_rows"] >= 2000 and retrained["name"] != first["name"]
    table = lancedb.connect(store.uri).open_table(store.table_name)
    assert len([ix for ix in table.list_indices() if ix.columns == ["vector"]]) == 1


def test_a_threshold_too_small_to_train_on_is_refused_in_one_sentence(tmp_path: Path):
    with pytest.raises(VectorStoreError, match="ann_min_rows must be at least 256"):
        VectorStore(tmp_path / "lancedb", "tiny-test-model", DIM, ann_min_rows=10)

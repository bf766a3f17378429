"""The LanceDB segment store: per-video replacement, coexistence, filters, injection safety and table naming."""

from __future__ import annotations

import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import lancedb
import numpy as np
import pytest

from reelquant.search.embed import embed_texts
from reelquant.search.errors import VectorStoreError
from reelquant.search.store import VectorStore, table_name_for

MODEL = "all-MiniLM-L6-v2"
INJECTIONS = ["x' OR '1'='1", 'a"; DROP TABLE x; --', "v') OR true --", "it's"]


@pytest.fixture
def store(tmp_path: Path) -> VectorStore:
    return VectorStore(tmp_path / "lancedb", model_name=MODEL, dim=384)


def _ids(store: VectorStore, video_id: str) -> list[int]:
    table = lancedb.connect(store.uri).open_table(store.table_name)
    rows = table.to_arrow().to_pylist()
    return sorted(r["segment_id"] for r in rows if r["video_id"] == video_id)


def test_replacing_twice_leaves_exactly_one_set_of_rows(store, lesson_rows):
    rows = lesson_rows["rsi_reversion"]
    assert store.replace_video("rsi_reversion", rows) == 3
    assert store.replace_video("rsi_reversion", rows) == 3
    assert store.count("rsi_reversion") == 3 == store.count()
    assert _ids(store, "rsi_reversion") == [0, 1, 2]


def test_replacing_with_fewer_rows_drops_the_old_ones_and_updates_text(store, lesson_rows):
    rows = lesson_rows["rsi_reversion"]
    store.replace_video("rsi_reversion", rows)
    edited = [{**rows[0], "text": "Edited first segment."}]
    assert store.replace_video("rsi_reversion", edited) == 1
    assert _ids(store, "rsi_reversion") == [0]
    assert [h["text"] for h in store.search(rows[0]["vector"], k=5)] == ["Edited first segment."]


def test_replacement_is_one_commit_so_no_version_lacks_the_video(store, lesson_rows):
    rows = lesson_rows["rsi_reversion"]
    store.replace_video("rsi_reversion", rows)
    store.replace_video("rsi_reversion", rows[:2])
    store.replace_video("rsi_reversion", rows)
    table = lancedb.connect(store.uri).open_table(store.table_name)
    counts = []
    for version in table.list_versions()[1:]:  # version 1 is the empty table as created
        table.checkout(version["version"])
        counts.append(table.count_rows())
    assert counts and set(counts) <= {2, 3}


def _write_video_repeatedly(uri: str, video_id: str, start) -> int:
    store = VectorStore(uri, MODEL, 384)
    start.wait(timeout=60)  # all writers hit the missing table at the same moment
    rng = np.random.default_rng(len(video_id))
    for n in (4, 5, 3):
        rows = [{"video_id": video_id, "segment_id": i, "start_s": i, "end_s": i + 1.0, "text": f"{video_id} rule {i}",
                 "vector": rng.random(384, dtype=np.float32)} for i in range(n)]
        store.replace_video(video_id, rows)
    return store.count(video_id)


def test_processes_writing_different_videos_to_a_fresh_store_lose_nothing(tmp_path):
    uri = str(tmp_path / "shared")
    videos = ["lesson-a", "lesson-bb", "lesson-ccc"]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(len(videos), mp_context=context) as pool:
        start = manager.Barrier(len(videos))
        finals = list(pool.map(_write_video_repeatedly, [uri] * len(videos), videos, [start] * len(videos)))
    assert finals == [3, 3, 3]
    store = VectorStore(uri, MODEL, 384)
    assert [store.count(v) for v in videos] == [3, 3, 3]
    assert store.count() == 9
    assert len(store.fts_search("rule", k=20)) == 9


def test_two_videos_coexist_and_replacing_one_leaves_the_other(store, lesson_rows):
    store.replace_video("rsi_reversion", lesson_rows["rsi_reversion"])
    store.replace_video("golden_cross", lesson_rows["golden_cross"])
    store.replace_video("rsi_reversion", lesson_rows["rsi_reversion"][:1])
    assert store.count("golden_cross") == 2
    assert store.count("rsi_reversion") == 1
    assert store.count() == 3


def test_empty_rows_remove_the_video(store, lesson_rows):
    store.replace_video("rsi_reversion", lesson_rows["rsi_reversion"])
    store.replace_video("golden_cross", lesson_rows["golden_cross"])
    assert store.replace_video("rsi_reversion", []) == 0
    assert store.count("rsi_reversion") == 0 and store.count("golden_cross") == 2


def test_search_and_fts_filter_by_video(store, lesson_rows, embedder):
    for vid, rows in lesson_rows.items():
        store.replace_video(vid, rows)
    query = embed_texts(embedder, ["when to buy"])[0]
    assert {h["video_id"] for h in store.search(query, k=10)} == set(lesson_rows)
    only = store.search(query, k=10, video_id="golden_cross")
    assert [h["video_id"] for h in only] == ["golden_cross", "golden_cross"]
    assert all(0.0 <= h["_distance"] <= 2.0 and h["score"] == pytest.approx(1 - h["_distance"]) for h in only)
    fts = store.fts_search("buy", k=10, video_id="bollinger_bounce")
    assert [h["video_id"] for h in fts] == ["bollinger_bounce"]
    assert {h["video_id"] for h in store.fts_search("buy", k=10)} >= {"rsi_reversion", "golden_cross", "bollinger_bounce"}


def test_hits_carry_the_stored_columns(store, lesson_rows):
    row = lesson_rows["rsi_reversion"][2]
    store.replace_video("rsi_reversion", [{**row, "clip_path": "/clips/rsi.mp4"}])
    (hit,) = store.search(row["vector"], k=3)
    assert (hit["segment_id"], hit["start_s"], hit["end_s"], hit["text"]) == (2, 12.4, 19.8, row["text"])
    assert hit["keywords"] == ["rsi"] and hit["clip_path"] == "/clips/rsi.mp4" and hit["model"] == MODEL
    assert hit["score"] == pytest.approx(1.0, abs=1e-4)
    assert "vector" not in hit


@pytest.mark.parametrize("evil", INJECTIONS)
def test_hostile_video_ids_neither_break_nor_widen_filters(store, lesson_rows, evil):
    for vid, rows in lesson_rows.items():
        store.replace_video(vid, rows)
    total = store.count()
    probe = lesson_rows["macd_trend"][0]["vector"]

    assert store.count(evil) == 0
    assert store.search(probe, k=10, video_id=evil) == []
    assert store.fts_search("buy", k=10, video_id=evil) == []

    # Stored under the hostile id, its rows are found by that exact id and nothing else is touched.
    store.replace_video(evil, [{**lesson_rows["macd_trend"][0], "video_id": evil}])
    store.replace_video(evil, [{**lesson_rows["macd_trend"][0], "video_id": evil}])
    assert store.count(evil) == 1
    assert store.count() == total + 1
    assert [h["video_id"] for h in store.search(probe, k=10, video_id=evil)] == [evil]
    assert [h["video_id"] for h in store.fts_search("MACD", k=10, video_id=evil)] == [evil]
    for vid, rows in lesson_rows.items():
        assert store.count(vid) == len(rows)


def test_a_new_store_on_the_same_uri_sees_the_rows(tmp_path, lesson_rows):
    VectorStore(tmp_path / "db", MODEL, 384).replace_video("golden_cross", lesson_rows["golden_cross"])
    assert VectorStore(str(tmp_path / "db"), MODEL, 384).count("golden_cross") == 2


def test_an_empty_location_answers_with_nothing(tmp_path):
    store = VectorStore(tmp_path / "fresh", MODEL, 384)
    assert store.count() == 0
    assert store.search(np.ones(384, dtype=np.float32), k=3) == []
    assert store.fts_search("rsi", k=3) == []


def test_table_names_separate_models_and_alias_the_hub_id():
    name = table_name_for(MODEL)
    assert name == table_name_for("sentence-transformers/all-MiniLM-L6-v2")
    assert name != table_name_for("all-mpnet-base-v2")
    assert table_name_for("a-b") != table_name_for("a_b")
    assert re.fullmatch(r"[a-z0-9_]+", name)


def test_models_never_share_a_table(tmp_path, lesson_rows):
    mini = VectorStore(tmp_path / "db", MODEL, 384)
    mini.replace_video("golden_cross", lesson_rows["golden_cross"])
    other = VectorStore(tmp_path / "db", "BAAI/bge-small-en-v1.5", 384)
    assert other.count() == 0
    with pytest.raises(VectorStoreError, match="embedded by"):
        mini.replace_video("golden_cross", [{**lesson_rows["golden_cross"][0], "model": "BAAI/bge-small-en-v1.5"}])


def test_dimension_mismatch_with_an_existing_table_is_a_clear_error(tmp_path, lesson_rows):
    VectorStore(tmp_path / "db", MODEL, 384).replace_video("golden_cross", lesson_rows["golden_cross"])
    with pytest.raises(VectorStoreError, match="holds 384-dimensional vectors") as err:
        VectorStore(tmp_path / "db", MODEL, 768)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"vector": np.zeros(5, dtype=np.float32)}, "5-dimensional vector"),
        ({"video_id": "someone-else"}, "belongs to video"),
    ],
)
def test_bad_rows_are_rejected_before_anything_is_written(store, lesson_rows, change, message):
    store.replace_video("golden_cross", lesson_rows["golden_cross"])
    with pytest.raises(VectorStoreError, match=message):
        store.replace_video("golden_cross", [{**lesson_rows["golden_cross"][0], **change}])
    assert store.count("golden_cross") == 2


def test_duplicate_segment_ids_and_bad_queries_are_rejected(store, lesson_rows):
    row = lesson_rows["golden_cross"][0]
    with pytest.raises(VectorStoreError, match="appears twice"):
        store.replace_video("golden_cross", [row, row])
    with pytest.raises(VectorStoreError, match="query vector has 10 components"):
        store.search(np.ones(10), k=3)
    with pytest.raises(VectorStoreError, match="non-empty string"):
        store.replace_video("", [row])

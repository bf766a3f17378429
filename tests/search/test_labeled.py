"""The labeled questions in queries.yaml, asked of an index of the project's lesson scripts: recall@5 must hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelquant.search.errors import SearchError
from reelquant.search.evaluate import evaluate, load_labeled_queries, script_rows
from reelquant.search.store import VectorStore

from ..text.lessons import OWN_LESSONS, SAMPLE_LESSONS, SHARED_LESSONS, require

ROOT = Path(__file__).resolve().parents[2]
QUERIES = Path(__file__).with_name("queries.yaml")
FOLDERS = {"samples": SAMPLE_LESSONS, "tests/lessons": OWN_LESSONS, "shared": require(SHARED_LESSONS)}


@pytest.fixture(scope="module")
def labeled(tmp_path_factory: pytest.TempPathFactory, embedder):
    queries, scripts = load_labeled_queries(QUERIES, FOLDERS)
    store = VectorStore(tmp_path_factory.mktemp("labeled") / "lancedb", "all-MiniLM-L6-v2", 384)
    for vid, rows in script_rows(embedder, scripts).items():
        store.replace_video(vid, rows)
    return store, queries


def test_the_labeled_questions_cover_the_samples_and_the_lessons(labeled):
    _, queries = labeled
    in_repo = [q for q in queries if (ROOT / "samples" / f"{q.video_id}.txt").is_file()
               or (ROOT / "tests" / "lessons" / f"{q.video_id}.txt").is_file()]
    assert len(in_repo) >= 20
    assert len({q.video_id for q in in_repo}) >= 15


def test_hybrid_search_finds_the_labeled_moment_in_the_top_five_for_nine_questions_in_ten(labeled, embedder):
    store, queries = labeled
    result = evaluate(store, embedder, queries, k=5, hybrid=True)
    missed = [q.query for q, rank in zip(queries, result["ranks"], strict=True) if rank is None]
    assert result["recall_at_k"] >= 0.9, f"missed: {missed}"
    assert result["mrr"] >= 0.6


def test_a_label_whose_sentence_is_not_in_its_lesson_is_refused(tmp_path: Path):
    (tmp_path / "lesson.txt").write_text("Buy when the RSI drops below thirty.", encoding="utf-8")
    bad = tmp_path / "queries.yaml"
    bad.write_text("queries:\n  - {query: q, folder: here, lesson: lesson, sentence: Sell at seventy.}\n",
                   encoding="utf-8")
    with pytest.raises(SearchError, match="does not contain"):
        load_labeled_queries(bad, {"here": tmp_path})
    # A folder that is not installed only drops its questions.
    assert load_labeled_queries(bad, {})[0] == []

"""Score search against labeled questions: each names the lesson and the sentence the right segment must hold."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from reelquant.search.chunks import chunk_transcript
from reelquant.search.embed import embed_texts
from reelquant.search.errors import SearchError
from reelquant.search.query import search
from reelquant.search.store import VectorStore
from reelquant.speech.transcript import transcript_from_text
from reelquant.text.keywords import match_terms

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


@dataclass(frozen=True)
class LabeledQuery:
    """A question and the moment that answers it: the lesson's id and a sentence said there."""

    query: str
    video_id: str
    sentence: str


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def load_labeled_queries(path: str | Path, folders: Mapping[str, Path]) -> tuple[list[LabeledQuery], dict[str, str]]:
    """The queries whose lesson script exists under `folders` (name -> directory), and those scripts by lesson id.

    Queries on a folder that is absent from `folders` or from disk are left out, so optional lesson sets
    only add questions where they are installed.
    """
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    queries, scripts = [], {}
    for i, item in enumerate(data.get("queries") or []):
        try:
            folder, lesson = item["folder"], item["lesson"]
            query, sentence = item["query"], item["sentence"]
        except (KeyError, TypeError) as exc:
            raise SearchError(f"Labeled query {i} in {path} lacks {exc}; give each one query, folder, lesson and "
                              "sentence.") from exc
        root = folders.get(folder)
        script = root / f"{lesson}.txt" if root is not None else None
        if script is None or not script.is_file():
            continue
        scripts[lesson] = script.read_text(encoding="utf-8")
        if _norm(sentence) not in _norm(scripts[lesson]):
            raise SearchError(f"Labeled query {i} names a sentence that {script} does not contain; copy it from "
                              "the script word for word.")
        queries.append(LabeledQuery(query, lesson, sentence))
    return queries, scripts


def script_rows(model: SentenceTransformer, scripts: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Store-ready rows of each lesson script: sentence-window chunks, their keyword ids and vectors."""
    chunks = {vid: chunk_transcript(transcript_from_text(text), vid) for vid, text in scripts.items()}
    flat = [c for cs in chunks.values() for c in cs]
    vectors = embed_texts(model, [c["text"] for c in flat])
    for c, v in zip(flat, vectors, strict=True):
        c["keywords"] = sorted({term.id for term, _, _ in match_terms(c["text"])})
        c["clip_path"] = ""
        c["vector"] = v
    return chunks


def evaluate(
    store: VectorStore, model: SentenceTransformer, queries: Sequence[LabeledQuery], k: int = 5, hybrid: bool = True
) -> dict[str, Any]:
    """recall@k (share of questions with a right segment in the top k), MRR over the top k, and each rank (or None).

    A hit is right when it comes from the labeled lesson and its text holds the labeled sentence.
    """
    ranks: list[int | None] = []
    for q in queries:
        hits = search(store, model, q.query, k=k, hybrid=hybrid)
        want = _norm(q.sentence)
        rank = next((i for i, h in enumerate(hits, 1) if h["video_id"] == q.video_id and want in _norm(h["text"])),
                    None)
        ranks.append(rank)
    n = max(len(queries), 1)
    return {
        "recall_at_k": sum(r is not None for r in ranks) / n,
        "mrr": sum(1.0 / r for r in ranks if r is not None) / n,
        "ranks": ranks,
        "k": k,
    }

"""A LanceDB table of embedded lesson segments: one table per embedding model, rows replaced per video.

Every filter built from a caller's value (a video id, keyword ids) goes through `lancedb.expr.lit`, which quotes
it as a literal, so quotes, semicolons or SQL in a value can neither break a query nor widen what it matches.
Once a table is large enough that scanning every vector costs more than a few milliseconds, an IVF_SQ index is
trained on it (with a re-ranking pass on full vectors so recall stays high) and retrained when the table has grown
well past the size it was trained on.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa
from lancedb.expr import Expr, col, lit
from lancedb.index import FTS

from reelquant.search.errors import VectorStoreError

TEXT_COLUMNS = ("video_id", "segment_id", "start_s", "end_s", "text", "keywords", "clip_path", "model")
_KEY = ["video_id", "segment_id"]
VECTOR_INDEX = "vector_idx"
# Below this many rows a full scan answers in a few milliseconds and needs no training.
ANN_MIN_ROWS = 50_000
# Retrain when the table is this many times the size the index was trained on: its partitions no longer fit.
ANN_RETRAIN_GROWTH = 2.0
# Fold new rows into the index once this share of the table is outside it (those rows are scanned in full).
ANN_UNINDEXED_SHARE = 0.1
# Candidates re-ranked on full vectors per hit asked for: the 8-bit codes order close neighbours only roughly.
REFINE_FACTOR = 10


def segment_schema(dim: int) -> pa.Schema:
    """Arrow schema of a segment table whose vectors have `dim` float32 components."""
    return pa.schema([
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("segment_id", pa.int32(), nullable=False),
        pa.field("start_s", pa.float64()),
        pa.field("end_s", pa.float64()),
        pa.field("text", pa.string()),
        pa.field("keywords", pa.list_(pa.string())),
        pa.field("clip_path", pa.string()),
        pa.field("model", pa.string()),
        pa.field("vector", pa.list_(pa.float32(), dim)),
    ])


def table_name_for(model_name: str) -> str:
    """Table holding one model's vectors: a readable slug plus a digest, so two models never share a table."""
    name = model_name.strip()
    key = name.lower().removeprefix("sentence-transformers/")
    path = Path(name).expanduser()
    if path.is_dir():
        key = str(path.resolve())
    slug = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")[-40:].strip("_") or "model"
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"segments_{slug}_{digest}"


def _video_filter(video_id: str) -> Expr:
    return col("video_id") == lit(video_id)


def _where(video_id: str | None, keyword_ids: Sequence[str] | None) -> str | None:
    """SQL for the optional filters, every value rendered as an escaped literal."""
    parts = []
    if video_id is not None:
        parts.append(_video_filter(_check_video_id(video_id)).to_sql())
    if keyword_ids is not None:
        ids = [k for k in keyword_ids if isinstance(k, str) and k]
        if not ids:
            # No keyword can match an empty set: a filter that matches nothing, not one that is dropped.
            return "false"
        # array_has_any has no typed builder in lancedb.expr, so the list is written out from escaped literals.
        parts.append(f"array_has_any(keywords, [{', '.join(lit(k).to_sql() for k in ids)}])")
    return " AND ".join(f"({p})" for p in parts) if parts else None


def _check_video_id(video_id: Any) -> str:
    if not isinstance(video_id, str) or not video_id:
        raise VectorStoreError(f"video_id must be a non-empty string, got {video_id!r}; pass the video's partition key.")
    return video_id


def _partitions_for(rows: int) -> int:
    # About sqrt(n) lists keeps both the coarse search and each list's scan short; a list needs a few dozen rows
    # for its centroid to mean anything.
    return max(1, min(4096, round(math.sqrt(rows)), rows // 40))


def _nprobes(partitions: int) -> int:
    # Recall is bounded by how many lists are probed, not by the 8-bit codes. On clustered data (bench/search.py),
    # 20 of 316 lists gave recall@10 0.89 at 100k rows and 50 of 1000 gave 0.99 at 1M in 13 ms; 5 % of the lists,
    # and never fewer than 32, keeps recall near or above 0.9 from the threshold up.
    return min(partitions, max(32, math.ceil(partitions * 0.05)))


class VectorStore:
    """Segments of every lesson, embedded by one model, in a LanceDB database at `uri`.

    `replace_video` swaps a video's rows with one LanceDB `merge_insert` on (video_id, segment_id) whose
    `when_not_matched_by_source_delete` is limited to that video: upserts and deletions land in a single
    commit, so readers see either the old rows or the new ones, never duplicates and never none. After each write
    the vector index is trained once the table holds `ann_min_rows` rows (see `ensure_vector_index`).
    """

    def __init__(self, uri: str | Path, model_name: str, dim: int, ann_min_rows: int = ANN_MIN_ROWS) -> None:
        if int(dim) < 1:
            raise VectorStoreError(f"dim must be a positive vector length, got {dim}; pass the model's embedding size.")
        if not model_name or not model_name.strip():
            raise VectorStoreError("model_name is empty; pass the name of the model that made the vectors.")
        if int(ann_min_rows) < 256:
            raise VectorStoreError(
                f"ann_min_rows must be at least 256, got {ann_min_rows}; an index trained on fewer rows is slower "
                "and less accurate than scanning them."
            )
        self.uri = str(uri)
        self.ann_min_rows = int(ann_min_rows)
        self.model_name = model_name
        self.dim = int(dim)
        self.table_name = table_name_for(model_name)
        self.schema = segment_schema(self.dim)
        try:
            self._db = lancedb.connect(self.uri)
        except Exception as exc:
            raise VectorStoreError(
                f"Cannot open LanceDB at {self.uri!r} ({exc}); check the path or URL and its credentials."
            ) from exc
        self._table: Any = self._open()
        self._index_cache: tuple[int, dict[str, Any] | None] | None = None

    # -- table lifecycle -------------------------------------------------------------------------------

    def _open(self) -> Any:
        try:
            table = self._db.open_table(self.table_name)
        except (ValueError, FileNotFoundError):
            return None
        self._check_schema(table)
        return table

    def _check_schema(self, table: Any) -> None:
        names = set(table.schema.names)
        missing = [c for c in (*TEXT_COLUMNS, "vector") if c not in names]
        if missing:
            raise VectorStoreError(
                f"Table {self.table_name!r} at {self.uri} lacks columns {missing}; point the store at a fresh "
                "LanceDB location or drop that table."
            )
        vtype = table.schema.field("vector").type
        found = vtype.list_size if pa.types.is_fixed_size_list(vtype) else None
        if found != self.dim:
            raise VectorStoreError(
                f"Table {self.table_name!r} at {self.uri} holds {found}-dimensional vectors but model "
                f"{self.model_name!r} makes {self.dim}-dimensional ones; use the model that filled it or a new "
                "LanceDB location."
            )

    def _ensure_table(self) -> Any:
        if self._table is None:
            # Plain create, not exist_ok: when processes race, exist_ok lets a late creator commit an overwrite
            # that erases rows another process already merged; plain create lets exactly one win.
            try:
                self._table = self._db.create_table(self.table_name, schema=self.schema)
            except ValueError:
                self._table = self._open()
                if self._table is None:
                    raise
            self._check_schema(self._table)
        return self._table

    def _has_fts_index(self) -> bool:
        return any(
            str(ix.index_type).upper() == "FTS" and list(ix.columns) == ["text"] for ix in self._table.list_indices()
        )

    def _ensure_fts_index(self, attempts: int = 3) -> None:
        for attempt in range(attempts):
            if self._has_fts_index():
                return
            try:
                self._table.create_index("text", config=FTS(), replace=False)
                return
            except (ValueError, RuntimeError):
                # Writers of other videos may create the index or commit at the same moment (a retryable
                # conflict): look at the newest version and try again unless the index is now there.
                self._table.checkout_latest()
                if attempt == attempts - 1 and not self._has_fts_index():
                    raise

    # -- approximate nearest-neighbour index ----------------------------------------------------------------

    def _vector_indices(self) -> list[tuple[str, int]]:
        """(name, rows it was trained on) of each vector index; the training size is kept in the name."""
        found = []
        for ix in self._table.list_indices():
            m = re.fullmatch(rf"{VECTOR_INDEX}_n(\d+)", ix.name)
            if m and list(ix.columns) == ["vector"]:
                found.append((ix.name, int(m.group(1))))
        return found

    def vector_index(self) -> dict[str, Any] | None:
        """The vector index in use: name, rows trained on, partitions, rows covered and rows still scanned in full."""
        if not self._readable():
            return None
        indices = self._vector_indices()
        if not indices:
            return None
        name, trained = max(indices, key=lambda x: x[1])
        stats = self._table.index_stats(name)
        return {
            "name": name,
            "trained_rows": trained,
            "partitions": _partitions_for(trained),
            "indexed_rows": int(stats.num_indexed_rows) if stats else 0,
            "unindexed_rows": int(stats.num_unindexed_rows) if stats else 0,
        }

    def _index_for_search(self) -> dict[str, Any] | None:
        # Listing indices costs several milliseconds, more than an indexed query; remember the answer for the table
        # version it was read at.
        version = self._table.version
        if self._index_cache is None or self._index_cache[0] != version:
            self._index_cache = (version, self.vector_index())
        return self._index_cache[1]

    def ensure_vector_index(self) -> str:
        """Train, retrain or top up the IVF_SQ index as the table's size calls for; returns what was done.

        "none" (too small to need one), "current", "built", "retrained" (the table outgrew the index's partitions)
        or "folded" (new rows added to the existing partitions without retraining).
        """
        if not self._readable():
            return "none"
        rows = int(self._table.count_rows())
        info = self.vector_index()
        if info is None:
            if rows < self.ann_min_rows:
                return "none"
            return "built" if self._train_vector_index(rows) else "current"
        if rows >= ANN_RETRAIN_GROWTH * info["trained_rows"]:
            return "retrained" if self._train_vector_index(rows) else "current"
        if info["unindexed_rows"] > ANN_UNINDEXED_SHARE * max(rows, 1):
            self._table.optimize()
            return "folded"
        return "current"

    def _train_vector_index(self, rows: int) -> bool:
        name = f"{VECTOR_INDEX}_n{rows}"
        old = [n for n, _ in self._vector_indices()]
        try:
            # IVF_SQ trains in a tenth of IVF_PQ's time (no codebooks) and, re-ranked on full vectors, matched its
            # recall at the same number of probed lists.
            self._table.create_index(
                metric="cosine", vector_column_name="vector", index_type="IVF_SQ", name=name, replace=True,
                num_partitions=_partitions_for(rows),
            )
        except (ValueError, RuntimeError):
            # Another writer trained one at the same moment; theirs serves as well as ours would.
            self._table.checkout_latest()
            if not self._vector_indices():
                raise
            return False
        for stale in old:
            if stale != name:
                # A concurrent writer may have dropped it already.
                with contextlib.suppress(ValueError, RuntimeError):
                    self._table.drop_index(stale)
        # Filters on these columns scan the whole table without an index; at this size that shows in latency.
        for column, kind in (("video_id", "BTREE"), ("keywords", "LABEL_LIST")):
            try:
                self._table.create_scalar_index(column, index_type=kind, replace=True)
            except (ValueError, RuntimeError):
                self._table.checkout_latest()
        return True

    def optimize(self) -> None:
        """Fold new rows into the full-text index and compact small fragments (housekeeping, not needed for results)."""
        if self._table is not None:
            self._table.optimize()

    # -- writes ----------------------------------------------------------------------------------------

    def _to_arrow(self, video_id: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
        columns: dict[str, list[Any]] = {f.name: [] for f in self.schema}
        seen: set[int] = set()
        for i, row in enumerate(rows):
            if row.get("video_id", video_id) != video_id:
                raise VectorStoreError(
                    f"Row {i} belongs to video {row.get('video_id')!r}, not {video_id!r}; "
                    "replace each video's rows separately."
                )
            model = row.get("model") or self.model_name
            if model != self.model_name:
                raise VectorStoreError(
                    f"Row {i} was embedded by {model!r} but this store holds {self.model_name!r} vectors; "
                    "open a VectorStore for that model."
                )
            segment_id = int(row["segment_id"])
            if segment_id in seen:
                raise VectorStoreError(
                    f"segment_id {segment_id} appears twice for video {video_id!r}; give every segment a unique id."
                )
            seen.add(segment_id)
            vector = np.asarray(row["vector"], dtype=np.float32).reshape(-1)
            if vector.shape[0] != self.dim:
                raise VectorStoreError(
                    f"Row {i} has a {vector.shape[0]}-dimensional vector but this store holds {self.dim}-dimensional "
                    "ones; embed with the store's model."
                )
            columns["video_id"].append(video_id)
            columns["segment_id"].append(segment_id)
            columns["start_s"].append(float(row["start_s"]))
            columns["end_s"].append(float(row["end_s"]))
            columns["text"].append(str(row["text"]))
            columns["keywords"].append([str(k) for k in row.get("keywords") or []])
            columns["clip_path"].append(str(row.get("clip_path") or ""))
            columns["model"].append(model)
            columns["vector"].append(vector)
        arrays = {
            name: pa.array(values, type=self.schema.field(name).type)
            for name, values in columns.items()
            if name != "vector"
        }
        flat = np.concatenate(columns["vector"]) if columns["vector"] else np.zeros(0, dtype=np.float32)
        arrays["vector"] = pa.FixedSizeListArray.from_arrays(pa.array(flat, type=pa.float32()), self.dim)
        return pa.Table.from_pydict(arrays, schema=self.schema)

    def replace_video(self, video_id: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Make `rows` the only rows of `video_id`, atomically; returns how many rows the video now has."""
        video_id = _check_video_id(video_id)
        data = self._to_arrow(video_id, rows)
        table = self._ensure_table()
        if data.num_rows == 0:
            table.delete(_video_filter(video_id))
        else:
            self._merge_video(table, video_id, data)
            self._ensure_fts_index()
            self.ensure_vector_index()
        return data.num_rows

    def _merge_video(self, table: Any, video_id: str, data: pa.Table, attempts: int = 5) -> None:
        """One merge_insert commit for the video, retried when another writer committed first.

        Writers of other videos commit to the same table; lance refuses a commit that races an
        incompatible one (e.g. the first write into a fresh table). The merge is idempotent for this
        video, so it is redone on the newest version.
        """
        for attempt in range(attempts):
            try:
                (
                    table.merge_insert(_KEY)
                    .when_matched_update_all()
                    .when_not_matched_insert_all()
                    .when_not_matched_by_source_delete(_video_filter(video_id))
                    .execute(data)
                )
                return
            except RuntimeError as exc:
                if "transaction" not in str(exc).lower() and "conflict" not in str(exc).lower():
                    raise
                if attempt == attempts - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
                table.checkout_latest()

    # -- reads -----------------------------------------------------------------------------------------

    def _readable(self) -> bool:
        if self._table is None:
            self._table = self._open()
        return self._table is not None

    def count(self, video_id: str | None = None) -> int:
        """Rows in the store, or of one video."""
        if not self._readable():
            return 0
        if video_id is None:
            return int(self._table.count_rows())
        # count_rows takes SQL text only; to_sql renders the bound literal with its quotes escaped.
        return int(self._table.count_rows(_where(video_id, None)))

    def search(
        self,
        query_vector: Sequence[float] | np.ndarray,
        k: int = 5,
        video_id: str | None = None,
        keyword_ids: Sequence[str] | None = None,
    ) -> list[dict]:
        """The k nearest segments by cosine distance; each hit has the row's columns, `_distance` and `score`.

        `keyword_ids` keeps rows tagged with at least one of those canonical ids. Within one video the search is
        exact (a video has few rows, and probing a few index partitions could miss them all); otherwise the ANN
        index answers when there is one, re-ranked on full vectors, and an exact pass fills in if a filter left
        the probed partitions short of k rows.
        """
        vector = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        if vector.shape[0] != self.dim:
            raise VectorStoreError(
                f"The query vector has {vector.shape[0]} components but this store holds {self.dim}-dimensional "
                "vectors; embed the query with the store's model."
            )
        where = _where(video_id, keyword_ids)
        if k < 1 or not self._readable():
            return []
        index = self._index_for_search() if video_id is None else None
        hits = self._vector_query(vector, k, where, index)
        if index is not None and where is not None and len(hits) < k:
            hits = self._vector_query(vector, k, where, None)
        for h in hits:
            h["score"] = 1.0 - float(h["_distance"])
        return hits

    def _vector_query(self, vector: np.ndarray, k: int, where: str | None, index: dict[str, Any] | None) -> list:
        query = (
            self._table.search(vector, vector_column_name="vector")
            .distance_type("cosine")
            .select([*TEXT_COLUMNS, "_distance"])
            .limit(k)
        )
        if index is None:
            query = query.bypass_vector_index()
        else:
            query = query.nprobes(_nprobes(index["partitions"])).refine_factor(REFINE_FACTOR)
        if where is not None:
            query = query.where(where, prefilter=True)
        return query.to_list()

    def fts_search(
        self, query: str, k: int = 5, video_id: str | None = None, keyword_ids: Sequence[str] | None = None
    ) -> list[dict]:
        """The k best segments for `query` by BM25 over LanceDB's native full-text index; `score` is the BM25 score."""
        where = _where(video_id, keyword_ids)
        if k < 1 or not query.strip() or not self._readable() or self._table.count_rows() == 0:
            return []
        self._ensure_fts_index()
        builder = (
            self._table.search(query, query_type="fts", fts_columns="text")
            .select([*TEXT_COLUMNS, "_score"])
            .limit(k)
        )
        if where is not None:
            builder = builder.where(where, prefilter=True)
        hits = builder.to_list()
        for h in hits:
            h["score"] = float(h["_score"])
        return hits

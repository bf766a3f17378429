"""Search: sentence-window chunks of every lesson, embedded and stored in LanceDB."""


import time
from typing import Any

import dagster as dg
import pandas as pd

from assets._metadata import md_table
from assets.partitions import videos_partitions
from reelquant.search.chunks import chunk_transcript
from reelquant.speech.transcript import Transcript
from resources import EmbedderResource, LanceDBResource


def _keywords_in(hits: pd.DataFrame, start_s: float, end_s: float) -> list[str]:
    if hits.empty:
        return []
    inside = hits[(hits["start_s"] >= start_s) & (hits["start_s"] <= end_s)]
    return sorted(set(inside["canonical_id"]))


@dg.asset(
    partitions_def=videos_partitions,
    group_name="search",
    kinds={"lancedb", "pytorch"},
    description="The lesson's sentence windows embedded with sentence-transformers; its rows in LanceDB are replaced "
    "on every materialization.",
)
def segment_embeddings(
    context: dg.AssetExecutionContext,
    transcript: dict[str, Any],
    keyword_hits: pd.DataFrame,
    embedder: EmbedderResource,
    vector_store: LanceDBResource,
) -> dg.MaterializeResult:
    video_id = context.partition_key
    chunks = chunk_transcript(Transcript.from_dict(transcript), video_id)
    started = time.perf_counter()
    vectors = embedder.encode([c["text"] for c in chunks]) if chunks else []
    embed_s = time.perf_counter() - started
    rows = [
        {**c, "keywords": _keywords_in(keyword_hits, c["start_s"], c["end_s"]), "clip_path": "",
         "model": embedder.model_name, "vector": v}
        for c, v in zip(chunks, vectors, strict=True)
    ]
    store = vector_store.store(embedder.model_name, embedder.dim)
    written = store.replace_video(video_id, rows)
    return dg.MaterializeResult(
        value={"video_id": video_id, "rows": written, "table": store.table_name, "model": embedder.model_name},
        metadata={
            "rows": dg.MetadataValue.int(written),
            "table": store.table_name,
            "model": embedder.model_name,
            "segments_per_s": dg.MetadataValue.float(round(len(chunks) / max(embed_s, 1e-6), 1)),
            "preview": md_table(((f"{c['start_s']:.1f}", c["text"]) for c in chunks), ["start", "text"], limit=8),
        },
    )

"""Search benchmark: labeled-query recall and MRR, embedding throughput, and vector search latency at 10k/100k/1M rows
beside numpy brute force on the same vectors in the same run.

    .venv/bin/python bench/search.py [--sizes 10000,100000,1000000] [--queries 200]

Rows beyond the lessons are synthetic: clustered unit vectors (a few thousand topics, each row a noisy copy of
one), which is harder for an IVF index than uniform noise and closer to how real segments group by subject.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import lancedb
import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reelquant.search.embed import DEFAULT_MODEL, embed_texts, embedding_dim, load_embedder  # noqa: E402
from reelquant.search.evaluate import evaluate, load_labeled_queries, script_rows  # noqa: E402
from reelquant.search.store import ANN_MIN_ROWS, VectorStore, segment_schema  # noqa: E402

FOLDERS = {"samples": ROOT / "samples", "tests/lessons": ROOT / "tests" / "lessons",
           "shared": ROOT.parent / "shared" / "lessons"}
TOPICS = 4096
BATCH = 100_000


def _clustered(rng: np.random.Generator, centers: np.ndarray, n: int) -> np.ndarray:
    dim = centers.shape[1]
    v = centers[rng.integers(0, len(centers), n)] + rng.standard_normal((n, dim), dtype=np.float32) / np.sqrt(dim)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def _pct(ms: list[float]) -> tuple[float, float]:
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def labeled(model, tmp: Path) -> dict:
    queries, scripts = load_labeled_queries(ROOT / "tests" / "search" / "queries.yaml", FOLDERS)
    rows = script_rows(model, scripts)
    store = VectorStore(tmp / "labeled", model_name=DEFAULT_MODEL, dim=embedding_dim(model))
    for vid, r in rows.items():
        store.replace_video(vid, r)
    hybrid = evaluate(store, model, queries, k=5, hybrid=True)
    vector = evaluate(store, model, queries, k=5, hybrid=False)
    texts = [c["text"] for r in rows.values() for c in r]
    return {"queries": len(queries), "lessons": len(scripts), "segments": len(texts), "hybrid": hybrid,
            "vector": vector, "texts": texts}


def throughput(model, texts: list[str], n: int = 512) -> float:
    batch = (texts * (n // len(texts) + 1))[:n]
    embed_texts(model, batch[:64])  # warm-up
    started = time.perf_counter()
    embed_texts(model, batch)
    return n / (time.perf_counter() - started)


def scale(size: int, dim: int, n_queries: int, tmp: Path, centers: np.ndarray) -> dict:
    rng = np.random.default_rng(size)
    store_dir = tmp / f"rows_{size}"
    schema = segment_schema(dim)
    matrix = np.empty((size, dim), dtype=np.float32)

    def batches():
        for start in range(0, size, BATCH):
            n = min(BATCH, size - start)
            v = _clustered(rng, centers, n)
            matrix[start:start + n] = v
            ids = np.arange(start, start + n)
            yield pa.RecordBatch.from_pydict({
                "video_id": pa.array([f"video-{i // 40:06d}" for i in ids]),
                "segment_id": pa.array(ids % 40, pa.int32()),
                "start_s": pa.array((ids % 40) * 10.0), "end_s": pa.array((ids % 40) * 10.0 + 9.5),
                "text": pa.array([f"segment {i}" for i in ids]),
                "keywords": pa.array([[] for _ in ids], pa.list_(pa.string())),
                "clip_path": pa.array([""] * n), "model": pa.array([DEFAULT_MODEL] * n),
                "vector": pa.FixedSizeListArray.from_arrays(pa.array(v.reshape(-1)), dim),
            }, schema=schema)

    started = time.perf_counter()
    probe = VectorStore(store_dir, model_name=DEFAULT_MODEL, dim=dim)
    lancedb.connect(str(store_dir)).create_table(probe.table_name, data=batches(), schema=schema)
    write_s = time.perf_counter() - started
    store = VectorStore(store_dir, model_name=DEFAULT_MODEL, dim=dim)
    started = time.perf_counter()
    action = store.ensure_vector_index()
    index_s = time.perf_counter() - started

    queries = _clustered(np.random.default_rng(size + 1), centers, n_queries)
    store.search(queries[0], k=10)  # open files and caches once, as a running service would have
    # Each method runs its queries back to back, as a service would: interleaving them would let brute force's
    # pass over the whole matrix evict the index pages between every ANN query.
    ann_ms, brute_ms, recall, found = [], [], [], []
    for q in queries:
        t0 = time.perf_counter()
        hits = store.search(q, k=10)
        ann_ms.append((time.perf_counter() - t0) * 1000)
        found.append({(h["video_id"], int(h["segment_id"])) for h in hits})
    for q, got in zip(queries, found, strict=True):
        t0 = time.perf_counter()
        scores = matrix @ q
        top = np.argpartition(-scores, 10)[:10]
        top = top[np.argsort(-scores[top])]
        brute_ms.append((time.perf_counter() - t0) * 1000)
        exact = {(f"video-{i // 40:06d}", int(i % 40)) for i in top}
        recall.append(len(got & exact) / 10)
    return {"size": size, "index": action, "info": store.vector_index(), "write_s": write_s, "index_s": index_s,
            "ann": _pct(ann_ms), "brute": _pct(brute_ms), "recall10": float(np.mean(recall))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]

    model = load_embedder(DEFAULT_MODEL)
    dim = embedding_dim(model)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmpdir:
        tmp = Path(tmpdir)
        lab = labeled(model, tmp)
        h, v = lab["hybrid"], lab["vector"]
        print(f"labeled queries: {lab['queries']} over {lab['lessons']} lessons ({lab['segments']} segments)")
        print(f"  hybrid  recall@5={h['recall_at_k']:.3f}  MRR={h['mrr']:.3f}")
        print(f"  vector  recall@5={v['recall_at_k']:.3f}  MRR={v['mrr']:.3f}")
        seg_s = throughput(model, lab["texts"])
        print(f"embedding throughput: {seg_s:.0f} segments/s ({DEFAULT_MODEL}, CPU)")

        centers = np.random.default_rng(8).standard_normal((TOPICS, dim)).astype(np.float32)
        centers /= np.linalg.norm(centers, axis=1, keepdims=True)
        print(f"vector search, k=10, {args.queries} queries; ANN index from {ANN_MIN_ROWS} rows")
        print(f"{'rows':>9} {'index':>9} {'build s':>8} {'p50 ms':>8} {'p95 ms':>8} {'brute p50':>10} "
              f"{'brute p95':>10} {'speedup':>8} {'recall@10':>10}")
        results = []
        for size in sizes:
            r = scale(size, dim, args.queries, tmp, centers)
            results.append(r)
            speed = r["brute"][0] / r["ann"][0]
            print(f"{size:>9} {r['index']:>9} {r['index_s']:>8.1f} {r['ann'][0]:>8.2f} {r['ann'][1]:>8.2f} "
                  f"{r['brute'][0]:>10.2f} {r['brute'][1]:>10.2f} {speed:>7.1f}x {r['recall10']:>10.3f}", flush=True)
        last = results[-1]
        print(f"search: recall@5={h['recall_at_k']:.2f}, p50 {last['size'] // 1000}k={last['ann'][0]:.1f} ms, "
              f"speedup vs brute force {last['brute'][0] / last['ann'][0]:.1f}x"
              .replace(" 1000k=", " 1M="))


if __name__ == "__main__":
    main()

"""`make bench-kb`: the help centre's retrieval speed, and how the dense index scales.

1. Help-centre index build time (every chunk embedded, from scratch).
2. Query latency, embedding included, with 1 and with 8 concurrent callers.
3. Scale: 10^5 and 10^6 synthetic chunks (clustered around the real chunk embeddings, as real
   collections are): build time, memory, query p99 and recall@10 of the approximate (IVF)
   index against exact search, for several nprobe values.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from numpy.typing import NDArray

from bot.kb.embedder import Embedder, shared_embedder
from bot.kb.evaluate import load_queries
from bot.kb.index import build_dense, build_index, open_index
from bot.kb.paths import ARTICLES_DIR, CONFIG_PATH, EVAL_DIR, INDEX_DIR
from bot.kb.retriever import Retriever, RetrieverConfig

SCALES = (100_000, 1_000_000)
NPROBES = (8, 16, 32, 64, 128)
SCALE_QUERIES = 300


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentiles(ms: list[float]) -> dict[str, float]:
    return {
        "p50": round(float(np.percentile(ms, 50)), 2),
        "p99": round(float(np.percentile(ms, 99)), 2),
    }


def bench_build() -> float:
    with tempfile.TemporaryDirectory(prefix="bench-kb-") as scratch:
        started = time.perf_counter()
        build_index(ARTICLES_DIR, Path(scratch), embedder=Embedder, progress=True)
        return time.perf_counter() - started


def bench_latency(
    retriever: Retriever, texts: list[tuple[str, str]], callers: int
) -> dict[str, Any]:
    def one(item: tuple[str, str]) -> float:
        started = time.perf_counter()
        retriever.search(item[0], item[1])
        return (time.perf_counter() - started) * 1000

    for item in texts[:10]:
        one(item)  # warm-up
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=callers) as pool:
        ms = list(pool.map(one, texts))
    elapsed = time.perf_counter() - started
    return {**percentiles(ms), "qps": round(len(texts) / elapsed, 1)}


def synthetic(centres: NDArray[np.float32], n: int, seed: int) -> NDArray[np.float32]:
    """`n` unit vectors scattered around real embeddings."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, centres.shape[1]), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        size = min(step, n - start)
        picks = centres[rng.integers(0, len(centres), size)]
        block = picks + rng.standard_normal(picks.shape, dtype=np.float32) * 0.06
        out[start : start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def bench_scale(
    n: int, centres: NDArray[np.float32], queries: NDArray[np.float32]
) -> dict[str, Any]:
    vectors = synthetic(centres, n, seed=n)
    before = rss_mb()
    started = time.perf_counter()
    index = build_dense(vectors, ann_threshold=0)  # force the approximate index
    build_s = time.perf_counter() - started
    memory = rss_mb() - before
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    del exact
    faiss.omp_set_num_threads(1)  # one query at a time, as the retriever asks
    runs = []
    for nprobe in NPROBES:
        index.nprobe = nprobe
        ms = []
        found = np.empty_like(truth)
        for i, query in enumerate(queries):
            t = time.perf_counter()
            _, ids = index.search(query[None, :], 10)
            ms.append((time.perf_counter() - t) * 1000)
            found[i] = ids[0]
        recall = float(
            np.mean([len(set(found[i]) & set(truth[i])) / 10 for i in range(len(queries))])
        )
        runs.append({"nprobe": nprobe, "recall@10": round(recall, 4), **percentiles(ms)})
    faiss.omp_set_num_threads(0)
    return {"chunks": n, "build_s": round(build_s, 1), "index_mb": round(memory), "runs": runs}


def main() -> int:
    results: dict[str, Any] = {}
    print("1. help-centre index build (from scratch, all cores)")
    results["help_centre_build_s"] = round(bench_build(), 1)
    print(f"   {results['help_centre_build_s']} s")

    retriever = Retriever(INDEX_DIR, RetrieverConfig.load(CONFIG_PATH), shared_embedder())
    queries = load_queries(sorted(EVAL_DIR.glob("*.jsonl")))
    texts = [(q.text, q.lang) for q in queries][:600]
    print(f"2. query latency over {len(texts)} eval queries, embedding included")
    results["latency_ms"] = {}
    for callers in (1, 8):
        row = bench_latency(retriever, texts, callers)
        results["latency_ms"][f"{callers}_caller{'s' if callers > 1 else ''}"] = row
        print(f"   {callers} caller(s): p50 {row['p50']} ms  p99 {row['p99']} ms  {row['qps']} q/s")
    one, eight = results["latency_ms"]["1_caller"], results["latency_ms"]["8_callers"]
    print(
        f"   8 callers vs 1: throughput x{eight['qps'] / one['qps']:.2f}, "
        f"p99 x{eight['p99'] / one['p99']:.2f}"
    )

    centres = open_index(INDEX_DIR / "builds" / (INDEX_DIR / "CURRENT").read_text().strip()).vectors
    query_vectors = shared_embedder().encode([t for t, _ in texts[:SCALE_QUERIES]])
    embed_ms = []
    for text, _ in texts[:100]:
        t = time.perf_counter()
        shared_embedder().encode([text])
        embed_ms.append((time.perf_counter() - t) * 1000)
    results["query_embedding_ms"] = percentiles(embed_ms)
    results["scale"] = []
    for n in SCALES:
        print(f"3. scale: {n:,} synthetic chunks (IVF-Flat, {SCALE_QUERIES} queries, search only)")
        row = bench_scale(n, centres, query_vectors)
        results["scale"].append(row)
        print(f"   build {row['build_s']} s, index memory ~{row['index_mb']} MB")
        for run in row["runs"]:
            print(
                f"   nprobe {run['nprobe']:>3}: recall@10 {run['recall@10']:.3f}  "
                f"p50 {run['p50']} ms  p99 {run['p99']} ms"
            )
    print(
        f"   query embedding (add to search): p50 {results['query_embedding_ms']['p50']} ms, "
        f"p99 {results['query_embedding_ms']['p99']} ms"
    )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

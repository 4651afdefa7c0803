"""Build, publish and open the hybrid index (FAISS + BM25) that lives beside the articles.

Each build is written to its own folder under `builds/`, and `CURRENT` is switched to it with
an atomic rename, so a failed build leaves the previous index serving and a running retriever
can pick up a new one between two queries.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from bot.kb.articles import Article, load_articles
from bot.kb.bm25 import BM25
from bot.kb.chunks import Chunk, chunk_article
from bot.kb.embedder import MODEL_NAME, Embedder, model_fingerprint, shared_embedder
from bot.kb.text import tokens

# Above this many chunks exact search gets slow: switch to an inverted-file (IVF) index.
ANN_THRESHOLD = 50_000
KEEP_BUILDS = 2


def ivf_lists(n_vectors: int) -> int:
    """Number of IVF cells: about 4·√n, the usual balance of scan cost and recall."""
    return max(1, int(4 * math.sqrt(n_vectors)))


def build_dense(
    vectors: NDArray[np.float32], ann_threshold: int = ANN_THRESHOLD, nprobe: int = 48
) -> faiss.Index:
    """Exact inner-product search, or IVF-Flat above `ann_threshold` vectors."""
    n, dims = vectors.shape
    if n < ann_threshold:
        flat = faiss.IndexFlatIP(dims)
        flat.add(vectors)
        return flat
    nlist = ivf_lists(n)
    quantizer = faiss.IndexFlatIP(dims)
    ivf = faiss.IndexIVFFlat(quantizer, dims, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    sample = vectors[rng.choice(n, size=min(n, 40 * nlist), replace=False)]
    ivf.train(sample)
    ivf.add(vectors)
    ivf.nprobe = nprobe
    return ivf


@dataclass
class OpenIndex:
    """A published build, loaded for searching."""

    build_id: str
    manifest: dict[str, Any]
    chunks: list[Chunk]
    vectors: NDArray[np.float32]
    dense: faiss.Index
    bm25: BM25

    def __post_init__(self) -> None:
        # The sections (not the questions) of each article in each language, in order.
        self.by_article: dict[tuple[str, str], list[int]] = {}
        for row, chunk in enumerate(self.chunks):
            if chunk.kind == "section":
                self.by_article.setdefault((chunk.article_id, chunk.lang), []).append(row)


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    build_id: str
    chunks: int
    embedded: int
    reused: int
    seconds: float
    changed: bool


def current_build(index_dir: Path) -> Path | None:
    """The published build's folder, if any."""
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    folder = index_dir / "builds" / name
    return folder if folder.is_dir() else None


def open_index(folder: Path) -> OpenIndex:
    """Load a build folder."""
    manifest = json.loads((folder / "manifest.json").read_text())
    chunks = [Chunk.from_json(line) for line in (folder / "chunks.jsonl").read_text().splitlines()]
    dense = faiss.read_index(str(folder / "dense.faiss"))
    if isinstance(dense, faiss.IndexIVF):
        dense.nprobe = int(manifest["nprobe"])
    return OpenIndex(
        build_id=folder.name,
        manifest=manifest,
        chunks=chunks,
        vectors=np.load(folder / "vectors.npy"),
        dense=dense,
        bm25=BM25.load(folder),
    )


def _article_hashes(articles: Sequence[Article]) -> dict[str, str]:
    return {f"{a.lang}/{a.id}": a.sha256 for a in articles}


def build_index(
    articles_dir: Path,
    index_dir: Path,
    embedder: Callable[[], Embedder] = shared_embedder,
    progress: bool = True,
    articles: Sequence[Article] | None = None,
) -> BuildReport:
    """Build and publish the index of `articles_dir` (or of `articles`), re-embedding only
    the articles that changed since the published build.

    Raises `ArticleError` on malformed articles before anything is written.
    """
    started = time.perf_counter()
    articles = list(articles) if articles is not None else load_articles(articles_dir)
    fingerprint = model_fingerprint()
    hashes = _article_hashes(articles)
    previous_folder = current_build(index_dir)
    previous = open_index(previous_folder) if previous_folder else None
    if (
        previous is not None
        and previous.manifest["model_fingerprint"] == fingerprint
        and previous.manifest["articles"] == hashes
    ):
        return BuildReport(
            previous.build_id,
            len(previous.chunks),
            0,
            len(previous.chunks),
            time.perf_counter() - started,
            changed=False,
        )

    chunks = [chunk for article in articles for chunk in chunk_article(article)]
    reusable: dict[tuple[str, str], int] = {}
    if previous is not None and previous.manifest["model_fingerprint"] == fingerprint:
        reusable = {(c.key, c.article_sha): row for row, c in enumerate(previous.chunks)}
    vectors = np.empty((len(chunks), Embedder.dimensions), dtype=np.float32)
    missing = []
    for row, chunk in enumerate(chunks):
        old = reusable.get((chunk.key, chunk.article_sha))
        if old is not None and previous is not None:
            vectors[row] = previous.vectors[old]
        else:
            missing.append(row)
    if missing:
        model = embedder()
        batch = 64
        with tqdm(
            total=len(missing), desc="embedding chunks", unit="chunk", disable=not progress
        ) as bar:
            for start in range(0, len(missing), batch):
                rows = missing[start : start + batch]
                vectors[rows] = model.encode([chunks[r].embed_text() for r in rows])
                bar.update(len(rows))

    dense = build_dense(vectors)
    bm25 = BM25.build([tokens(c.embed_text(), c.lang) for c in chunks])
    digest = hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()[:8]
    build_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{digest}"
    folder = index_dir / "builds" / build_id
    folder.mkdir(parents=True)
    manifest = {
        "model": MODEL_NAME,
        "model_fingerprint": fingerprint,
        "created": datetime.now(UTC).isoformat(),
        "chunks": len(chunks),
        "dense": "ivf" if isinstance(dense, faiss.IndexIVF) else "flat",
        "nprobe": int(getattr(dense, "nprobe", 0)),
        "articles": hashes,
    }
    (folder / "chunks.jsonl").write_text("\n".join(c.to_json() for c in chunks) + "\n")
    np.save(folder / "vectors.npy", vectors)
    faiss.write_index(dense, str(folder / "dense.faiss"))
    bm25.save(folder)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    _publish(index_dir, build_id)
    return BuildReport(
        build_id,
        len(chunks),
        len(missing),
        len(chunks) - len(missing),
        time.perf_counter() - started,
        changed=True,
    )


def _publish(index_dir: Path, build_id: str) -> None:
    pointer = index_dir / "CURRENT"
    staging = index_dir / f"CURRENT.{os.getpid()}"
    staging.write_text(build_id + "\n")
    os.replace(staging, pointer)  # atomic: readers see the old build or the new, never half
    builds = sorted((index_dir / "builds").iterdir(), key=lambda p: p.name)
    for old in builds[:-KEEP_BUILDS]:
        if old.name != build_id:
            shutil.rmtree(old, ignore_errors=True)

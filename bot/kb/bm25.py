"""A compact BM25 index over a sparse matrix: build once, score a query with one product."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray


class BM25:
    """Okapi BM25 (Lucene's idf) with the per-document term weights precomputed."""

    def __init__(self, vocab: dict[str, int], weights: sp.csr_matrix) -> None:
        self.vocab = vocab
        self._weights = weights  # documents x terms

    @classmethod
    def build(cls, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> BM25:
        """Index tokenized documents."""
        vocab: dict[str, int] = {}
        rows, cols, tfs = [], [], []
        lengths = np.zeros(len(documents), dtype=np.float32)
        for row, doc in enumerate(documents):
            lengths[row] = len(doc)
            for term, tf in Counter(doc).items():
                rows.append(row)
                cols.append(vocab.setdefault(term, len(vocab)))
                tfs.append(tf)
        tf = sp.csr_matrix(
            (np.array(tfs, dtype=np.float32), (rows, cols)), shape=(len(documents), len(vocab))
        )
        n_docs = max(len(documents), 1)
        df = np.bincount(tf.indices, minlength=len(vocab)).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        avg = float(lengths.mean()) if len(documents) else 1.0
        norm = k1 * (1 - b + b * lengths / max(avg, 1.0))
        weighted = tf.tocoo()
        data = weighted.data * (k1 + 1) / (weighted.data + norm[weighted.row]) * idf[weighted.col]
        weights = sp.csr_matrix((data, (weighted.row, weighted.col)), shape=tf.shape)
        return cls(vocab, weights)

    def scores(self, query: Sequence[str]) -> NDArray[np.float32]:
        """BM25 score of every document for the query's terms (unknown terms count nothing)."""
        counts = Counter(self.vocab[t] for t in query if t in self.vocab)
        if not counts:
            return np.zeros(self._weights.shape[0], dtype=np.float32)
        q = np.zeros(self._weights.shape[1], dtype=np.float32)
        for column, count in counts.items():
            q[column] = count
        return np.asarray(self._weights @ q, dtype=np.float32)

    def save(self, folder: Path) -> None:
        """Write `bm25.npz` and `bm25_vocab.json` into `folder`."""
        sp.save_npz(folder / "bm25.npz", self._weights)
        (folder / "bm25_vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> BM25:
        """Read what `save` wrote."""
        vocab = json.loads((folder / "bm25_vocab.json").read_text())
        return cls(vocab, sp.load_npz(folder / "bm25.npz").tocsr())

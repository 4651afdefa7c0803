"""The retriever: hybrid dense + lexical search, language-aware, with a calibrated confidence
that decides between answering, offering the best articles, and handing over."""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np
import yaml
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from bot.kb.articles import LANGS
from bot.kb.embedder import Embedder, shared_embedder
from bot.kb.index import OpenIndex, current_build, open_index
from bot.kb.text import clean_query, has_words, tokens

SNIPPET_CHARS = 700


class Calibration(BaseModel):
    """Logistic regression from ranking features to P(top article is right)."""

    intercept: float = 0.0
    coef: list[float] = Field(default_factory=lambda: [1.0, 0.0, 0.0, 0.0])


class RetrieverConfig(BaseModel):
    """Fusion weights and decision thresholds; written by `make kb-calibrate`."""

    dense_weight: float = 0.7
    lexical_weight: float = 0.3
    lexical_saturation: float = 6.0  # BM25 s -> s / (s + saturation), into [0, 1)
    other_language_penalty: float = 0.1
    # An article matching in two places is likelier right than one noisy chunk of another:
    # its score is its best chunk's plus this share of its second best.
    second_chunk_weight: float = 0.6
    candidates: int = 50
    answer_threshold: float = 0.5
    clarify_threshold: float = 0.25
    calibration: Calibration = Field(default_factory=Calibration)

    @classmethod
    def load(cls, path: Path) -> RetrieverConfig:
        """Read the YAML config (missing file: defaults)."""
        if not path.exists():
            return cls()
        data = yaml.safe_load(path.read_text()) or {}
        return cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields})


class Decision(StrEnum):
    """What to do with a question."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Hit:
    """One article found for a query, with the section that matched best."""

    article_id: str
    lang: str
    title: str
    section: str | None
    snippet: str
    url: str
    topic: str
    score: float


@dataclass(frozen=True, slots=True)
class Ranking:
    """Articles best first, and the features the confidence is computed from."""

    hits: list[Hit]
    features: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    @property
    def article_ids(self) -> list[str]:
        return [hit.article_id for hit in self.hits]


@dataclass(frozen=True, slots=True)
class KBResult:
    """The retriever's verdict on a question."""

    decision: Decision
    confidence: float
    hits: list[Hit] = field(default_factory=list)


@dataclass
class Candidates:
    """Raw scores of a query's candidate chunks, before fusion (reused by calibration)."""

    rows: NDArray[np.int64]
    dense: NDArray[np.float32]
    lexical: NDArray[np.float32]


class Retriever:
    """Answers questions from the published index; picks up a new build between queries."""

    def __init__(
        self, index_dir: Path, config: RetrieverConfig, embedder: Embedder | None = None
    ) -> None:
        self.index_dir = index_dir
        self.config = config
        self._embedder = embedder
        self._index: OpenIndex | None = None
        self._pointer: tuple[int, int] | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = shared_embedder()
        return self._embedder

    def index(self) -> OpenIndex:
        """The published build, reloaded when `CURRENT` has changed (hot reload)."""
        pointer = self.index_dir / "CURRENT"
        try:
            stat = os.stat(pointer)
            seen = (stat.st_mtime_ns, stat.st_ino)
        except FileNotFoundError:
            seen = None
        if self._index is None or seen != self._pointer:
            with self._lock:
                if self._index is None or seen != self._pointer:
                    folder = current_build(self.index_dir)
                    if folder is None:
                        raise FileNotFoundError(f"no index in {self.index_dir}: run `make kb`")
                    self._index, self._pointer = open_index(folder), seen
        return self._index

    def candidates(self, query: str, lang: str) -> Candidates | None:
        """Dense and lexical candidates of `query` (None when there is nothing to search)."""
        text = clean_query(query)
        if not has_words(text):
            return None
        index = self.index()
        vector = self.embedder.encode([text])[0]
        k = min(self.config.candidates, len(index.chunks))
        _, dense_rows = index.dense.search(vector[None, :], k)
        lexical_all = index.bm25.scores(tokens(text, lang if lang in LANGS else "en"))
        lexical_rows = (
            np.argpartition(-lexical_all, k - 1)[:k]
            if k < len(lexical_all)
            else np.arange(len(lexical_all))
        )
        rows = np.unique(np.concatenate([dense_rows[0][dense_rows[0] >= 0], lexical_rows]))
        return Candidates(
            rows=rows.astype(np.int64),
            dense=index.vectors[rows] @ vector,
            lexical=lexical_all[rows],
        )

    def rank(self, candidates: Candidates | None, lang: str, k: int = 5) -> Ranking:
        """Fuse candidate scores into a ranking of articles (one hit per article)."""
        if candidates is None or len(candidates.rows) == 0:
            return Ranking(hits=[])
        config = self.config
        index = self.index()
        lexical = candidates.lexical / (candidates.lexical + config.lexical_saturation)
        fused = config.dense_weight * candidates.dense + config.lexical_weight * lexical
        if lang in LANGS:
            other = np.array([index.chunks[r].lang != lang for r in candidates.rows])
            fused = fused - config.other_language_penalty * other
        top_two: dict[str, list[int]] = {}
        for i in np.argsort(-fused):
            rows = top_two.setdefault(index.chunks[candidates.rows[i]].article_id, [])
            if len(rows) < 2:
                rows.append(int(i))
        scores = {
            article: float(fused[rows[0]])
            + (config.second_chunk_weight * float(fused[rows[1]]) if len(rows) > 1 else 0.0)
            for article, rows in top_two.items()
        }
        order = sorted(scores, key=scores.__getitem__, reverse=True)[:k]
        hits = [
            self._hit(index, int(candidates.rows[top_two[a][0]]), scores[a], lang) for a in order
        ]
        best = top_two[order[0]][0]
        second = scores[order[1]] if len(order) > 1 else 0.0
        features = (
            scores[order[0]],
            scores[order[0]] - second,
            float(candidates.dense[best]),
            float(lexical[best]),
        )
        return Ranking(hits=hits, features=features)

    def _hit(self, index: OpenIndex, row: int, score: float, lang: str) -> Hit:
        chunk = index.chunks[row]
        own = index.by_article.get((chunk.article_id, chunk.lang), [row])
        position = own.index(row) if row in own else 0  # a question leads to the intro
        if (chunk.article_id, lang) in index.by_article:
            # Found through another language: show the customer's own translation.
            own = index.by_article[chunk.article_id, lang]
        chunk = index.chunks[own[min(position, len(own) - 1)]]
        return Hit(
            article_id=chunk.article_id,
            lang=chunk.lang,
            title=chunk.title,
            section=chunk.section,
            snippet=chunk.text[:SNIPPET_CHARS],
            url=chunk.url,
            topic=chunk.topic,
            score=score,
        )

    def confidence(self, ranking: Ranking) -> float:
        """Calibrated probability that the top article answers the question."""
        if not ranking.hits:
            return 0.0
        calibration = self.config.calibration
        z = calibration.intercept + sum(
            c * f for c, f in zip(calibration.coef, ranking.features, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-z))

    def search(self, query: str, lang: str, k: int = 5) -> Ranking:
        """The best `k` articles for `query` in `lang`."""
        return self.rank(self.candidates(query, lang), lang, k)

    def answer(self, query: str, lang: str) -> KBResult:
        """Answer, clarify with the best 2–3 articles, or say the help centre has no answer
        (then `hits` are the best candidates, for a caller that knows the topic)."""
        ranking = self.search(query, lang, k=5)
        confidence = self.confidence(ranking)
        if confidence >= self.config.answer_threshold:
            return KBResult(Decision.ANSWER, confidence, ranking.hits[:1])
        if confidence >= self.config.clarify_threshold and len(ranking.hits) >= 2:
            return KBResult(Decision.CLARIFY, confidence, ranking.hits[:3])
        return KBResult(Decision.NONE, confidence, ranking.hits)

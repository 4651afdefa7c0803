"""`make eval-kb`: retrieval quality and latency on our eval split or an outside collection."""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from bot.kb.articles import Article, Section, split_sections
from bot.kb.index import build_index
from bot.kb.paths import ARTICLES_DIR, CONFIG_PATH, EVAL_DIR, INDEX_DIR
from bot.kb.retriever import Decision, Retriever, RetrieverConfig
from bot.settings import load_settings


@dataclass(frozen=True, slots=True)
class Query:
    """A question and the article that answers it (None: the help centre has no answer)."""

    text: str
    doc_id: str | None
    lang: str
    split: str = "test"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the retriever did with one query."""

    query: Query
    ranked: list[str]
    decision: Decision
    confidence: float
    ms: float


def load_queries(paths: Iterable[Path], split: str | None = None) -> list[Query]:
    """Queries from JSONL files (`text`, `doc_id`, `lang`, optional `split`)."""
    queries = []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            try:
                query = Query(row["text"], row.get("doc_id"), row["lang"], row.get("split", "test"))
            except KeyError as exc:
                raise ValueError(f"{path}:{n}: missing {exc}") from exc
            if split is None or query.split == split:
                queries.append(query)
    return queries


_WINDOW_WORDS = 180


def articles_from_docs(path: Path) -> list[Article]:
    """An outside collection (`{id, title, text, lang}` per line) as articles: its `## `
    sections when it has them, else windows of about 180 words."""
    articles = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        doc = json.loads(line)
        text = str(doc["text"])
        sections = split_sections(text)
        if len(sections) <= 1:
            words = text.split()
            sections = tuple(
                Section(None, " ".join(words[i : i + _WINDOW_WORDS]))
                for i in range(0, max(len(words), 1), _WINDOW_WORDS)
            )
        doc_id = str(doc["id"])
        lang = str(doc.get("lang", "en"))
        articles.append(
            Article(
                id=doc_id,
                lang=lang,
                title=str(doc.get("title", "")),
                topic="general",
                tags=(),
                updated="",
                url=f"/docs/{lang}/{re.sub(r'[^A-Za-z0-9_-]+', '-', doc_id)}",
                sections=sections,
                sha256=str(hash(text)),
            )
        )
    return articles


def evaluate(retriever: Retriever, queries: list[Query], progress: bool = True) -> list[Outcome]:
    """Run every query (after one warm-up) and time each, embedding included."""
    retriever.search("warm up", "en")
    outcomes = []
    for query in tqdm(queries, desc="queries", unit="q", disable=not progress):
        started = time.perf_counter()
        ranking = retriever.search(query.text, query.lang, k=10)
        confidence = retriever.confidence(ranking)
        ms = (time.perf_counter() - started) * 1000
        config = retriever.config
        decision = (
            Decision.ANSWER
            if confidence >= config.answer_threshold
            else Decision.CLARIFY
            if confidence >= config.clarify_threshold
            else Decision.NONE
        )
        outcomes.append(Outcome(query, ranking.article_ids, decision, confidence, ms))
    return outcomes


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    """Per-language recall@1, recall@3, MRR (answerable) and rejection (unanswerable)."""
    by_lang: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_lang[outcome.query.lang].append(outcome)
    summary: dict[str, Any] = {}
    for lang in sorted(by_lang):
        answerable = [o for o in by_lang[lang] if o.query.doc_id is not None]
        unanswerable = [o for o in by_lang[lang] if o.query.doc_id is None]
        row: dict[str, Any] = {}
        if answerable:
            ranks = [
                o.ranked.index(o.query.doc_id) + 1 if o.query.doc_id in o.ranked else None
                for o in answerable
            ]
            row["recall@1"] = round(sum(r == 1 for r in ranks) / len(ranks), 4)
            row["recall@3"] = round(sum(r is not None and r <= 3 for r in ranks) / len(ranks), 4)
            row["mrr"] = round(sum(1 / r for r in ranks if r) / len(ranks), 4)
        if unanswerable:
            rejected = sum(o.decision is not Decision.ANSWER for o in unanswerable)
            row["reject"] = round(rejected / len(unanswerable), 4)
        summary[lang] = row
    latencies = [o.ms for o in outcomes]
    summary["latency_ms"] = {
        "p50": round(float(np.percentile(latencies, 50)), 2),
        "p99": round(float(np.percentile(latencies, 99)), 2),
    }
    return summary


def _table(summary: dict[str, Any], outcomes: list[Outcome]) -> str:
    lines = [f"{'lang':<5} {'queries':>7} {'recall@1':>9} {'recall@3':>9} {'mrr':>6} {'reject':>7}"]
    for lang, row in summary.items():
        if lang == "latency_ms":
            continue
        n = sum(o.query.lang == lang for o in outcomes)
        cells = [
            f"{row[m]:.3f}" if m in row else "-" for m in ("recall@1", "recall@3", "mrr", "reject")
        ]
        lines.append(f"{lang:<5} {n:>7} {cells[0]:>9} {cells[1]:>9} {cells[2]:>6} {cells[3]:>7}")
    latency = summary["latency_ms"]
    lines.append(f"latency (embedding included): p50 {latency['p50']} ms, p99 {latency['p99']} ms")
    return "\n".join(lines)


def plot(summary: dict[str, Any], outcomes: list[Outcome], path: Path) -> None:
    """One chart per measure: quality per language, and the latency distribution."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = [lang for lang in summary if lang != "latency_ms"]
    measures = ("recall@1", "recall@3", "mrr", "reject")
    figure, (quality, latency) = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(measures)
    for i, measure in enumerate(measures):
        values = [summary[lang].get(measure, 0) for lang in langs]
        bars = quality.bar([x + i * width for x in range(len(langs))], values, width, label=measure)
        quality.bar_label(bars, fmt="%.2f", fontsize=7)
    quality.set_xticks([x + 0.4 - width / 2 for x in range(len(langs))], langs)
    quality.set_ylim(0, 1.1)
    quality.set_title("retrieval quality by language")
    quality.legend(fontsize=8, loc="lower right")
    latency.hist([o.ms for o in outcomes], bins=40, color="tab:gray")
    for (name, value), colour in zip(
        summary["latency_ms"].items(), ("tab:blue", "tab:red"), strict=True
    ):
        latency.axvline(value, linestyle="--", color=colour, label=f"{name} {value} ms")
    latency.set_title("query latency, embedding included (ms)")
    latency.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def run(docs: Path | None, queries_path: Path | None, split: str) -> int:
    """Evaluate our help centre (split of `kb_index/eval`) or an outside collection."""
    config = RetrieverConfig.load(CONFIG_PATH)
    with tempfile.TemporaryDirectory(prefix="kb-eval-") as scratch:
        if docs is not None and queries_path is not None:
            index_dir = Path(scratch)
            build_index(Path(scratch), index_dir, articles=articles_from_docs(docs))
            queries = load_queries([queries_path])
        else:
            index_dir = INDEX_DIR
            build_index(ARTICLES_DIR, index_dir)
            queries = load_queries(sorted(EVAL_DIR.glob("*.jsonl")), split=split)
        outcomes = evaluate(Retriever(index_dir, config), queries)
    summary = summarise(outcomes)
    chart = load_settings().var_dir / "reports" / "kb-eval.png"
    plot(summary, outcomes, chart)
    print(_table(summary, outcomes))
    print(f"chart: {chart}")
    print(json.dumps(summary))
    return 0

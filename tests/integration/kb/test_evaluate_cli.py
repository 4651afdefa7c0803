"""`make eval-kb DOCS=... QUERIES=...` on a collection from outside, as it would arrive."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from bot.settings import PROJECT_ROOT

DOCS = [
    {
        "id": "tea",
        "title": "Brewing green tea",
        "text": "Use water at 80 degrees and steep for two minutes.",
        "lang": "en",
    },
    {
        "id": "bike",
        "title": "Fixing a flat tyre",
        "text": "Remove the wheel, find the puncture, patch the inner tube.",
        "lang": "en",
    },
    {
        "id": "pan",
        "title": "Hacer pan en casa",
        "text": "Mezcla harina, agua, sal y levadura; amasa y hornea a 220 grados.",
        "lang": "es",
    },
]
QUERIES = [
    {"text": "how hot should the water be for green tea", "doc_id": "tea", "lang": "en"},
    {"text": "my bicycle tyre is flat", "doc_id": "bike", "lang": "en"},
    {"text": "cómo hago pan casero", "doc_id": "pan", "lang": "es"},
    {"text": "who won the world cup in 1998", "doc_id": None, "lang": "en"},
]


def test_an_outside_collection_runs_unchanged(tmp_path: Path) -> None:
    docs, queries = tmp_path / "docs.jsonl", tmp_path / "queries.jsonl"
    docs.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    queries.write_text("".join(json.dumps(q) + "\n" for q in QUERIES))
    done = subprocess.run(
        ["make", "-s", "eval-kb", f"DOCS={docs}", f"QUERIES={queries}"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "VAR_DIR": str(tmp_path / "var")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(summary) == {"en", "es", "latency_ms"}
    assert summary["en"]["recall@1"] == 1.0
    assert summary["es"]["recall@1"] == 1.0
    assert set(summary["en"]) == {"recall@1", "recall@3", "mrr", "reject"}
    assert set(summary["es"]) == {"recall@1", "recall@3", "mrr"}  # no unanswerable in es
    assert (tmp_path / "var" / "reports" / "kb-eval.png").stat().st_size > 0

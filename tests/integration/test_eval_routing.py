"""`make eval-routing CASES=... OUT=...` as ../shared/eval/README.md defines it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT

CASES = [
    {
        "id": "t-1",
        "lang": "en",
        "plan": "premium",
        "channel": "web",
        "text": "someone got into my account and changed my password, I'm locked out",
        "expect": {
            "topic": "account_hacked",
            "action": "handoff",
            "queue": "urgent",
            "tier": 2,
            "priority": "urgent",
        },
    },
    {
        "id": "t-2",
        "lang": "es",
        "plan": "free",
        "channel": "telegram",
        "text": "hola!",
        "expect": {"topic": "greeting", "action": "smalltalk"},
    },
    {
        "id": "t-3",
        "lang": "fr",
        "plan": "free",
        "channel": "email",
        "text": "comment réinitialiser mon mot de passe ?",
        "expect": {"topic": "password_reset", "action": "answer"},
    },
]


@pytest.mark.skipif(not (PROJECT_ROOT / "models" / "imageko.tar.gz").exists(), reason="make model")
def test_eval_routing_writes_predictions_and_a_summary(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CASES))
    out = tmp_path / "out"
    done = subprocess.run(
        ["make", "-s", "eval-routing", f"CASES={cases}", f"OUT={out}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["cases"] == 3
    assert set(summary) >= {
        "topic_acc",
        "action_acc",
        "queue_acc",
        "priority_acc",
        "by_lang",
        "seconds",
    }
    assert set(summary["by_lang"]) == {"en", "es", "fr"}
    predictions = [
        json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()
    ]
    assert [p["id"] for p in predictions] == ["t-1", "t-2", "t-3"]
    assert set(predictions[0]) == {
        "id",
        "topic",
        "action",
        "queue",
        "tier",
        "priority",
        "lang",
        "confidence",
        "article_id",
    }
    first = predictions[0]
    assert (first["topic"], first["queue"], first["priority"]) == (
        "account_hacked",
        "urgent",
        "urgent",
    )
    assert predictions[1]["topic"] == "greeting"
    assert (predictions[2]["action"], predictions[2]["lang"]) == ("answer", "fr")
    assert predictions[2]["article_id"]
    assert (out / "routing.png").stat().st_size > 0

"""`make eval-routing CASES=... OUT=...`: the bot's first decision on each case, measured.

Reads the cases, and the Rasa model's parse of them (made by `rasa_addons.parse`), then runs
the hub's own pipeline per case — language detection, `bot.decision.decide` with the help
centre — writes OUT/predictions.jsonl and prints the summary as its last line.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bot import lang as language
from bot.decision import decide
from bot.kb import service

HANDOFF_FIELDS = ("queue", "tier", "priority")


def predict(case: dict[str, Any], parsed: dict[str, Any]) -> dict[str, Any]:
    """The prediction line of one case."""
    text = str(case["text"])
    lang = language.detect(text)
    ranking = [(str(name), float(score)) for name, score in parsed.get("ranking") or []]
    outcome = decide(
        str(parsed.get("intent") or ""),
        float(parsed.get("confidence") or 0.0),
        ranking,
        text,
        lang,
        case.get("plan"),
        service.answer,
    )
    routing = outcome.routing
    article = outcome.kb.hits[0].article_id if outcome.kb and outcome.kb.hits else None
    return {
        "id": case["id"],
        "topic": routing.topic,
        "action": routing.action,
        "queue": routing.queue,
        "tier": routing.tier,
        "priority": routing.priority,
        "lang": lang,
        "confidence": round(routing.confidence, 4),
        "article_id": article,
    }


def summarise(
    cases: list[dict[str, Any]], predictions: list[dict[str, Any]], seconds: float
) -> dict[str, Any]:
    """Accuracies as the evaluation interface defines them."""

    def share(pairs: list[bool]) -> float:
        return round(sum(pairs) / len(pairs), 4) if pairs else 0.0

    expected = [case["expect"] for case in cases]
    handoffs = [i for i, e in enumerate(expected) if e.get("action") == "handoff"]
    summary: dict[str, Any] = {
        "cases": len(cases),
        "topic_acc": share(
            [p["topic"] == e["topic"] for p, e in zip(predictions, expected, strict=True)]
        ),
        "action_acc": share(
            [p["action"] == e["action"] for p, e in zip(predictions, expected, strict=True)]
        ),
    }
    for field in HANDOFF_FIELDS:
        summary[f"{field}_acc"] = share(
            [predictions[i][field] == expected[i].get(field) for i in handoffs]
        )
    by_lang: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for case, prediction, expect in zip(cases, predictions, expected, strict=True):
        by_lang[case["lang"]]["topic_acc"].append(prediction["topic"] == expect["topic"])
        by_lang[case["lang"]]["action_acc"].append(prediction["action"] == expect["action"])
    summary["by_lang"] = {
        lang: {name: share(values) for name, values in measures.items()}
        for lang, measures in sorted(by_lang.items())
    }
    summary["seconds"] = round(seconds, 1)
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=Path, required=True)
    parser.add_argument("--nlu", type=Path, required=True, help="rasa_addons.parse output")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--started", type=float, help="epoch seconds the whole run began")
    args = parser.parse_args()

    started = args.started or time.time()
    cases = [
        json.loads(line)
        for line in args.cases.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    parsed = {}
    for line in args.nlu.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        parsed[row["id"]] = row
    service.warm_up()
    predictions = [
        predict(case, parsed[case["id"]]) for case in tqdm(cases, desc="routing", unit="case")
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "predictions.jsonl").open("w", encoding="utf-8") as sink:
        for prediction in predictions:
            sink.write(json.dumps(prediction, ensure_ascii=False) + "\n")
    if all("expect" in case for case in cases):
        summary = summarise(cases, predictions, time.time() - started)
    else:
        summary = {"cases": len(cases), "seconds": round(time.time() - started, 1)}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

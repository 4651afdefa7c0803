"""`make eval-routing CASES=... OUT=...`: the bot's first decision on each case, measured.

Reads the cases, and the Rasa model's parse of them (made by `rasa_addons.parse`), then runs
the hub's own pipeline per case — language detection, `bot.conversations.decision.decide` with
the help centre — writes OUT/predictions.jsonl and prints the summary as its last line.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bot.conversations.decision import decide
from bot.kb import service
from bot.language.detect import detect

HANDOFF_FIELDS = ("queue", "tier", "priority")


def predict(case: dict[str, Any], parsed: dict[str, Any]) -> dict[str, Any]:
    """The prediction line of one case."""
    text = str(case["text"])
    lang = detect(text)
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


def plot(
    cases: list[dict[str, Any]],
    predictions: list[dict[str, Any]],
    summary: dict[str, Any],
    path: Path,
) -> None:
    """Accuracy per language and measure, and where topics are confused."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    topics = sorted({c["expect"]["topic"] for c in cases} | {p["topic"] for p in predictions})
    matrix = np.zeros((len(topics), len(topics)), dtype=int)
    for case, prediction in zip(cases, predictions, strict=True):
        matrix[topics.index(case["expect"]["topic"]), topics.index(prediction["topic"])] += 1
    figure, (bars, confusion) = plt.subplots(
        1, 2, figsize=(15, 6), gridspec_kw={"width_ratios": [1, 2]}
    )
    measures = ["topic_acc", "action_acc"]
    langs = list(summary["by_lang"])
    for i, measure in enumerate(measures):
        values = [summary["by_lang"][lang][measure] for lang in langs]
        drawn = bars.bar([x + i * 0.4 for x in range(len(langs))], values, 0.4, label=measure)
        bars.bar_label(drawn, fmt="%.2f", fontsize=8)
    bars.set_xticks([x + 0.2 for x in range(len(langs))], langs)
    bars.set_ylim(0, 1.1)
    handoff = ", ".join(f"{f} {summary[f + '_acc']:.2f}" for f in HANDOFF_FIELDS)
    bars.set_title(f"{summary['cases']} cases — handoffs: {handoff}", fontsize=9)
    bars.legend(fontsize=8, loc="lower right")
    shown = np.where(matrix > 0, matrix, np.nan)
    confusion.imshow(shown, cmap="Blues")
    confusion.set_xticks(range(len(topics)), topics, rotation=90, fontsize=7)
    confusion.set_yticks(range(len(topics)), topics, fontsize=7)
    confusion.set_xlabel("predicted topic")
    confusion.set_ylabel("expected topic")
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            confusion.text(
                col,
                row,
                str(count),
                ha="center",
                va="center",
                fontsize=6,
                color="red" if row != col else "black",
            )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


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
        plot(cases, predictions, summary, args.out / "routing.png")
    else:
        summary = {"cases": len(cases), "seconds": round(time.time() - started, 1)}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

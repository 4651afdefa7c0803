"""`make bench-nlu TRAIN=a.csv TEST=b.csv [VAL=c.csv] [OOS_LABEL=name]`.

Trains the NLU pipeline of `config.yml` on a `text,label` CSV (the first two columns, whatever
their names) and reports accuracy and macro-F1 on the test CSV; with an out-of-scope label, the
in-scope accuracy and out-of-scope recall at the confidence threshold chosen on VAL (or on TEST's
in-scope/out-of-scope mix when no VAL is given, said so in the output). Also training time and
parse latency. Runs in the Rasa environment (`.venv-rasa`); the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from sklearn.metrics import accuracy_score, f1_score
from tqdm import tqdm

FALLBACK = "nlu_fallback"


def read_csv(path: Path) -> list[tuple[str, str]]:
    """(text, label) rows of a CSV with a header; the first two columns are used."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return [(row[0], row[1]) for row in rows[1:] if len(row) >= 2 and row[0].strip()]


def intent_name(label: str) -> str:
    """Labels become Rasa intent names (no spaces or slashes)."""
    return "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in label.strip()) or "empty"


def write_nlu(rows: list[tuple[str, str]], path: Path) -> None:
    by_label: dict[str, list[str]] = {}
    for text, label in rows:
        by_label.setdefault(intent_name(label), []).append(" ".join(text.split()))
    blocks = [
        {"intent": label, "examples": "".join(f"- {t}\n" for t in dict.fromkeys(texts))}
        for label, texts in sorted(by_label.items())
    ]
    path.write_text(
        yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True, width=10**9)
    )


def nlu_only_config(source: Path, target: Path) -> None:
    """config.yml's pipeline without its dialogue policies (NLU is what is measured)."""
    config = yaml.safe_load(source.read_text())
    config["policies"] = []
    target.write_text(yaml.safe_dump(config))


async def predict(model: Path, texts: list[str]) -> tuple[list[str], list[float], list[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    labels, confidences, ms = [], [], []
    for text in tqdm(texts, desc="parsing", unit="msg"):
        started = time.perf_counter()
        parsed = await agent.parse_message(text)
        ms.append((time.perf_counter() - started) * 1000)
        ranking = [i for i in parsed.get("intent_ranking", []) if i["name"] != FALLBACK]
        best = ranking[0] if ranking else {"name": FALLBACK, "confidence": 0.0}
        labels.append(best["name"])
        confidences.append(float(best["confidence"]))
    return labels, confidences, ms


def choose_threshold(confidences: list[float], is_oos: list[bool]) -> float:
    """The confidence cut that maximises in-scope-kept + out-of-scope-caught (balanced)."""
    best, best_score = 0.0, -1.0
    conf = np.array(confidences)
    oos = np.array(is_oos)
    for t in np.unique(np.round(conf, 4)):
        kept = (conf[~oos] >= t).mean() if (~oos).any() else 0.0
        caught = (conf[oos] < t).mean() if oos.any() else 0.0
        if kept + caught > best_score:
            best, best_score = float(t), kept + caught
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--val", type=Path)
    parser.add_argument("--oos-label")
    parser.add_argument("--config", type=Path, default=Path("config.yml"))
    args = parser.parse_args()
    logging.getLogger("rasa").setLevel(logging.WARNING)

    from rasa.model_training import train_nlu

    train, test = read_csv(args.train), read_csv(args.test)
    oos = intent_name(args.oos_label) if args.oos_label else None
    labels = len({label for _, label in train})
    print(f"train {len(train)} examples, {labels} labels; test {len(test)}")
    with tempfile.TemporaryDirectory(prefix="bench-nlu-") as scratch:
        folder = Path(scratch)
        write_nlu(train, folder / "nlu.yml")
        nlu_only_config(args.config, folder / "config.yml")
        # Train from scratch: Rasa's training cache would restore an earlier run's components
        # and report a training time that measures nothing.
        os.environ["RASA_CACHE_DIRECTORY"] = str(folder / "cache")
        started = time.perf_counter()
        model = train_nlu(
            str(folder / "config.yml"),
            str(folder / "nlu.yml"),
            str(folder / "model"),
            fixed_model_name="bench",
        )
        train_s = time.perf_counter() - started
        if model is None:
            raise SystemExit("training failed")
        truth = [intent_name(label) for _, label in test]
        predicted, confidence, ms = asyncio.run(predict(Path(model), [t for t, _ in test]))
        threshold_on = None
        if oos and args.val:
            val = read_csv(args.val)
            _, val_conf, _ = asyncio.run(predict(Path(model), [t for t, _ in val]))
            threshold = choose_threshold(val_conf, [intent_name(label) == oos for _, label in val])
            threshold_on = "VAL"
        elif oos:
            threshold = choose_threshold(confidence, [t == oos for t in truth])
            threshold_on = "TEST (no VAL given: optimistic)"

    result: dict[str, float | str] = {
        "accuracy": round(accuracy_score(truth, predicted), 4),
        "macro_f1": round(f1_score(truth, predicted, average="macro"), 4),
    }
    if oos:
        final = [
            FALLBACK if c < threshold else p for p, c in zip(predicted, confidence, strict=True)
        ]
        in_scope = [i for i, t in enumerate(truth) if t != oos]
        out_scope = [i for i, t in enumerate(truth) if t == oos]
        result["in_scope_acc"] = round(float(np.mean([final[i] == truth[i] for i in in_scope])), 4)
        result["oos_recall"] = round(
            float(np.mean([final[i] in (FALLBACK, oos) for i in out_scope])), 4
        )
        result["threshold"] = round(threshold, 4)
        print(f"out-of-scope threshold chosen on {threshold_on}")
    result["train_s"] = round(train_s, 1)
    result["parse_ms_p50"] = round(float(np.percentile(ms, 50)), 2)
    print(
        "  ".join(f"{k}={v}" for k, v in result.items())
        + f"  parse_ms_p99={np.percentile(ms, 99):.2f}"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

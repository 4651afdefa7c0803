"""`make bench-nlu` on a small `text,label` set from outside, with an out-of-scope label."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

from bot.settings import PROJECT_ROOT

LABELS = {
    "weather": [
        "will it rain tomorrow",
        "how hot is it today",
        "is it sunny outside",
        "weather forecast please",
        "do I need an umbrella",
        "how cold will it be tonight",
    ],
    "music": [
        "play some jazz",
        "put on my playlist",
        "next song please",
        "turn the music up",
        "play the latest album",
        "skip this track",
    ],
    "oos": [
        "what is the meaning of life",
        "tell me about the roman empire",
        "how do volcanoes form",
        "who painted the mona lisa",
        "what is a prime number",
        "how tall is everest",
    ],
}


def write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["utterance", "intent"])  # any header names: columns are by position
        writer.writerows(rows)
    return path


def test_bench_nlu_reports_accuracy_and_out_of_scope_figures(tmp_path: Path) -> None:
    train = write(
        tmp_path / "train.csv", [(t, label) for label, texts in LABELS.items() for t in texts[:4]]
    )
    val = write(
        tmp_path / "val.csv", [(t, label) for label, texts in LABELS.items() for t in texts[4:5]]
    )
    test = write(
        tmp_path / "test.csv", [(t, label) for label, texts in LABELS.items() for t in texts[5:]]
    )
    done = subprocess.run(
        [
            "make",
            "-s",
            "bench-nlu",
            f"TRAIN={train}",
            f"TEST={test}",
            f"VAL={val}",
            "OOS_LABEL=oos",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result) == {
        "accuracy",
        "macro_f1",
        "in_scope_acc",
        "oos_recall",
        "threshold",
        "train_s",
        "parse_ms_p50",
    }
    assert 0.0 <= result["threshold"] <= 1.0
    assert result["accuracy"] >= 2 / 3  # weather and music are easy to tell apart
    assert "threshold chosen on VAL" in done.stdout

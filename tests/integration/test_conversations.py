"""`rasa test` on the conversation tests: the trained model's intents and dialogue choices."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT

MODEL = PROJECT_ROOT / "models" / "imageko.tar.gz"
STORIES = PROJECT_ROOT / "tests" / "conversations"


@pytest.mark.skipif(not MODEL.exists(), reason="`make model` trains it")
def test_conversation_stories_pass(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            str(PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"),
            "test",
            "core",
            "--model",
            str(MODEL),
            "--stories",
            str(STORIES),
            "--out",
            str(tmp_path),
            "--fail-on-prediction-errors",
            "--no-plot",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:] + details
    assert "None of the test stories failed" in details, details

"""Start the real desk as `make run` does (launcher: Rasa, hub, embedded Redis) on free loopback
ports with a throwaway database. Shared by the e2e fixtures and the conversation suite, so both
exercise exactly the same desk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.runtime.launcher import free_port
from bot.settings import PROJECT_ROOT

READY_TIMEOUT_S = 240
SECRET_KEY = "e2e-secret-key"
DEMO_PASSWORD = "e2e demo password"  # DEMO_PASSWORD: the one the launcher seeds instead of its own


class DeskNotReady(RuntimeError):
    """The desk exited, or did not print its ready banner in time (the log's tail attached)."""


@dataclass
class RunningDesk:
    process: subprocess.Popen[bytes]
    url: str
    marker: str
    log: Path
    email_port: int
    env: dict[str, str] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    def agent(self, person: str) -> dict[str, str]:
        """The bearer header of an API token acting as `person`, issued as an admin does it:
        `python -m bot token issue <person>` on the desk's database (once per person)."""
        if person not in self._tokens:
            issued = subprocess.run(
                [sys.executable, "-m", "bot", "token", "issue", person, "--name", "e2e"],
                capture_output=True,
                text=True,
                cwd=PROJECT_ROOT,
                env=self.env,
                timeout=60,
                check=True,
            )
            self._tokens[person] = issued.stdout.splitlines()[0]
        return {"Authorization": f"Bearer {self._tokens[person]}"}


@contextmanager
def running_desk(tmp: Path, smtp_port: int, extra_env: dict[str, str]) -> Iterator[RunningDesk]:
    """The desk, ready, mailing through `smtp_port`; stopped with Ctrl-C (SIGINT) on exit."""
    marker = f"IMAGEKO_E2E_{uuid.uuid4().hex}"
    hub_port = free_port()
    email_port = free_port()
    env = {
        **os.environ,
        "HUB_PORT": str(hub_port),
        "RASA_PORT": str(free_port()),
        "REDIS_URL": "",  # the launcher must start its embedded server
        "DATABASE_URL": f"sqlite:///{tmp / 'desk.db'}",
        "VAR_DIR": str(tmp / "var"),
        "SECRET_KEY": SECRET_KEY,
        "DEMO_DATA": "true",
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "EMAIL_RECEIVER_PORT": str(email_port),
        "OUTBOX_INTERVAL_S": "0.5",
        # Every test client is 127.0.0.1: per-address limits would count the whole run as
        # one customer. The per-conversation limits keep their defaults.
        "RATE_MESSAGES_PER_ADDRESS": "100000",
        "RATE_CONVERSATIONS_PER_ADDRESS": "100000",
        "RATE_UPLOADS_PER_ADDRESS": "100000",
        marker: "1",
        **extra_env,
    }
    log = tmp / "desk.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = RunningDesk(process, f"http://127.0.0.1:{hub_port}", marker, log, email_port, env)
    try:
        _wait_ready(running)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_ready(desk: RunningDesk) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if desk.process.poll() is not None:
            raise DeskNotReady(f"the desk exited early:\n{desk.log.read_text()[-3000:]}")
        if "the desk is ready" in desk.log.read_text():  # the banner a person waits for
            return
        time.sleep(0.5)
    raise DeskNotReady(f"not ready in {READY_TIMEOUT_S} s:\n{desk.log.read_text()[-3000:]}")

"""The admin command that adds console users, run as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.db import create_engine, session_factory
from bot.settings import PROJECT_ROOT
from bot.staff.accounts import Accounts, Role


def _user(db: Path, *args: str, password: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "VAR_DIR": str(db.parent)}
    return subprocess.run(
        [sys.executable, "-m", "bot", "user", *args, "--password-stdin"],
        input=f"{password}\n",
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=60,
        check=False,
    )


async def test_an_admin_adds_a_supervisor_who_can_then_sign_in(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    added = _user(
        db, "maya", "--name", "Maya", "--role", "supervisor", "--queue", "support",
        "--tier", "2", password="a long enough secret",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "added maya"
    assert "a long enough secret" not in added.stdout + added.stderr
    again = _user(db, "maya", password="a long enough secret")
    assert again.returncode == 2
    assert "exists" in again.stderr
    weak = _user(db, "kim", password="short")
    assert (weak.returncode, "at least 10" in weak.stderr) == (2, True)
    reset = _user(db, "maya", "--reset-password", password="another long secret")
    assert reset.returncode == 0, reset.stderr
    engine = create_engine(f"sqlite:///{db}")
    try:
        _, user = await Accounts(session_factory(engine)).sign_in("maya", "another long secret")
    finally:
        await engine.dispose()
    assert (user.role, user.queues, user.tier) == (Role.SUPERVISOR, ("support",), 2)

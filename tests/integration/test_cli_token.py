"""The admin command that issues, lists and revokes API tokens, run as an operator runs it;
the token it prints is then used on the agent API as an integration would."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
from fastapi import FastAPI

from bot.db import session_factory
from bot.runtime.demo import seed_demo
from bot.settings import PROJECT_ROOT, Settings
from bot.staff.audit import AuditLog


def _bot(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "VAR_DIR": str(settings.var_dir)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=60,
        check=False,
    )


async def test_an_operator_issues_a_token_that_works_until_revoked(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await seed_demo(session_factory(app.state.engine))
    issued = _bot(settings, "token", "issue", "devi", "--name", "weekly report")
    assert issued.returncode == 0, issued.stderr
    token, note = issued.stdout.splitlines()
    assert token.startswith("ik_")
    assert note.startswith("token #1 for devi (weekly report): shown only now")
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/supervisor", headers=bearer)).status_code == 200

    listed = _bot(settings, "token", "list")
    assert listed.returncode == 0, listed.stderr
    _, row = listed.stdout.splitlines()
    assert row.split()[:2] == ["1", "devi"]
    assert row.split()[-1] == "active"
    assert token not in listed.stdout
    assert token[:7] in row

    revoked = _bot(settings, "token", "revoke", "1")
    assert (revoked.returncode, revoked.stdout.strip()) == (
        0,
        "revoked token #1 of devi (weekly report)",
    )
    assert (await client.get("/api/v1/supervisor", headers=bearer)).status_code == 401
    assert _bot(settings, "token", "list", "--agent", "devi").stdout.split()[-1] == "revoked"
    audit = [
        (e.actor, e.action, e.subject)
        for e in await AuditLog(session_factory(app.state.engine)).recent()
    ]
    assert audit == [("cli", "token_revoked", "devi"), ("cli", "token_issued", "devi")]


async def test_refusals_are_named_on_stderr(app: FastAPI, settings: Settings) -> None:
    await seed_demo(session_factory(app.state.engine))
    ghost = _bot(settings, "token", "issue", "ghost")
    assert (ghost.returncode, ghost.stdout) == (2, "")
    assert "no user 'ghost'" in ghost.stderr
    missing = _bot(settings, "token", "revoke", "42")
    assert (missing.returncode, "no API token 42" in missing.stderr) == (2, True)

"""`python -m bot privacy export|erase`, run as an operator runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from sqlalchemy import select

from bot.conversations.store import ConversationStore
from bot.db import create_engine, session_factory
from bot.db.models import Customer
from bot.runtime.demo import seed_demo
from bot.settings import PROJECT_ROOT
from bot.staff.audit import AuditLog
from channels.base import InboundMessage
from tests.conftest import SmtpSink

ANA = "acc-1001"  # a demo customer
SAID = "Hola, soy Ana y quiero mis datos"
# An email long enough to spill into SQLite's overflow pages, which an update frees.
LONG = "Adjunto el historial de mis pedidos de Ana Free. " * 150


def _bot(db: Path, *args: str, smtp_port: int = 9) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "VAR_DIR": str(db.parent / "var"),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "PUBLIC_URL": "https://desk.example",
        "SECRET_KEY": "cli-test-key",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=60,
        check=False,
    )


async def _with_a_conversation(db: Path) -> None:
    assert _bot(db, "migrate").returncode == 0
    engine = create_engine(f"sqlite:///{db}")
    try:
        sessions = session_factory(engine)
        await seed_demo(sessions, "cli test password")  # as `make run` seeds its demo users
        async with sessions() as session:
            ana = await session.scalar(select(Customer.id).where(Customer.account_id == ANA))
        store = ConversationStore(sessions)
        await store.record_inbound(InboundMessage("web-ana", "webchat", SAID), "es", ana)
        await store.record_inbound(InboundMessage("email-ana", "email", LONG), "es", ana)
    finally:
        await engine.dispose()


def _files_of(db: Path) -> bytes:
    """The database's bytes on disk, write-ahead log included: what a disk image would show."""
    return b"".join(path.read_bytes() for path in db.parent.glob(f"{db.name}*"))


async def _audit(db: Path) -> list[tuple[str, str]]:
    engine = create_engine(f"sqlite:///{db}")
    try:
        return [(e.actor, e.action) for e in await AuditLog(session_factory(engine)).recent()]
    finally:
        await engine.dispose()


async def test_an_admin_exports_a_customer_to_a_file_and_by_link(
    tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    db = tmp_path / "desk.db"
    await _with_a_conversation(db)
    out = tmp_path / "ana.zip"
    done = _bot(db, "privacy", "export", "--account", ANA, "--by", "admin", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out}: 2 conversations, 2 messages")
    with zipfile.ZipFile(out) as bundle:
        document = json.loads(bundle.read("imageko-support-data.json"))
    assert document["customer"]["account_id"] == ANA
    said = [m["text"] for c in document["conversations"] for m in c["messages"]]
    assert sorted(said) == sorted([SAID, LONG])

    mailed = _bot(
        db, "privacy", "export", "--account", ANA, "--by", "admin", "--email-link",
        smtp_port=smtp_sink.port,
    )  # fmt: skip
    assert mailed.returncode == 0, mailed.stderr
    assert "valid for 48 h" in mailed.stdout
    (mail,) = smtp_sink.messages
    assert mail["To"] == "ana.free@example.com"
    assert re.search(r"https://desk\.example/privacy/exports/\S{40,}", mail.get_content())
    assert await _audit(db) == [("admin", "privacy_export"), ("admin", "privacy_export")]


async def test_only_an_admin_may_and_an_erasure_needs_yes(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    await _with_a_conversation(db)
    for by in ("lea", "ghost"):  # an agent, and nobody
        refused = _bot(db, "privacy", "erase", "--account", ANA, "--by", by, "--yes")
        assert (refused.returncode, "is not an admin" in refused.stderr) == (2, True)
    unsure = _bot(db, "privacy", "erase", "--account", ANA, "--by", "admin")
    assert (unsure.returncode, "--yes" in unsure.stderr) == (2, True)
    unknown = _bot(db, "privacy", "erase", "--account", "acc-0000", "--by", "admin", "--yes")
    assert (unknown.returncode, "no customer has account id" in unknown.stderr) == (2, True)
    assert await _audit(db) == []

    erased = _bot(db, "privacy", "erase", "--account", ANA, "--by", "admin", "--yes")
    assert erased.returncode == 0, erased.stderr
    assert erased.stdout.startswith(f"erased {ANA}: 2 conversations, 2 messages")
    assert await _audit(db) == [("admin", "privacy_erase")]
    again = _bot(db, "privacy", "export", "--account", ANA, "--by", "admin", "--out", "x.zip")
    assert (again.returncode, "no customer has account id" in again.stderr) == (2, True)
    stored = _files_of(db)
    assert (SAID.encode() in stored, b"historial de mis pedidos" in stored) == (False, False)

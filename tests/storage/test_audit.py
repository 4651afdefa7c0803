"""The audit log on SQLite and PostgreSQL: lines kept in order, filtered, bounded in size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import session_factory
from bot.staff.audit import AuditLog


async def test_lines_come_back_newest_first_and_filtered(engine: AsyncEngine) -> None:
    start = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    ticks = iter(start + timedelta(seconds=i) for i in range(10))
    log = AuditLog(session_factory(engine), clock=lambda: next(ticks))
    await log.record("devi", "signed_in", address="10.0.0.7")
    await log.record("admin", "role_changed", "lea", {"from": "agent", "to": "supervisor"})
    await log.record("devi", "ticket_viewed", "IMG-000001", {"topic": "charged_twice"})

    lines = await log.recent()
    assert [(e.actor, e.action) for e in lines] == [
        ("devi", "ticket_viewed"),
        ("admin", "role_changed"),
        ("devi", "signed_in"),
    ]
    assert lines[1].subject == "lea"
    assert lines[1].data == {"from": "agent", "to": "supervisor"}
    assert lines[2].address == "10.0.0.7"
    assert lines[2].at == start
    assert [e.action for e in await log.recent(actor="devi")] == ["ticket_viewed", "signed_in"]
    assert [e.subject for e in await log.recent(action="role_changed")] == ["lea"]
    assert len(await log.recent(limit=1)) == 1


async def test_overlong_values_are_cut_to_their_columns(engine: AsyncEngine) -> None:
    log = AuditLog(session_factory(engine))
    await log.record("x" * 100, "y" * 100, "z" * 300, address="a" * 100)
    (line,) = await log.recent()
    assert (len(line.actor), len(line.action), len(line.subject)) == (64, 48, 128)
    assert line.address == "a" * 64

"""The audit log: one line per thing staff read or changed that matters later (sign-ins, role
changes, views of verified-sensitive tickets, privacy exports and deletions)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import AuditEvent, utcnow


class AuditLog:
    """Writes and reads the audit log; every line is its own short transaction."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def record(
        self,
        actor: str,
        action: str,
        subject: str = "",
        data: Mapping[str, Any] | None = None,
        address: str | None = None,
    ) -> AuditEvent:
        """Add one line: who (`actor`), did what (`action`), to what (`subject`)."""
        event = AuditEvent(
            actor=actor[:64],
            action=action[:48],
            subject=subject[:128],
            data=dict(data or {}),
            address=address[:64] if address else None,
            at=self._clock(),
        )
        async with self._sessions.begin() as session:
            session.add(event)
        return event

    async def recent(
        self, limit: int = 200, actor: str | None = None, action: str | None = None
    ) -> list[AuditEvent]:
        """The newest lines first, optionally of one actor or one action."""
        query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        if actor is not None:
            query = query.where(AuditEvent.actor == actor)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        async with self._sessions() as session:
            return list(await session.scalars(query))

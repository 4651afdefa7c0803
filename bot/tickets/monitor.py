"""The SLA monitor: marks breached tickets once, stores an alert, and sends it to people;
it also delivers every other stored alert (an upset customer's, bot/tickets/upset.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from bot.db.models import ACTIVE_STATUSES, Alert, Ticket, TicketEvent, TicketStatus, utcnow
from bot.tickets.acks import format_due
from bot.tickets.base import Clock
from bot.tickets.upset import ALERT_KIND
from bot.triage import policy

log = logging.getLogger(__name__)
BATCH = 100  # tickets per round: a backlog is worked off over several rounds, not one query


class AlertSender(Protocol):
    """Sends one alert; raises when the destination did not take it."""

    async def send(self, subject: str, text: str) -> None: ...


def _alert_text(ticket: Ticket, kind: str) -> str:
    what = (
        "no first response"
        if kind == "first_response_breach"
        else "no resolution by the resolution deadline"
    )
    due = ticket.breach_at if kind == "first_response_breach" else ticket.resolution_due_at
    due_text = format_due(due, "en") if due else "?"
    return (
        f"{ticket.number}: {what} (due {due_text}). Queue {ticket.queue}, tier {ticket.tier}, "
        f"priority {ticket.priority}, {ticket.plan} plan, topic {ticket.topic}. {ticket.summary}"
    )


class SlaMonitor:
    """One round marks every newly breached ticket; several hubs may run it at once."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        senders: Sequence[AlertSender],
        clock: Clock = utcnow,
    ) -> None:
        self._sessions = sessions
        self._senders = list(senders)
        self._clock = clock

    async def run_once(self) -> list[Alert]:
        """Mark breaches, close resolved tickets past the reopen window, deliver alerts."""
        now = self._clock()
        created: list[Alert] = []
        async with self._sessions.begin() as session:
            late = await session.scalars(
                select(Ticket)
                .where(Ticket.status.in_(ACTIVE_STATUSES), Ticket.first_response_at.is_(None))
                .where(Ticket.breached_at.is_(None), Ticket.breach_at <= now)
                .limit(BATCH)
            )
            for ticket in list(late):
                if await self._claim(session, ticket, Ticket.breached_at, now):
                    created.append(self._alert(session, ticket, "first_response_breach", now))
            overdue = await session.scalars(
                select(Ticket)
                .where(Ticket.status.in_(ACTIVE_STATUSES))
                .where(Ticket.resolution_breached_at.is_(None), Ticket.resolution_due_at <= now)
                .limit(BATCH)
            )
            for ticket in list(overdue):
                if await self._claim(session, ticket, Ticket.resolution_breached_at, now):
                    created.append(self._alert(session, ticket, "resolution_breach", now))
            await session.execute(
                update(Ticket)
                .where(Ticket.status == TicketStatus.RESOLVED)
                .where(Ticket.resolved_at <= now - policy.REOPEN_WINDOW)
                .values(status=TicketStatus.CLOSED, closed_at=now)
            )
        await self._deliver(now)
        return created

    async def run_forever(self, interval_s: float) -> None:
        """A round every `interval_s` seconds until cancelled; a failed round is only logged."""
        while True:
            try:
                await self.run_once()
            except Exception:  # the next round tries again; the desk keeps serving
                log.exception("SLA monitor round failed")
            await asyncio.sleep(interval_s)

    @staticmethod
    async def _claim(
        session: AsyncSession,
        ticket: Ticket,
        column: InstrumentedAttribute[datetime | None],
        now: datetime,
    ) -> bool:
        # Conditional UPDATE: with several hubs, exactly one of them raises each alert.
        result = await session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id, column.is_(None))
            .values({column.key: now})
            .execution_options(synchronize_session=False)
        )
        return cast("CursorResult[Any]", result).rowcount == 1

    @staticmethod
    def _alert(session: AsyncSession, ticket: Ticket, kind: str, now: datetime) -> Alert:
        alert = Alert(ticket_id=ticket.id, kind=kind, message=_alert_text(ticket, kind))
        alert.created_at = now
        session.add(alert)
        session.add(TicketEvent(ticket_id=ticket.id, actor="system", action=kind, data={}, at=now))
        return alert

    async def _deliver(self, now: datetime) -> None:
        """Send every undelivered alert; one that fails keeps its error and is tried next round."""
        if not self._senders:
            return
        async with self._sessions() as session:
            pending = list(
                await session.scalars(
                    select(Alert)
                    .where(Alert.delivered_at.is_(None))
                    .order_by(Alert.id)
                    .limit(BATCH)
                )
            )
        for alert in pending:
            number = alert.message.partition(":")[0]
            what = "upset customer" if alert.kind == ALERT_KIND else f"SLA {alert.kind}"
            subject = f"{what.replace('_', ' ')}: {number}"
            errors = []
            for sender in self._senders:
                try:
                    await sender.send(subject, alert.message)
                except Exception as exc:  # one destination down must not stop the others
                    errors.append(f"{type(sender).__name__}: {exc}")
            async with self._sessions.begin() as session:
                await session.execute(
                    update(Alert)
                    .where(Alert.id == alert.id)
                    .values(delivered_at=None if errors else now, error="; ".join(errors) or None)
                )

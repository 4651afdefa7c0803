"""An upset customer on SQLite and PostgreSQL: the one-step raise, its tag, its explanation on
the ticket, and the supervisors' alert for paying customers and tickets at risk of their SLA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.conversations.delivery import Deliveries
from bot.conversations.store import ConversationStore
from bot.db import session_factory
from bot.db.models import Alert, Ticket
from bot.runtime.demo import seed_demo
from bot.tickets.monitor import SlaMonitor
from bot.tickets.service import TicketService
from bot.triage.policy import UPSET_TAG
from bot.triage.routing import route
from channels.base import InboundMessage
from tests.clock import Clock

WEDNESDAY_10 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@dataclass
class Desk:
    sessions: async_sessionmaker[AsyncSession]
    store: ConversationStore
    tickets: TicketService
    clock: Clock

    async def say(self, cid: str, text: str, lang: str = "en", subject: str = "") -> int:
        message = InboundMessage(cid, "email", text, lang, {"subject": subject})
        return (await self.store.record_inbound(message, lang)).id

    async def handoff(
        self,
        cid: str,
        text: str,
        topic: str = "refund_request",
        plan: str | None = None,
        **kw: bool,
    ) -> Ticket:
        await self.say(cid, text)
        routing = route(topic, 1.0, text, "en", plan, handoff=True).as_dict() | kw
        opened = await self.tickets.open_from_handoff(
            cid, routing, channel="email", lang="en", plan=plan
        )
        return opened.ticket

    async def alerts(self) -> list[Alert]:
        async with self.sessions() as session:
            return list(await session.scalars(select(Alert).order_by(Alert.id)))

    async def notes(self, number: str) -> list[str]:
        events = await self.tickets.history(number)
        return [e.data["explanation"] for e in events if e.action == "priority_raised"]


@pytest.fixture
async def desk(engine: AsyncEngine) -> Desk:
    sessions = session_factory(engine)
    await seed_demo(sessions)
    clock = Clock(WEDNESDAY_10)
    tickets = TicketService(sessions, Deliveries(), clock)
    return Desk(sessions, ConversationStore(sessions), tickets, clock)


async def test_an_upset_free_customer_is_raised_one_step_tagged_and_explained(desk: Desk) -> None:
    ticket = await desk.handoff("c1", "Refund please. I'm fed up, I've written four times already")
    assert ticket.priority == "high"  # refund_request is normal by the table
    assert UPSET_TAG in ticket.tags
    explanation = "Priority raised: normal → high, because: 'fed up', 'written four times'"
    assert [r["explanation"] for r in ticket.routing["raises"]] == [explanation]
    assert await desk.notes(ticket.number or "") == [explanation]
    assert await desk.alerts() == []  # free plan, SLA far away: no supervisor needed


async def test_a_calm_or_negated_message_raises_nothing(desk: Desk) -> None:
    ticket = await desk.handoff("c2", "Refund please, I'm not angry, just confused")
    assert (ticket.priority, ticket.tags, ticket.routing["raises"]) == ("normal", [], [])


async def test_a_premium_customer_goes_up_past_the_plan_raise_and_supervisors_hear(
    desk: Desk,
) -> None:
    text = "Es inaceptable, lo necesito antes de mi reunión"
    ticket = await desk.handoff("c3", text, plan="premium")
    assert ticket.priority == "urgent"  # normal → high (plan) → urgent (tone)
    assert ticket.sla_rule == "urgent"
    assert ticket.due_at == WEDNESDAY_10 + timedelta(hours=6)
    assert await desk.notes(ticket.number or "") == [
        "Priority raised: normal → high, because: 'premium plan'",
        "Priority raised: high → urgent, because: 'inaceptable', 'antes de mi reunión'",
    ]
    (alert,) = await desk.alerts()
    assert alert.kind == "upset_customer"
    assert "premium plan" in alert.message
    assert "'inaceptable', 'antes de mi reunión'" in alert.message


async def test_the_nlu_complaint_signal_counts_as_upset(desk: Desk) -> None:
    ticket = await desk.handoff("c4", "I want my money back", nlu_upset=True)
    assert ticket.priority == "high"
    assert ticket.routing["raises"][0]["because"] == ["complaint (NLU)"]


async def test_a_later_message_raises_once_and_alerts_when_the_sla_is_at_risk(desk: Desk) -> None:
    ticket = await desk.handoff("c5", "Refund please")
    number = ticket.number or ""
    desk.clock.now = ticket.due_at - timedelta(minutes=10)  # nearly due, no answer yet
    later = await desk.say("c5", "Still nothing? Unacceptable")
    await desk.tickets.customer_wrote(ticket.id, later)
    raised = await desk.tickets.get(number)
    assert (raised.priority, UPSET_TAG in raised.tags) == ("high", True)
    assert raised.due_at == ticket.due_at  # high keeps the free plan's clock; never later
    (alert,) = await desk.alerts()
    assert "SLA at risk" in alert.message
    await desk.tickets.customer_wrote(ticket.id, await desk.say("c5", "I'm FED UP"))
    again = await desk.tickets.get(number)
    assert again.priority == "high"  # tone raises a ticket once
    assert len(await desk.alerts()) == 1  # and supervisors hear of it once
    assert len(await desk.notes(number)) == 1


async def test_an_urgent_raise_on_a_later_message_moves_the_due_time_earlier(desk: Desk) -> None:
    ticket = await desk.handoff("c6", "A refund please", topic="charged_twice")  # high
    desk.clock.now = WEDNESDAY_10 + timedelta(hours=1)
    await desk.tickets.customer_wrote(ticket.id, await desk.say("c6", "J'en ai marre", "fr"))
    raised = await desk.tickets.get(ticket.number or "")
    assert (raised.priority, raised.sla_rule) == ("urgent", "urgent")
    assert raised.due_at == WEDNESDAY_10 + timedelta(hours=6)  # from when the clock started


async def test_the_monitor_delivers_the_upset_alert_with_its_own_subject(desk: Desk) -> None:
    sent: list[tuple[str, str]] = []

    class Sender:
        async def send(self, subject: str, text: str) -> None:
            sent.append((subject, text))

    ticket = await desk.handoff("c7", "This is ridiculous", plan="enterprise")
    await SlaMonitor(desk.sessions, [Sender()], desk.clock).run_once()
    ((subject, text),) = sent
    assert subject == f"upset customer: {ticket.number}"
    assert "'ridiculous'" in text


async def test_an_email_subject_line_counts_too(desk: Desk) -> None:
    ticket = await desk.handoff("c8", "Refund please")
    await desk.tickets.customer_wrote(
        ticket.id, await desk.say("c8", "See below.", subject="Re: fed up with this")
    )
    raised = await desk.tickets.get(ticket.number or "")
    assert raised.routing["raises"][0]["because"] == ["fed up"]

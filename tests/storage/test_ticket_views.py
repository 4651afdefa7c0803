"""What the console reads and the supervisor does: filtered queues, loads, risk, reassigning,
and the events every change publishes for the live consoles (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations.delivery import Deliveries
from bot.conversations.store import ConversationStore
from bot.db import session_factory
from bot.db.models import ConversationState, TicketStatus
from bot.errors import Conflict, Forbidden
from bot.runtime.demo import seed_demo
from bot.tickets.service import TicketService
from bot.tickets.views import Filters
from channels.base import OutboundMessage
from tests.clock import Clock
from tests.storage.test_tickets import WEDNESDAY_10, Desk


class Views(Desk):
    events: list[dict[str, Any]]


@pytest.fixture
async def desk(engine: AsyncEngine) -> Views:
    sessions = session_factory(engine)
    await seed_demo(sessions)
    clock = Clock(WEDNESDAY_10)
    deliveries = Deliveries()
    events: list[dict[str, Any]] = []

    async def publish(event: dict[str, Any]) -> None:
        events.append(event)

    tickets = TicketService(sessions, deliveries, clock, publish)
    desk = Views(sessions, ConversationStore(sessions), tickets, clock)
    desk.events = events

    async def record(message: OutboundMessage) -> None:
        desk.sent.append(message)

    deliveries.register("api", record)
    return desk


async def test_filters_narrow_the_queue_and_urgency_orders_it(desk: Views) -> None:
    normal = await desk.handoff("n1", "human_request")
    urgent = await desk.handoff("u1", "account_hacked")
    high = await desk.handoff("h1", "charged_twice")
    everything = await desk.tickets.search(Filters())
    assert [t.number for t in everything] == [urgent.number, high.number, normal.number]
    support = await desk.tickets.search(Filters(queues=("support",)))
    assert urgent.number not in [t.number for t in support]
    assert [t.number for t in await desk.tickets.search(Filters(priority="high"))] == [high.number]
    assert await desk.tickets.search(Filters(lang="fr")) == []
    await desk.tickets.claim(normal.number or "", "lea")
    mine = await desk.tickets.search(Filters(assignee="lea"))
    assert [t.number for t in mine] == [normal.number]
    await desk.tickets.resolve(normal.number or "", "lea")
    assert normal.number not in [t.number for t in await desk.tickets.search(Filters())]
    resolved = await desk.tickets.search(Filters(status=TicketStatus.RESOLVED))
    assert [t.number for t in resolved] == [normal.number]


async def test_a_supervisor_assigns_only_to_someone_who_works_the_queue(desk: Views) -> None:
    ticket = await desk.handoff("a1", "human_request", channel="api")
    number = ticket.number or ""
    with pytest.raises(Forbidden):
        await desk.tickets.assign(number, "devi", "tomas")  # trust and urgent only
    assigned = await desk.tickets.assign(number, "devi", "lea")
    assert (assigned.assignee_id, assigned.status) == ("lea", TicketStatus.OPEN)
    assert await desk.state("a1") is ConversationState.AGENT
    assert desk.sent[-1].text.startswith("Léa ")  # the customer hears who joined
    with pytest.raises(Conflict):
        await desk.tickets.assign(number, "devi", "lea")
    moved = await desk.tickets.assign(number, "devi", "sam")  # reassigned, no second greeting
    assert moved.assignee_id == "sam"
    assert len(desk.sent) == 1
    history = [e.action for e in await desk.tickets.history(number)]
    assert history[-2:] == ["assigned", "assigned"]


async def test_loads_and_risk_for_the_supervisor(desk: Views) -> None:
    first = await desk.handoff("r1", "account_hacked")  # urgent: first response in 6 h
    await desk.handoff("r2", "human_request")
    await desk.tickets.claim(first.number or "", "sam")
    await desk.tickets.set_presence("sam", True)
    loads = {load.agent.id: load for load in await desk.tickets.agent_loads()}
    assert (loads["sam"].online, loads["sam"].open_tickets) == (True, 1)
    assert (loads["lea"].online, loads["lea"].open_tickets) == (False, 0)
    assert "carla" not in loads  # a content editor works no queue
    breached, soon = await desk.tickets.at_risk(timedelta(minutes=30))
    assert (breached, soon) == ([], [])
    desk.clock.now = first.due_at - timedelta(minutes=20)
    breached, soon = await desk.tickets.at_risk(timedelta(minutes=30))
    assert [t.number for t in soon] == [first.number]
    desk.clock.now = first.breach_at + timedelta(seconds=1)
    breached, soon = await desk.tickets.at_risk(timedelta(minutes=30))
    assert first.number in [t.number for t in breached]
    assert first.number not in [t.number for t in soon]
    loads = {load.agent.id: load for load in await desk.tickets.agent_loads()}
    assert loads["sam"].online is False  # no check-in for hours: away


async def test_every_change_is_published_without_customer_text(desk: Views) -> None:
    ticket = await desk.handoff("p1", "human_request")
    number = ticket.number or ""
    await desk.tickets.customer_typing("p1")
    await desk.tickets.claim(number, "lea")
    await desk.tickets.reply(number, "lea", "Hello from Léa")
    await desk.tickets.note(number, "lea", "secret-ish note")
    await desk.tickets.resolve(number, "lea")
    await desk.tickets.customer_typing("p1")  # resolved: nobody to tell
    kinds = [(e["type"], e.get("kind", None)) for e in desk.events]
    assert kinds == [
        ("ticket", "created"),
        ("typing", None),
        ("ticket", "claimed"),
        ("message", "agent"),
        ("message", "note"),
        ("ticket", "resolved"),
    ]
    assert all(e["number"] == number for e in desk.events)
    assert not any("Léa" in str(e) or "note" in str(e.get("text", "")) for e in desk.events)

"""Tickets and agents' operations on SQLite and PostgreSQL, with a clock the tests move."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.conversations.delivery import Deliveries
from bot.conversations.store import ConversationStore
from bot.db import session_factory
from bot.db.models import Conversation, ConversationState, Message, Ticket, TicketStatus
from bot.errors import Conflict, DeliveryFailed, Forbidden, InvalidField, NotFound
from bot.runtime.demo import seed_demo
from bot.tickets.acks import acknowledgment
from bot.tickets.base import ticket_id_of, ticket_number
from bot.tickets.service import TicketService
from bot.triage.routing import route
from channels.base import InboundMessage, OutboundMessage
from tests.clock import Clock

WEDNESDAY_10 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # business hours
SATURDAY_10 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@dataclass
class Desk:
    sessions: async_sessionmaker[AsyncSession]
    store: ConversationStore
    tickets: TicketService
    clock: Clock
    sent: list[OutboundMessage] = field(default_factory=list)

    async def conversation(self, cid: str, text: str = "I want a person", channel: str = "api"):
        await self.store.record_inbound(InboundMessage(cid, channel, text), "en")
        await self.store.record_replies([OutboundMessage(cid, "Passing you on.")], "en")

    async def handoff(
        self, cid: str, topic: str = "human_request", plan: str | None = None, **kw: Any
    ) -> Ticket:
        await self.conversation(cid, channel=kw.get("channel", "api"))
        decision = route(topic, 1.0, f"about {topic}", "en", plan, handoff=True).as_dict()
        opened = await self.tickets.open_from_handoff(
            cid, decision, channel=kw.get("channel", "api"), lang="en", plan=plan
        )
        return opened.ticket

    async def state(self, cid: str) -> ConversationState:
        async with self.sessions() as session:
            conversation = await session.get(Conversation, cid)
            assert conversation is not None
            return conversation.state

    async def row(self, number: str) -> Ticket:
        async with self.sessions() as session:
            ticket = await session.get(Ticket, ticket_id_of(number))
            assert ticket is not None
            return ticket


@pytest.fixture
async def desk(engine: AsyncEngine) -> Desk:
    sessions = session_factory(engine)
    await seed_demo(sessions)
    clock = Clock(WEDNESDAY_10)
    deliveries = Deliveries()
    desk = Desk(
        sessions, ConversationStore(sessions), TicketService(sessions, deliveries, clock), clock
    )

    async def record(message: OutboundMessage) -> None:
        desk.sent.append(message)

    deliveries.register("telegram", record)
    return desk


def test_ticket_numbers_round_trip() -> None:
    assert ticket_number(4217) == "IMG-004217"
    assert ticket_id_of("img-004217") == 4217
    with pytest.raises(NotFound):
        ticket_id_of("IMG-12x")


async def test_handoff_opens_a_triaged_ticket_with_its_transcript(desk: Desk) -> None:
    ticket = await desk.handoff("c1", "charged_twice", plan="free")
    assert ticket.number == ticket_number(ticket.id)
    assert (ticket.queue, ticket.tier, ticket.priority, ticket.category) == (
        "support",
        1,
        "high",
        "billing",
    )
    assert ticket.status is TicketStatus.NEW
    assert ticket.due_at == WEDNESDAY_10 + timedelta(hours=24)  # free plan
    assert ticket.breach_at == WEDNESDAY_10 + timedelta(hours=48)
    assert ticket.routing["topic"] == "charged_twice"
    assert await desk.state("c1") is ConversationState.QUEUED
    transcript = await desk.tickets.transcript(ticket.number or "")
    assert [m.text for m in transcript] == ["I want a person", "Passing you on."]
    assert [e.action for e in await desk.tickets.history(ticket.number or "")] == ["created"]


async def test_premium_and_urgent_set_the_due_time(desk: Desk) -> None:
    premium = await desk.handoff("p1", "refund_request", plan="premium")
    assert premium.priority == "high"  # plan raise
    assert premium.due_at == WEDNESDAY_10 + timedelta(hours=12)
    hacked = await desk.handoff("u1", "account_hacked", plan="free")
    assert (hacked.queue, hacked.priority, hacked.sla_rule) == ("urgent", "urgent", "urgent")
    assert hacked.due_at == WEDNESDAY_10 + timedelta(hours=6)


async def test_complaint_gets_a_resolution_deadline_in_business_days(desk: Desk) -> None:
    complaint = await desk.handoff("k1", "complaint")
    # Wednesday 10:00 + 7 business days = Friday of the next week, 10:00.
    assert complaint.resolution_due_at == datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    decision = route("complaint", 1.0, "terrible", "fr", None, handoff=True).as_dict()
    await desk.conversation("k2")
    opened = await desk.tickets.open_from_handoff(
        "k2", decision, channel="api", lang="fr", plan=None
    )
    assert opened.handoff.complaint
    assert opened.handoff.due == opened.ticket.resolution_due_at


async def test_live_queue_puts_premium_ahead_of_free(desk: Desk) -> None:
    await desk.tickets.set_presence("lea", True)
    first_free = await desk.handoff("f1", plan="free")
    await desk.conversation("f2")
    decision = route("human_request", 1.0, "person", "en", "free", handoff=True).as_dict()
    second_free = await desk.tickets.open_from_handoff(
        "f2", decision, channel="api", lang="en", plan="free"
    )
    assert second_free.handoff.live_position == 2
    desk.clock.now += timedelta(minutes=1)
    await desk.tickets.set_presence("lea", True)
    await desk.conversation("p2")
    premium = await desk.tickets.open_from_handoff(
        "p2",
        route("human_request", 1.0, "person", "en", "premium", handoff=True).as_dict(),
        channel="api",
        lang="en",
        plan="premium",
    )
    assert premium.handoff.live_position == 1
    assert first_free.status is TicketStatus.NEW


async def test_no_live_queue_out_of_hours_or_without_agents(desk: Desk) -> None:
    await desk.conversation("n1")
    decision = route("human_request", 1.0, "person", "en", None, handoff=True).as_dict()
    nobody = await desk.tickets.open_from_handoff(
        "n1", decision, channel="api", lang="en", plan=None
    )
    assert nobody.handoff.live_position is None  # nobody online
    desk.clock.now = SATURDAY_10
    await desk.tickets.set_presence("lea", True)
    await desk.conversation("n2")
    weekend = await desk.tickets.open_from_handoff(
        "n2", decision, channel="api", lang="en", plan=None
    )
    assert weekend.handoff.live_position is None
    assert weekend.handoff.due == SATURDAY_10 + timedelta(hours=24)


async def test_presence_expires(desk: Desk) -> None:
    await desk.tickets.set_presence("lea", True)
    assert await desk.tickets.agents_online("support") == 1
    desk.clock.now += timedelta(minutes=5)
    assert await desk.tickets.agents_online("support") == 0


async def test_queue_lists_priority_then_due(desk: Desk) -> None:
    normal = await desk.handoff("q1", "human_request", plan="free")
    desk.clock.now += timedelta(minutes=1)
    high = await desk.handoff("q2", "charged_twice", plan="free")
    premium = await desk.handoff("q3", "human_request", plan="premium")  # high by plan, due 12 h
    order = [t.number for t in await desk.tickets.queue("support")]
    assert order == [premium.number, high.number, normal.number]
    with pytest.raises(InvalidField):
        await desk.tickets.queue("nowhere")


async def test_claim_reply_resolve(desk: Desk) -> None:
    ticket = await desk.handoff("t1", channel="telegram")
    number = ticket.number or ""
    claimed = await desk.tickets.claim(number, "lea")
    assert (claimed.status, claimed.assignee_id) == (TicketStatus.OPEN, "lea")
    assert await desk.state("t1") is ConversationState.AGENT
    desk.clock.now += timedelta(minutes=3)
    message = await desk.tickets.reply(number, "lea", "Hi, I'm Léa. Let me look.")
    assert [m.text for m in desk.sent] == [
        # said on the live channel at the claim
        "Léa from the support team joined the conversation.",
        "Hi, I'm Léa. Let me look.",
    ]
    assert {m.conversation_id for m in desk.sent} == {"t1"}
    row = await desk.row(number)
    assert row.first_response_at == WEDNESDAY_10 + timedelta(minutes=3)
    assert row.status is TicketStatus.PENDING_CUSTOMER
    assert message.status.value == "sent"
    assert message.ticket_id == row.id
    await desk.tickets.customer_wrote(row.id, message.id)
    assert (await desk.row(number)).status is TicketStatus.OPEN
    resolved = await desk.tickets.resolve(number, "lea")
    assert resolved.status is TicketStatus.RESOLVED
    assert await desk.state("t1") is ConversationState.BOT
    actions = [e.action for e in await desk.tickets.history(number)]
    assert actions == ["created", "claimed", "replied", "message", "resolved"]
    assert all(e.at is not None for e in await desk.tickets.history(number))


async def test_concurrent_claims_exactly_one_wins(desk: Desk) -> None:
    for attempt in range(5):
        ticket = await desk.handoff(f"race{attempt}", "account_hacked")
        results = await asyncio.gather(
            desk.tickets.claim(ticket.number or "", "sam"),
            desk.tickets.claim(ticket.number or "", "tomas"),
            return_exceptions=True,
        )
        wins = [r for r in results if isinstance(r, Ticket)]
        losses = [r for r in results if isinstance(r, Conflict)]
        assert len(wins) == 1, results
        assert len(losses) == 1, results
        assert (await desk.row(ticket.number or "")).assignee_id == wins[0].assignee_id
        claims = [
            e for e in await desk.tickets.history(ticket.number or "") if e.action == "claimed"
        ]
        assert len(claims) == 1


async def test_refusals_change_nothing(desk: Desk) -> None:
    ticket = await desk.handoff("r1", channel="telegram")
    number = ticket.number or ""
    with pytest.raises(Forbidden):  # tomas works trust/urgent, not support
        await desk.tickets.claim(number, "tomas")
    with pytest.raises(Forbidden):  # nobody owns it yet
        await desk.tickets.reply(number, "lea", "hello")
    await desk.tickets.claim(number, "lea")
    with pytest.raises(Forbidden):  # sam does not own it
        await desk.tickets.reply(number, "sam", "hello")
    with pytest.raises(Forbidden):
        await desk.tickets.resolve(number, "sam")
    with pytest.raises(InvalidField):
        await desk.tickets.transfer(number, "lea", "billing-dept")
    with pytest.raises(NotFound):
        await desk.tickets.claim("IMG-999999", "lea")
    with pytest.raises(NotFound):
        await desk.tickets.claim(number, "ghost")
    with pytest.raises(InvalidField):
        await desk.tickets.escalate(number, "lea", "  ")
    row = await desk.row(number)
    assert (row.queue, row.tier, row.assignee_id, row.status) == (
        "support",
        1,
        "lea",
        TicketStatus.OPEN,
    )
    assert [m.text for m in desk.sent] == ["Léa from the support team joined the conversation."]
    async with desk.sessions() as session:
        agent_lines = await session.scalars(select(Message).where(Message.sender == "agent"))
        assert list(agent_lines) == []
    await desk.tickets.resolve(number, "lea")
    for operation in (
        desk.tickets.claim(number, "lea"),
        desk.tickets.reply(number, "lea", "late"),
        desk.tickets.note(number, "lea", "late"),
        desk.tickets.transfer(number, "lea", "trust"),
        desk.tickets.escalate(number, "lea", "late"),
        desk.tickets.resolve(number, "lea"),
    ):
        with pytest.raises(Conflict):
            await operation
    assert [e.action for e in await desk.tickets.history(number)][-1] == "resolved"


async def test_transfer_and_escalate_requeue(desk: Desk) -> None:
    ticket = await desk.handoff("m1", "human_request")
    number = ticket.number or ""
    await desk.tickets.claim(number, "lea")
    await desk.tickets.note(number, "lea", "looks like an abuse case")
    moved = await desk.tickets.transfer(number, "lea", "trust", "abuse, not billing")
    assert (moved.queue, moved.status, moved.assignee_id) == ("trust", TicketStatus.NEW, None)
    assert await desk.state("m1") is ConversationState.QUEUED
    with pytest.raises(Conflict):
        await desk.tickets.transfer(number, "tomas", "trust")
    up = await desk.tickets.escalate(number, "tomas", "needs legal")
    assert up.tier == 2
    up = await desk.tickets.escalate(number, "tomas", "needs developers")
    assert up.tier == 3
    with pytest.raises(Conflict):
        await desk.tickets.escalate(number, "devi", "beyond the top")
    with pytest.raises(Forbidden):  # a tier-2 agent cannot take a tier-3 ticket
        await desk.tickets.claim(number, "tomas")
    await desk.tickets.claim(number, "devi")
    events = await desk.tickets.history(number)
    assert [e.action for e in events] == [
        "created",
        "claimed",
        "note",
        "transferred",
        "escalated",
        "escalated",
        "claimed",
    ]
    assert events[3].data == {"from": "support", "to": "trust", "reason": "abuse, not billing"}
    assert events[4].actor == "tomas"
    assert events[4].data["reason"] == "needs legal"


async def test_reopen_within_the_window_only(desk: Desk) -> None:
    ticket = await desk.handoff("o1")
    number = ticket.number or ""
    await desk.tickets.claim(number, "lea")
    await desk.tickets.resolve(number, "lea")
    desk.clock.now += timedelta(days=6, hours=23)
    reopened = await desk.tickets.reopen(number, "lea")
    assert (reopened.status, reopened.assignee_id) == (TicketStatus.OPEN, "lea")
    assert await desk.state("o1") is ConversationState.AGENT
    await desk.tickets.resolve(number, "lea")
    desk.clock.now += timedelta(days=7, hours=1)
    with pytest.raises(Conflict):
        await desk.tickets.reopen(number, "lea")


async def test_same_topic_handoff_within_the_window_reopens(desk: Desk) -> None:
    first = await desk.handoff("w1", "bug_report")
    await desk.tickets.claim(first.number or "", "sam")
    await desk.tickets.resolve(first.number or "", "sam")
    desk.clock.now += timedelta(days=2)
    again = await desk.handoff("w1", "bug_report")
    assert again.id == first.id
    assert again.tags == ["reopened"]
    assert again.status is TicketStatus.NEW
    assert again.due_at == desk.clock.now + timedelta(hours=24)
    other = await desk.handoff("w1", "refund_request")  # a different topic: a new ticket
    assert other.id != first.id


async def test_messages_while_queued_join_the_ticket(desk: Desk) -> None:
    ticket = await desk.handoff("s1")
    stored = await desk.store.record_inbound(InboundMessage("s1", "api", "still there?"), "en")
    assert stored.ticket_id == ticket.id
    await desk.tickets.claim(ticket.number or "", "lea")
    stored = await desk.store.record_inbound(InboundMessage("s1", "api", "hello?"), "en")
    assert stored.ticket_id == ticket.id
    await desk.tickets.resolve(ticket.number or "", "lea")
    stored = await desk.store.record_inbound(InboundMessage("s1", "api", "thanks!"), "en")
    assert stored.ticket_id is None
    lines = [m.text for m in await desk.tickets.transcript(ticket.number or "")]
    joined = "Léa from the support team joined the conversation."
    assert lines[-3:] == ["still there?", joined, "hello?"]


async def test_a_channel_outage_keeps_the_reply_as_failed(desk: Desk) -> None:
    ticket = await desk.handoff("x1", channel="slack")
    deliveries = Deliveries()

    async def down(message: OutboundMessage) -> None:
        raise ConnectionError("slack is down")

    deliveries.register("slack", down)
    tickets = TicketService(desk.sessions, deliveries, desk.clock)
    await tickets.claim(ticket.number or "", "lea")
    with pytest.raises(DeliveryFailed):
        await tickets.reply(ticket.number or "", "lea", "Are you there?")
    (line,) = [m for m in await tickets.transcript(ticket.number or "") if m.sender == "agent"]
    assert line.text == "Are you there?"
    assert line.status.value == "failed"
    assert "slack is down" in (line.error or "")


async def test_unverified_hand_offs_are_tagged_for_agents(desk: Desk) -> None:
    await desk.conversation("v1")
    decision = {**route("refund_request", 1.0, "refund", "en", None).as_dict(), "verified": False}
    opened = await desk.tickets.open_from_handoff(
        "v1", decision, channel="api", lang="en", plan=None
    )
    assert opened.ticket.tags == ["unverified"]
    await desk.conversation("v2")
    decision["verified"] = True
    opened = await desk.tickets.open_from_handoff(
        "v2", decision, channel="api", lang="en", plan=None
    )
    assert opened.ticket.tags == []


async def test_the_summary_is_redacted(desk: Desk) -> None:
    await desk.conversation("v3")
    decision = route("charged_twice", 1.0, "card 4242 4242 4242 4242 twice", "en", None).as_dict()
    opened = await desk.tickets.open_from_handoff(
        "v3", decision, channel="api", lang="en", plan=None
    )
    assert opened.ticket.summary == "card [card number] twice"
    assert opened.ticket.routing["summary"] == "card [card number] twice"


async def test_the_whole_decision_and_its_audit_line_are_redacted(desk: Desk) -> None:
    await desk.conversation("v4")
    decision = {
        **route("charged_twice", 1.0, "charged twice", "en", None).as_dict(),
        "collected": {"transaction_date": "nov 20, card 4111.1111.1111.1111", "last4": "1111"},
    }
    opened = await desk.tickets.open_from_handoff(
        "v4", decision, channel="api", lang="en", plan=None
    )
    kept = {"transaction_date": "nov 20, card [card number]", "last4": "1111"}
    assert opened.ticket.routing["collected"] == kept
    (created,) = await desk.tickets.history(opened.ticket.number or "")
    assert created.data["collected"] == kept


async def test_internal_notes_are_redacted(desk: Desk) -> None:
    ticket = await desk.handoff("n1", "human_request")
    note = await desk.tickets.note(ticket.number or "", "lea", " she read 4242 4242 4242 4242 ")
    assert note.data == {"text": "she read [card number]"}
    assert (await desk.tickets.history(ticket.number or ""))[-1].data == note.data


async def test_the_handoff_ack_names_the_team_of_the_ticket_queue(desk: Desk) -> None:
    await desk.conversation("t1")
    decision = route("abuse_report", 1.0, "someone is harassing me", "en", None).as_dict()
    opened = await desk.tickets.open_from_handoff(
        "t1", decision, channel="email", lang="en", plan=None
    )
    assert opened.handoff.queue == "trust"
    assert "Our Trust & Safety team will review it" in acknowledgment(opened.handoff)

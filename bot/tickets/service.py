"""Tickets and what agents do with them. Every operation is one transaction and is audited.

The conversation's state follows the ticket: `queued` while it waits in a queue, `agent` while
an agent owns it, `bot` again once resolved. The router reads that state on every message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import case, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import (
    ACTIVE_STATUSES,
    Agent,
    Conversation,
    ConversationState,
    Customer,
    Direction,
    Message,
    MessageStatus,
    Ticket,
    TicketEvent,
    TicketStatus,
    utcnow,
)
from bot.errors import Conflict, DeliveryFailed, Forbidden, InvalidField, NotFound
from bot.redact import redact
from bot.tickets import acks
from bot.tickets.acks import Handoff
from bot.triage import policy, sla
from channels.base import OutboundMessage

log = logging.getLogger(__name__)
# Sends an agent's reply back on the channel the conversation came from.
Deliver = Callable[[str, OutboundMessage], Awaitable[None]]
# Tells the consoles what changed (the live feed); it must not raise.
Publish = Callable[[dict[str, Any]], Awaitable[None]]
Clock = Callable[[], datetime]


async def unpublished(event: dict[str, Any]) -> None:
    """No consoles to tell: without Redis (or outside the hub) they see changes on reload."""


# An agent counts as online while their console checked in this recently.
PRESENCE_TTL = timedelta(minutes=2)
# Channels where a customer waits in a live chat; email gets the expected response time.
LIVE_CHANNELS = frozenset(
    {"api", "webchat", "telegram", "slack", "messenger", "instagram", "twitter"}
)
NUMBER_PREFIX = "IMG-"
SEARCH_LIMIT = 500  # tickets in one queue view: beyond that, narrow the filters


def ticket_number(ticket_id: int) -> str:
    """`IMG-004217`: what customers and agents quote."""
    return f"{NUMBER_PREFIX}{ticket_id:06d}"


def ticket_id_of(number: str) -> int:
    """The row id behind a ticket number; unknown shapes are a 404, not a crash."""
    digits = number.upper().removeprefix(NUMBER_PREFIX)
    if not digits.isdigit():
        raise NotFound(f"no ticket {number!r}", code="ticket_not_found")
    return int(digits)


@dataclass(frozen=True, slots=True)
class Filters:
    """What an agent narrows the queue to; None means any."""

    queues: tuple[str, ...] | None = None
    tier: int | None = None
    priority: str | None = None
    channel: str | None = None
    lang: str | None = None
    status: TicketStatus | None = None
    assignee: str | None = None


@dataclass(frozen=True, slots=True)
class AgentLoad:
    """An agent as a supervisor sees them: online or not, and how many tickets they hold."""

    agent: Agent
    online: bool
    open_tickets: int


@dataclass(frozen=True, slots=True)
class Opened:
    """A ticket opened (or reopened) by a handoff, and what to tell the customer."""

    ticket: Ticket
    handoff: Handoff


class TicketService:
    """Opens tickets from the bot's handoffs and carries out agents' operations."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        deliver: Deliver,
        clock: Clock = utcnow,
        publish: Publish = unpublished,
    ) -> None:
        self._sessions = sessions
        self._deliver = deliver
        self._clock = clock
        self._publish = publish

    # --- the bot side -------------------------------------------------------------------

    async def open_from_handoff(
        self,
        conversation_id: str,
        routing: Mapping[str, Any],
        *,
        channel: str,
        lang: str,
        plan: str | None,
        customer_id: int | None = None,
    ) -> Opened:
        """Turn the bot's routing decision into a ticket and queue the conversation.

        The same topic handed off again within the reopen window reopens the last ticket.
        Messages of the conversation not yet on a ticket become its transcript.
        """
        now = self._clock()
        topic = policy.TOPICS.get(str(routing.get("topic")), policy.TOPICS["human_request"])
        queue = str(routing.get("queue") or topic.queue or "support")
        priority = str(routing.get("priority") or topic.priority or policy.Priority.NORMAL)
        tier = int(routing.get("tier") or topic.tier or 1)
        plan = (plan or policy.DEFAULT_PLAN).lower()
        due = sla.sla_for(now, plan=plan, priority=priority, topic=topic.id)
        async with self._sessions.begin() as session:
            ticket = await self._reopenable(session, conversation_id, topic.id, now)
            reopened = ticket is not None
            if ticket is None:
                ticket = Ticket(
                    conversation_id=conversation_id,
                    customer_id=customer_id,
                    channel=channel,
                    topic=topic.id,
                    category=topic.category,
                    created_at=now,
                    tags=[],
                )
                session.add(ticket)
            ticket.queue, ticket.tier, ticket.priority = queue, tier, priority
            ticket.lang, ticket.plan, ticket.sla_rule = lang, plan, due.rule
            # Agents filter on these: who still needs verifying, what came back.
            ticket.tags = sorted(
                {*ticket.tags}
                | ({"unverified"} if routing.get("verified") is False else set())
                | ({"reopened"} if reopened else set())
            )
            ticket.summary = redact(str(routing.get("summary") or ""))
            ticket.routing = {**routing, "summary": ticket.summary}
            ticket.status, ticket.assignee_id = TicketStatus.NEW, None
            ticket.due_at, ticket.breach_at = due.first_response_due, due.breach_at
            ticket.resolution_due_at = due.resolution_due
            ticket.first_response_at = ticket.resolved_at = ticket.breached_at = None
            await session.flush()
            ticket.number = ticket_number(ticket.id)
            await session.execute(
                update(Message)
                .where(Message.conversation_id == conversation_id, Message.ticket_id.is_(None))
                .values(ticket_id=ticket.id)
            )
            await self._set_state(session, conversation_id, ConversationState.QUEUED)
            self._audit(session, ticket, "bot", "reopened" if reopened else "created", routing)
            position = await self._live_position(session, ticket, channel, now)
        await self._changed(ticket, "reopened" if reopened else "created")
        rule = policy.SLA_RULES[due.rule]
        handoff = Handoff(
            number=ticket.number,
            lang=lang,
            due=due.resolution_due or due.first_response_due,
            hours=int(rule.first_response.total_seconds() // 3600),
            live_position=position,
            complaint=due.resolution_due is not None,
            reopened=reopened,
        )
        return Opened(ticket=ticket, handoff=handoff)

    async def active_ticket(self, conversation_id: str) -> Ticket | None:
        """The ticket that owns the conversation now, if any."""
        async with self._sessions() as session:
            return await session.scalar(
                select(Ticket)
                .where(
                    Ticket.conversation_id == conversation_id, Ticket.status.in_(ACTIVE_STATUSES)
                )
                .order_by(Ticket.id.desc())
                .limit(1)
            )

    async def reopen_for_customer(self, conversation_id: str, message_id: int) -> Ticket | None:
        """The customer wrote again on a resolved ticket within the window: it reopens, back to
        the agent who had it (or to its queue), and the message joins it. None otherwise."""
        now = self._clock()
        async with self._sessions.begin() as session:
            ticket = await session.scalar(
                select(Ticket)
                .where(Ticket.conversation_id == conversation_id)
                .where(Ticket.status == TicketStatus.RESOLVED)
                .order_by(Ticket.id.desc())
                .limit(1)
                .with_for_update()
            )
            if ticket is None or ticket.resolved_at is None:
                return None
            if not sla.can_reopen(ticket.resolved_at, now):
                return None
            owned = ticket.assignee_id is not None
            ticket.status = TicketStatus.OPEN if owned else TicketStatus.NEW
            ticket.resolved_at = None
            ticket.tags = sorted({*ticket.tags, "reopened"})
            state = ConversationState.AGENT if owned else ConversationState.QUEUED
            await self._set_state(session, conversation_id, state)
            await session.execute(
                update(Message).where(Message.id == message_id).values(ticket_id=ticket.id)
            )
            self._audit(session, ticket, "customer", "reopened", {"message_id": message_id})
        await self._changed(ticket, "reopened")
        return ticket

    async def customer_wrote(self, ticket_id: int, message_id: int) -> None:
        """A customer message while people own the conversation: the agent's turn again."""
        async with self._sessions.begin() as session:
            ticket = await session.get(Ticket, ticket_id, with_for_update=True)
            if ticket is None:
                return
            if ticket.status is TicketStatus.PENDING_CUSTOMER:
                ticket.status = TicketStatus.OPEN
            self._audit(session, ticket, "customer", "message", {"message_id": message_id})
        await self._said(ticket, "customer")

    async def customer_typing(self, conversation_id: str) -> None:
        """The customer is typing (channels that say so): the ticket's consoles show it."""
        ticket = await self.active_ticket(conversation_id)
        if ticket is not None:
            await self._publish({"type": "typing", "number": ticket.number})

    # --- reading ------------------------------------------------------------------------

    async def get(self, number: str) -> Ticket:
        """One ticket by its number."""
        async with self._sessions() as session:
            return await self._load(session, number)

    async def queue(self, queue: str) -> list[Ticket]:
        """The queue's open work: most pressing priority first, then the earliest due."""
        self._known_queue(queue)
        return await self.search(Filters(queues=(queue,)))

    async def search(self, filters: Filters) -> list[Ticket]:
        """Tickets matching `filters` (open work unless a status is given), most pressing first."""
        query = select(Ticket)
        if filters.status is None:
            query = query.where(Ticket.status.in_(ACTIVE_STATUSES))
        else:
            query = query.where(Ticket.status == filters.status)
        if filters.queues is not None:
            query = query.where(Ticket.queue.in_(filters.queues))
        for column, wanted in (
            (Ticket.tier, filters.tier),
            (Ticket.priority, filters.priority),
            (Ticket.channel, filters.channel),
            (Ticket.lang, filters.lang),
            (Ticket.assignee_id, filters.assignee),
        ):
            if wanted is not None:
                query = query.where(column == wanted)
        rank = policy.PRIORITY_RANK
        urgency = case(rank, value=Ticket.priority, else_=len(rank))
        query = query.order_by(urgency, Ticket.due_at, Ticket.id).limit(SEARCH_LIMIT)
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def customer(self, ticket: Ticket) -> Customer | None:
        """The ticket's customer account, when the conversation is tied to one."""
        if ticket.customer_id is None:
            return None
        async with self._sessions() as session:
            return await session.get(Customer, ticket.customer_id)

    async def customer_tickets(self, ticket: Ticket, limit: int = 10) -> list[Ticket]:
        """The customer's other tickets (same account, else same conversation), newest first."""
        same = (
            Ticket.customer_id == ticket.customer_id
            if ticket.customer_id is not None
            else Ticket.conversation_id == ticket.conversation_id
        )
        async with self._sessions() as session:
            return list(
                await session.scalars(
                    select(Ticket)
                    .where(same, Ticket.id != ticket.id)
                    .order_by(Ticket.id.desc())
                    .limit(limit)
                )
            )

    async def agent_loads(self) -> list[AgentLoad]:
        """Every agent who works a queue: online or not, and their open tickets."""
        now = self._clock()
        async with self._sessions() as session:
            agents = list(await session.scalars(select(Agent).order_by(Agent.id)))
            held = await session.execute(
                select(Ticket.assignee_id, func.count())
                .where(Ticket.status.in_(ACTIVE_STATUSES), Ticket.assignee_id.is_not(None))
                .group_by(Ticket.assignee_id)
            )
            counts = {str(assignee): int(count) for assignee, count in held}
        return [
            AgentLoad(agent, self._is_online(agent, now), counts.get(agent.id, 0))
            for agent in agents
            if agent.queues
        ]

    async def at_risk(self, within: timedelta) -> tuple[list[Ticket], list[Ticket]]:
        """Open work past its breach time, and work whose first response falls due `within`."""
        now = self._clock()
        tickets = await self.search(Filters())
        breached = [t for t in tickets if t.breached_at is not None or t.breach_at <= now]
        soon = [
            t
            for t in tickets
            if t not in breached and t.first_response_at is None and t.due_at <= now + within
        ]
        return breached, soon

    async def transcript(self, number: str) -> list[Message]:
        """Everything said on the ticket, bot conversation included, oldest first."""
        async with self._sessions() as session:
            ticket = await self._load(session, number)
            return list(
                await session.scalars(
                    select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
                )
            )

    async def history(self, number: str) -> list[TicketEvent]:
        """The audit log of the ticket, oldest first."""
        async with self._sessions() as session:
            ticket = await self._load(session, number)
            return list(
                await session.scalars(
                    select(TicketEvent)
                    .where(TicketEvent.ticket_id == ticket.id)
                    .order_by(TicketEvent.id)
                )
            )

    # --- agents' operations -------------------------------------------------------------

    async def set_presence(self, agent_id: str, available: bool) -> Agent:
        """An agent goes online (their console checks in) or away."""
        async with self._sessions.begin() as session:
            agent = await self._agent(session, agent_id)
            agent.available = available
            agent.last_seen_at = self._clock()
        return agent

    async def agents_online(self, queue: str) -> int:
        """How many agents working `queue` are available right now."""
        async with self._sessions() as session:
            return await self._online(session, queue, self._clock())

    async def claim(self, number: str, agent_id: str) -> Ticket:
        """Take a waiting ticket. Of two agents claiming at once, exactly one wins."""
        async with self._sessions.begin() as session:
            ticket = await self._load(session, number)
            agent = await self._agent(session, agent_id)
            self._active(ticket)
            if ticket.queue not in agent.queues or agent.tier < ticket.tier:
                raise Forbidden(
                    f"{agent_id} does not work {ticket.queue} at tier {ticket.tier}",
                    code="not_in_queue",
                )
            # One conditional UPDATE: the database decides the race, not a read-then-write.
            won = await session.execute(
                update(Ticket)
                .where(Ticket.id == ticket.id, Ticket.assignee_id.is_(None))
                .where(Ticket.status == TicketStatus.NEW)
                .values(assignee_id=agent_id, status=TicketStatus.OPEN, updated_at=self._clock())
                .execution_options(synchronize_session=False)
            )
            if cast("CursorResult[Any]", won).rowcount != 1:
                raise Conflict(f"{number} is already taken", code="already_claimed")
            await session.refresh(ticket)
            await self._set_state(session, ticket.conversation_id, ConversationState.AGENT)
            self._audit(session, ticket, agent_id, "claimed", {})
        await self._changed(ticket, "claimed")
        await self._announce(ticket, acks.joined(agent.name, ticket.lang))
        return ticket

    async def assign(self, number: str, by: str, agent_id: str) -> Ticket:
        """A supervisor gives open work to an agent who works its queue and tier."""
        async with self._sessions.begin() as session:
            ticket = await self._load(session, number)
            agent = await self._agent(session, agent_id)
            self._active(ticket)
            if ticket.queue not in agent.queues or agent.tier < ticket.tier:
                raise Forbidden(
                    f"{agent_id} does not work {ticket.queue} at tier {ticket.tier}",
                    code="not_in_queue",
                )
            if ticket.assignee_id == agent_id:
                raise Conflict(f"{number} is already {agent_id}'s", code="same_assignee")
            data = {"from": ticket.assignee_id, "to": agent_id}
            ticket.assignee_id = agent_id
            if ticket.status is TicketStatus.NEW:
                ticket.status = TicketStatus.OPEN
            await self._set_state(session, ticket.conversation_id, ConversationState.AGENT)
            self._audit(session, ticket, by, "assigned", data)
        await self._changed(ticket, "assigned")
        if data["from"] is None:
            await self._announce(ticket, acks.joined(agent.name, ticket.lang))
        return ticket

    async def _announce(self, ticket: Ticket, text: str) -> None:
        """Tell a live conversation who took it (mail customers get the agent's reply)."""
        if ticket.channel not in LIVE_CHANNELS:
            return
        async with self._sessions.begin() as session:
            session.add(
                Message(
                    conversation_id=ticket.conversation_id,
                    direction=Direction.OUTBOUND,
                    sender="system",
                    text=text,
                    payload={},
                    meta={},
                    lang=ticket.lang,
                    status=MessageStatus.SENT,
                    ticket_id=ticket.id,
                )
            )
        try:
            await self._deliver(
                ticket.channel,
                OutboundMessage(conversation_id=ticket.conversation_id, text=text, sender="system"),
            )
        except Exception:  # a courtesy: the claim stands even if the channel is down
            log.warning("could not announce %s on %s", ticket.number, ticket.channel)

    async def reply(self, number: str, agent_id: str, text: str) -> Message:
        """The owner's reply: stored on the transcript, then sent on the customer's channel."""
        text = text.strip()
        if not text:
            raise InvalidField("reply text is empty", code="empty_text", field="text")
        now = self._clock()
        async with self._sessions.begin() as session:
            ticket = await self._owned(session, number, agent_id)
            message = Message(
                conversation_id=ticket.conversation_id,
                direction=Direction.OUTBOUND,
                sender="agent",
                text=text,
                payload={},
                meta={"agent": agent_id},
                lang=ticket.lang,
                status=MessageStatus.RECEIVED,  # SENT once the channel took it
                ticket_id=ticket.id,
                created_at=now,
            )
            session.add(message)
            if ticket.first_response_at is None:
                ticket.first_response_at = now
            ticket.status = TicketStatus.PENDING_CUSTOMER
            await session.flush()
            self._audit(session, ticket, agent_id, "replied", {"message_id": message.id})
        await self._said(ticket, "agent")
        try:
            await self._deliver(
                ticket.channel,
                OutboundMessage(conversation_id=ticket.conversation_id, text=text, sender="agent"),
            )
        except Exception as exc:  # kept on the transcript as FAILED for a resend
            reason = f"{type(exc).__name__}: {exc}"
            await self._mark(message, MessageStatus.FAILED, reason)
            raise DeliveryFailed(
                f"{ticket.channel} did not take the reply; it is saved on {number}",
                channel=ticket.channel,
            ) from exc
        await self._mark(message, MessageStatus.SENT, None)
        return message

    async def note(self, number: str, agent_id: str, text: str) -> TicketEvent:
        """An internal note: for agents only, never sent to the customer."""
        text = text.strip()
        if not text:
            raise InvalidField("note text is empty", code="empty_text", field="text")
        async with self._sessions.begin() as session:
            ticket = await self._load(session, number)
            await self._agent(session, agent_id)
            self._active(ticket)
            event = self._audit(session, ticket, agent_id, "note", {"text": text})
        await self._said(ticket, "note")
        return event

    async def transfer(self, number: str, agent_id: str, queue: str, reason: str = "") -> Ticket:
        """Move the ticket to another queue, where it waits for someone there."""
        self._known_queue(queue)
        async with self._sessions.begin() as session:
            ticket = await self._movable(session, number, agent_id)
            if ticket.queue == queue:
                raise Conflict(f"{number} is already in {queue}", code="same_queue")
            data = {"from": ticket.queue, "to": queue, "reason": reason}
            ticket.queue = queue
            await self._requeue(session, ticket)
            self._audit(session, ticket, agent_id, "transferred", data)
        await self._changed(ticket, "transferred")
        return ticket

    async def escalate(self, number: str, agent_id: str, reason: str) -> Ticket:
        """Send the ticket up one tier, with the reason the next tier needs."""
        if not reason.strip():
            raise InvalidField(
                "an escalation needs a reason", code="missing_reason", field="reason"
            )
        async with self._sessions.begin() as session:
            ticket = await self._movable(session, number, agent_id)
            if ticket.tier >= policy.MAX_TIER:
                raise Conflict(f"{number} is already at the top tier", code="top_tier")
            data = {"from": ticket.tier, "to": ticket.tier + 1, "reason": reason.strip()}
            ticket.tier += 1
            await self._requeue(session, ticket)
            self._audit(session, ticket, agent_id, "escalated", data)
        await self._changed(ticket, "escalated")
        return ticket

    async def resolve(self, number: str, agent_id: str) -> Ticket:
        """Done: the conversation goes back to the bot."""
        async with self._sessions.begin() as session:
            ticket = await self._owned(session, number, agent_id)
            ticket.status = TicketStatus.RESOLVED
            ticket.resolved_at = self._clock()
            await self._set_state(session, ticket.conversation_id, ConversationState.BOT)
            self._audit(session, ticket, agent_id, "resolved", {})
        await self._changed(ticket, "resolved")
        return ticket

    async def reopen(self, number: str, agent_id: str) -> Ticket:
        """Take a resolved ticket up again (the customer wrote back within the window)."""
        now = self._clock()
        async with self._sessions.begin() as session:
            ticket = await self._load(session, number)
            agent = await self._agent(session, agent_id)
            resolved = ticket.resolved_at
            if ticket.status is not TicketStatus.RESOLVED or resolved is None:
                raise Conflict(f"{number} is {ticket.status.value}", code="not_resolved")
            if not sla.can_reopen(resolved, now):
                raise Conflict(f"{number} is past its reopen window", code="reopen_window")
            if ticket.queue not in agent.queues or agent.tier < ticket.tier:
                raise Forbidden(f"{agent_id} does not work {ticket.queue}", code="not_in_queue")
            ticket.status, ticket.assignee_id, ticket.resolved_at = (
                TicketStatus.OPEN,
                agent_id,
                None,
            )
            await self._set_state(session, ticket.conversation_id, ConversationState.AGENT)
            self._audit(session, ticket, agent_id, "reopened", {})
        await self._changed(ticket, "reopened")
        return ticket

    # --- helpers --------------------------------------------------------------------------

    async def _changed(self, ticket: Ticket, kind: str) -> None:
        await self._publish(
            {
                "type": "ticket",
                "kind": kind,
                "number": ticket.number,
                "queue": ticket.queue,
                "tier": ticket.tier,
                "priority": ticket.priority,
                "status": ticket.status.value,
                "assignee": ticket.assignee_id,
            }
        )

    async def _said(self, ticket: Ticket, kind: str) -> None:
        await self._publish({"type": "message", "kind": kind, "number": ticket.number})

    def _audit(
        self,
        session: AsyncSession,
        ticket: Ticket,
        actor: str,
        action: str,
        data: Mapping[str, Any],
    ) -> TicketEvent:
        event = TicketEvent(
            ticket_id=ticket.id, actor=actor, action=action, data=dict(data), at=self._clock()
        )
        session.add(event)
        return event

    @staticmethod
    def _known_queue(queue: str) -> None:
        if queue not in policy.QUEUES:
            known = ", ".join(policy.QUEUES)
            raise InvalidField(
                f"unknown queue {queue!r} (known: {known})", code="unknown_queue", field="queue"
            )

    @staticmethod
    def _active(ticket: Ticket) -> None:
        if ticket.status not in ACTIVE_STATUSES:
            raise Conflict(
                f"{ticket.number} is {ticket.status.value}", code=f"ticket_{ticket.status.value}"
            )

    async def _load(self, session: AsyncSession, number: str) -> Ticket:
        ticket = await session.get(Ticket, ticket_id_of(number))
        if ticket is None:
            raise NotFound(f"no ticket {number!r}", code="ticket_not_found")
        return ticket

    async def _agent(self, session: AsyncSession, agent_id: str) -> Agent:
        agent = await session.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"no agent {agent_id!r}", code="agent_not_found")
        return agent

    async def _owned(self, session: AsyncSession, number: str, agent_id: str) -> Ticket:
        ticket = await self._load(session, number)
        await self._agent(session, agent_id)
        self._active(ticket)
        if ticket.assignee_id != agent_id:
            owner = ticket.assignee_id or "nobody (claim it first)"
            raise Forbidden(f"{number} belongs to {owner}", code="not_assignee")
        return ticket

    async def _movable(self, session: AsyncSession, number: str, agent_id: str) -> Ticket:
        """Its owner may move a ticket; so may anyone while it is still unclaimed."""
        ticket = await self._load(session, number)
        await self._agent(session, agent_id)
        self._active(ticket)
        if ticket.assignee_id not in (None, agent_id):
            raise Forbidden(f"{number} belongs to {ticket.assignee_id}", code="not_assignee")
        return ticket

    async def _requeue(self, session: AsyncSession, ticket: Ticket) -> None:
        ticket.assignee_id, ticket.status = None, TicketStatus.NEW
        await self._set_state(session, ticket.conversation_id, ConversationState.QUEUED)

    @staticmethod
    async def _set_state(
        session: AsyncSession, conversation_id: str, state: ConversationState
    ) -> None:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(state=state, updated_at=utcnow())
        )

    async def _reopenable(
        self, session: AsyncSession, conversation_id: str, topic: str, now: datetime
    ) -> Ticket | None:
        last = await session.scalar(
            select(Ticket)
            .where(Ticket.conversation_id == conversation_id, Ticket.topic == topic)
            .where(Ticket.status == TicketStatus.RESOLVED)
            .order_by(Ticket.id.desc())
            .limit(1)
        )
        if last is not None and last.resolved_at and sla.can_reopen(last.resolved_at, now):
            return last
        return None

    async def _online(self, session: AsyncSession, queue: str, now: datetime) -> int:
        agents = await session.scalars(
            select(Agent).where(Agent.available.is_(True), Agent.last_seen_at >= now - PRESENCE_TTL)
        )
        return sum(1 for agent in agents if queue in agent.queues)

    @staticmethod
    def _is_online(agent: Agent, now: datetime) -> bool:
        seen = agent.last_seen_at
        return agent.available and seen is not None and seen >= now - PRESENCE_TTL

    async def _live_position(
        self, session: AsyncSession, ticket: Ticket, channel: str, now: datetime
    ) -> int | None:
        """Place in the live queue, when live chat is open for this channel and queue."""
        if channel not in LIVE_CHANNELS:
            return None
        if not sla.live_chat_open(now, await self._online(session, ticket.queue, now)):
            return None
        waiting = await session.execute(
            select(Ticket.id, Ticket.plan, Ticket.created_at).where(
                Ticket.queue == ticket.queue, Ticket.status == TicketStatus.NEW
            )
        )
        # The row id breaks ties between customers who arrived in the same instant.
        mine = (sla.live_queue_key(ticket.plan, ticket.created_at), ticket.id)
        ahead = sum(
            1
            for other_id, plan, created in waiting
            if (sla.live_queue_key(plan, created), other_id) < mine
        )
        return ahead + 1

    async def _mark(self, message: Message, status: MessageStatus, error: str | None) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(Message).where(Message.id == message.id).values(status=status, error=error)
            )
        message.status, message.error = status, error

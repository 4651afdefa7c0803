"""What every part of the ticket service shares: ticket numbers, the audit log, the live feed,
loading a ticket and checking what may be done with it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import (
    ACTIVE_STATUSES,
    Agent,
    Conversation,
    ConversationState,
    Message,
    MessageStatus,
    Ticket,
    TicketEvent,
    TicketStatus,
    utcnow,
)
from bot.errors import Conflict, Forbidden, InvalidField, NotFound
from bot.triage import policy
from channels.base import OutboundMessage

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


def ticket_number(ticket_id: int) -> str:
    """`IMG-004217`: what customers and agents quote."""
    return f"{NUMBER_PREFIX}{ticket_id:06d}"


def ticket_id_of(number: str) -> int:
    """The row id behind a ticket number; unknown shapes are a 404, not a crash."""
    digits = number.upper().removeprefix(NUMBER_PREFIX)
    if not digits.isdigit():
        raise NotFound(f"no ticket {number!r}", code="ticket_not_found")
    return int(digits)


class TicketBase:
    """The service's state and the helpers its parts share; every operation is one
    transaction and is audited."""

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
        if agent.disabled_at is not None:  # an admin turned them off: no new work
            raise Conflict(f"{agent_id} is disabled", code="agent_disabled")
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

    async def _online(self, session: AsyncSession, queue: str, now: datetime) -> int:
        agents = await session.scalars(
            select(Agent).where(Agent.available.is_(True), Agent.last_seen_at >= now - PRESENCE_TTL)
        )
        return sum(1 for agent in agents if queue in agent.queues)

    @staticmethod
    def _is_online(agent: Agent, now: datetime) -> bool:
        seen = agent.last_seen_at
        return agent.available and seen is not None and seen >= now - PRESENCE_TTL

    async def _mark(self, message: Message, status: MessageStatus, error: str | None) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(Message).where(Message.id == message.id).values(status=status, error=error)
            )
        message.status, message.error = status, error

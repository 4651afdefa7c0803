"""What agents and supervisors read: queues with filters, one ticket with its transcript and
audit log, the customer card, agents' loads and the tickets at risk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, func, select

from bot.db.models import (
    ACTIVE_STATUSES,
    Agent,
    Customer,
    Message,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from bot.tickets.base import TicketBase
from bot.triage import policy

SEARCH_LIMIT = 500  # tickets in one queue view: beyond that, narrow the filters


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


class Views(TicketBase):
    """Reading tickets; nothing here changes one."""

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
            if agent.queues and agent.disabled_at is None
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

    async def agents_online(self, queue: str) -> int:
        """How many agents working `queue` are available right now."""
        async with self._sessions() as session:
            return await self._online(session, queue, self._clock())

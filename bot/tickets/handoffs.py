"""The bot's side of tickets: a handoff opens (or reopens) one and queues the conversation;
the customer's later messages and typing join it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    ACTIVE_STATUSES,
    ConversationState,
    Direction,
    Message,
    Ticket,
    TicketStatus,
)
from bot.security.redact import redact_data
from bot.tickets.acks import Handoff
from bot.tickets.base import LIVE_CHANNELS, TicketBase, ticket_number
from bot.tickets.upset import log_raises, mark_upset
from bot.triage import policy, sla, tone
from bot.triage.raises import RAISES_KEY

# Tag of a ticket whose customer identity rests on their own word (a claim, a From address).
IDENTITY_UNVERIFIED = "identity_unverified"


def unverified_identity(source: str) -> dict[str, Any]:
    """Routing fields for a customer named by something unproven: `source` says what."""
    return {"identity_verified": False, "identity_source": source}


def with_claims(
    routing: Mapping[str, Any], claimed: Mapping[str, Any], *, proven: bool
) -> dict[str, Any]:
    """The routing decision with what the customer claimed (unsigned account id, email, plan),
    for agents to see; unverified unless a signed identity or the verification flow proved who
    they are. Claims never set the plan or the customer card."""
    out = {**routing, "claimed": dict(claimed)}
    if not proven and routing.get("verified") is not True:
        out.update(unverified_identity("claimed"))
    return out


def _written(messages: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterator[str]:
    """What the customer typed in messages: their text, and an email's subject line."""
    for text, meta in messages:
        yield text
        if isinstance(meta.get("subject"), str):
            yield meta["subject"]


@dataclass(frozen=True, slots=True)
class Opened:
    """A ticket opened (or reopened) by a handoff, and what to tell the customer."""

    ticket: Ticket
    handoff: Handoff


class Handoffs(TicketBase):
    """Tickets as the conversation router and the channels see them."""

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
        # The decision carries the customer's words (summary, collected details): redacted,
        # on the ticket and in its audit line alike.
        routing = redact_data(dict(routing))
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
            # A reopening hand-off is triaged afresh: its tone too.
            ticket.tags = sorted(
                ({*ticket.tags} - {policy.UPSET_TAG})
                | ({"unverified"} if routing.get("verified") is False else set())
                | ({IDENTITY_UNVERIFIED} if routing.get("identity_verified") is False else set())
                | ({"reopened"} if reopened else set())
            )
            ticket.summary = str(routing.get("summary") or "")
            ticket.routing = dict(routing)
            ticket.status, ticket.assignee_id = TicketStatus.NEW, None
            ticket.due_at, ticket.breach_at = due.first_response_due, due.breach_at
            ticket.resolution_due_at = due.resolution_due
            ticket.first_response_at = ticket.resolved_at = ticket.breached_at = None
            await session.flush()
            ticket.number = ticket_number(ticket.id)
            log_raises(session, ticket, routing.get(RAISES_KEY) or [], now)
            # Everything the customer wrote before the hand-off, not only the message the bot
            # routed, carries their tone; the NLU may hear a complaint behind another topic.
            said = await session.execute(
                select(Message.text, Message.meta).where(
                    Message.conversation_id == conversation_id,
                    Message.ticket_id.is_(None),
                    Message.direction == Direction.INBOUND,
                )
            )
            words = tone.words_of(_written(said))
            if routing.get("nlu_upset"):
                words.append(tone.NLU_CUE)
            mark_upset(session, ticket, words, now, clock_from=now)
            await session.execute(
                update(Message)
                .where(Message.conversation_id == conversation_id, Message.ticket_id.is_(None))
                .values(ticket_id=ticket.id)
            )
            await self._set_state(session, conversation_id, ConversationState.QUEUED)
            self._audit(session, ticket, "bot", "reopened" if reopened else "created", routing)
            position = await self._live_position(session, ticket, channel, now)
        await self._changed(ticket, "reopened" if reopened else "created")
        rule = policy.SLA_RULES[ticket.sla_rule]  # the customer's tone may have raised it
        handoff = Handoff(
            number=ticket.number,
            lang=lang,
            due=ticket.resolution_due_at or ticket.due_at,
            hours=int(rule.first_response.total_seconds() // 3600),
            live_position=position,
            complaint=ticket.resolution_due_at is not None,
            reopened=reopened,
            queue=ticket.queue,
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
            await self._tone(session, ticket, message_id)
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
            upset = await self._tone(session, ticket, message_id)
        await self._said(ticket, "customer")
        if upset:
            await self._changed(ticket, "upset")

    async def customer_typing(self, conversation_id: str) -> None:
        """The customer is typing (channels that say so): the ticket's consoles show it."""
        ticket = await self.active_ticket(conversation_id)
        if ticket is not None:
            await self._publish({"type": "typing", "number": ticket.number})

    async def _tone(self, session: AsyncSession, ticket: Ticket, message_id: int) -> bool:
        """A later message of the customer may show they are upset: raise and flag it then."""
        said = await session.execute(
            select(Message.text, Message.meta).where(Message.id == message_id)
        )
        words = tone.words_of(_written(said))
        # The SLA clock of the raised priority starts where the ticket's own clock started.
        started = ticket.due_at - policy.SLA_RULES[ticket.sla_rule].first_response
        return mark_upset(session, ticket, words, self._clock(), clock_from=started)

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

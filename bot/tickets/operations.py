"""What agents do with tickets: claim, assign, reply, note, transfer, escalate, resolve,
reopen, and go online or away. The conversation's state follows the ticket."""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import update
from sqlalchemy.engine import CursorResult

from bot.db.models import (
    Agent,
    ConversationState,
    Direction,
    Message,
    MessageStatus,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from bot.errors import Conflict, DeliveryFailed, Forbidden, InvalidField
from bot.security.redact import redact
from bot.tickets import acks
from bot.tickets.base import LIVE_CHANNELS, TicketBase
from bot.triage import policy, sla
from channels.base import OutboundMessage

log = logging.getLogger(__name__)


class Operations(TicketBase):
    """Agents' operations, each one transaction with its audit line."""

    async def set_presence(self, agent_id: str, available: bool) -> Agent:
        """An agent goes online (their console checks in) or away."""
        async with self._sessions.begin() as session:
            agent = await self._agent(session, agent_id)
            agent.available = available
            agent.last_seen_at = self._clock()
        return agent

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
        await self._announce(ticket, acks.joined(agent.name, ticket.lang, ticket.queue))
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
            await self._announce(ticket, acks.joined(agent.name, ticket.lang, ticket.queue))
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
        """An internal note: for agents only, never sent to the customer; kept redacted, like
        the transcript it comments on (an agent may paste what the customer wrote)."""
        text = redact(text.strip())
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

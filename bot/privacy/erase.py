"""A customer's erasure (GDPR art. 17), in the caller's one transaction.

Their conversations stay as anonymous shells, so the desk's counts and the tickets' logs
still add up: every message text becomes a neutral marker and loses its metadata, each
conversation moves to a new random id (a platform id such as `telegram:<user id>` names the
person) and is unlinked from them; their tickets lose summary, routing details and the words
of their log, and open ones are closed (nobody can answer them any more). Their identities,
verification attempts, queued mail and the customer row go. The files they sent are listed
for the caller to delete once the transaction has committed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import String, cast, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    ACTIVE_STATUSES,
    Alert,
    Conversation,
    ConversationState,
    Customer,
    CustomerIdentity,
    Message,
    OutboxItem,
    PrivacyRequest,
    PrivacyStatus,
    Ticket,
    TicketEvent,
    TicketStatus,
    Verification,
)
from bot.privacy.scope import attachment_files, conversation_ids, tickets_of

ERASED = "[erased]"
# What a ticket keeps of its routing and of its log: the policy's words, never the customer's.
ROUTING_KEPT = ("topic", "action", "queue", "tier", "priority", "confidence", "verified")
EVENT_KEPT = ("from", "to", "message_id")


@dataclass(frozen=True, slots=True)
class Erased:
    """What went (counts for the audit line) and the files to delete after the commit."""

    counts: dict[str, int]
    files: list[Path]
    conversations: list[str]  # their ids before re-keying: what Rasa's tracker store knows


def _kept(data: dict[str, object], keys: tuple[str, ...]) -> dict[str, object]:
    return {key: data[key] for key in keys if key in data}


async def _files(session: AsyncSession, messages: list[Message], var_dir: Path) -> list[Path]:
    """Their files. Screenshots are content-addressed: one that another conversation also
    shows is kept."""
    mine = {message.id for message in messages}
    uploads = var_dir / "uploads"
    files: set[Path] = set()
    for message in messages:
        for name, path in attachment_files(message, var_dir):
            if path.parent != uploads:
                files.add(path)
                continue
            shared = await session.scalar(
                select(Message.id)
                .where(Message.id.not_in(mine))
                .where(cast(Message.meta, String).like(f"%{name}%"))
                .limit(1)
            )
            if shared is None:
                files.add(path)
    return sorted(files)


async def _rekey(
    session: AsyncSession, conversation: Conversation, keep_id: bool, now: datetime
) -> None:
    """Move the conversation's messages and tickets to a new anonymous conversation; with
    `keep_id` an empty conversation under the old id stays (the chat the customer is in)."""
    shell = Conversation(
        id=f"erased-{secrets.token_hex(12)}",
        channel=conversation.channel,
        state=ConversationState.BOT,
        lang=conversation.lang,
        customer_id=None,
        created_at=conversation.created_at,
        updated_at=now,
    )
    session.add(shell)
    await session.flush()
    old = conversation.id
    await session.execute(
        update(Message).where(Message.conversation_id == old).values(conversation_id=shell.id)
    )
    await session.execute(
        update(Ticket).where(Ticket.conversation_id == old).values(conversation_id=shell.id)
    )
    if keep_id:
        conversation.customer_id = None
        conversation.state = ConversationState.BOT
        conversation.updated_at = now
    else:
        await session.execute(delete(Conversation).where(Conversation.id == old))


async def erase(
    session: AsyncSession,
    customer_id: int,
    var_dir: Path,
    now: datetime,
    keep_conversation: str | None = None,
) -> Erased:
    """Erase one customer; `keep_conversation` is the chat they asked in, which goes on
    (empty, unlinked) so the bot can confirm."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise LookupError(f"no customer {customer_id}")
    ids = await conversation_ids(session, customer_id)
    messages = list(await session.scalars(select(Message).where(Message.conversation_id.in_(ids))))
    files = await _files(session, messages, var_dir)
    message_ids = [message.id for message in messages]
    addresses = {i.external_id for i in customer.identities} | (
        {customer.email} if customer.email else set()
    )
    queued = await session.scalars(
        delete(OutboxItem)
        .where(or_(OutboxItem.message_id.in_(message_ids), OutboxItem.recipient.in_(addresses)))
        .returning(OutboxItem.id)
    )
    outbox = len(queued.all())
    await session.execute(
        update(Message)
        .where(Message.id.in_(message_ids))
        .values(text=ERASED, payload={}, meta={}, external_id=None, error=None)
    )
    tickets = await tickets_of(session, customer_id, ids)
    for ticket in tickets:
        ticket.summary = ERASED
        ticket.routing = _kept(ticket.routing, ROUTING_KEPT)
        ticket.customer_id = None
        if ticket.status in ACTIVE_STATUSES:
            ticket.status, ticket.closed_at = TicketStatus.CLOSED, now
            session.add(TicketEvent(ticket_id=ticket.id, actor="system", action="erased", at=now))
    ticket_ids = [ticket.id for ticket in tickets]
    for event in await session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id.in_(ticket_ids))
    ):
        event.data = _kept(event.data, EVENT_KEPT)
    for alert in await session.scalars(select(Alert).where(Alert.ticket_id.in_(ticket_ids))):
        alert.message = f"{alert.kind} ({ERASED})"
    attempts = await session.scalars(
        delete(Verification)
        .where(or_(Verification.customer_id == customer_id, Verification.conversation_id.in_(ids)))
        .returning(Verification.id)
    )
    verifications = len(attempts.all())
    for conversation in await session.scalars(select(Conversation).where(Conversation.id.in_(ids))):
        await _rekey(session, conversation, conversation.id == keep_conversation, now)
    for request in await session.scalars(
        select(PrivacyRequest).where(PrivacyRequest.customer_id == customer_id)
    ):
        if request.archive_path is not None:
            files.append(var_dir / request.archive_path)
        if request.status is PrivacyStatus.READY:
            request.status = PrivacyStatus.EXPIRED
        request.archive_path, request.customer_id = None, None
    identities = len(customer.identities)
    await session.execute(
        delete(CustomerIdentity).where(CustomerIdentity.customer_id == customer_id)
    )
    await session.execute(delete(Customer).where(Customer.id == customer_id))
    counts = {
        "conversations": len(ids),
        "messages": len(message_ids),
        "tickets": len(tickets),
        "verifications": verifications,
        "identities": identities,
        "outbox": outbox,
        "files": len(files),
    }
    return Erased(counts, files, list(ids))

"""What of the store belongs to one customer: the conversations, tickets and files that an
export hands over and an erasure removes."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Conversation, Message, Ticket, Verification

UPLOADS_PREFIX = "/api/v1/uploads/"


async def conversation_ids(session: AsyncSession, customer_id: int) -> list[str]:
    """Conversations linked to the customer, those of their tickets, and those in which they
    proved they own the account. A conversation where someone only typed their email (an
    unverified attempt) is not theirs."""
    linked = select(Conversation.id).where(Conversation.customer_id == customer_id)
    ticketed = select(Ticket.conversation_id).where(Ticket.customer_id == customer_id)
    verified = select(Verification.conversation_id).where(
        Verification.customer_id == customer_id, Verification.verified_at.is_not(None)
    )
    found = set(await session.scalars(linked))
    found |= set(await session.scalars(ticketed))
    found |= set(await session.scalars(verified))
    # A verification may name a conversation that holds no message (yet): nothing to carry.
    existing = await session.scalars(select(Conversation.id).where(Conversation.id.in_(found)))
    return sorted(existing)


async def tickets_of(
    session: AsyncSession, customer_id: int, conversations: Iterable[str]
) -> list[Ticket]:
    """Tickets of the customer, and every ticket of their conversations."""
    query = (
        select(Ticket)
        .where(
            or_(Ticket.customer_id == customer_id, Ticket.conversation_id.in_(list(conversations)))
        )
        .order_by(Ticket.id)
    )
    return list(await session.scalars(query))


def attachment_files(message: Message, var_dir: Path) -> list[tuple[str, Path]]:
    """(name, path) of each file the message carries that is stored under `var_dir`: a
    screenshot uploaded in the chat, attachments of an email."""
    files: list[tuple[str, Path]] = []
    image = message.meta.get("image")
    if isinstance(image, str) and image.startswith(UPLOADS_PREFIX):
        name = image.removeprefix(UPLOADS_PREFIX)
        files.append((name, var_dir / "uploads" / name))
    for attachment in message.meta.get("attachments") or ():
        if isinstance(attachment, dict) and isinstance(attachment.get("path"), str):
            path = Path(attachment["path"])
            files.append((str(attachment.get("filename") or path.name), path))
    root = var_dir.resolve()
    # Only files of the store itself: a path in the metadata never reads anything else.
    return [(name, path) for name, path in files if path.resolve().is_relative_to(root)]

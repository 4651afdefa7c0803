"""Reads and writes of conversations and messages; each call is its own short transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import insert_ignoring_duplicates
from bot.db.models import (
    ACTIVE_STATUSES,
    Conversation,
    ConversationState,
    Direction,
    Message,
    MessageStatus,
    Ticket,
    utcnow,
)
from channels.base import InboundMessage, OutboundMessage


class ConversationStore:
    """Durable record of every conversation: inbound stored before processing, replies after."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record_inbound(
        self,
        message: InboundMessage,
        lang: str,
        customer_id: int | None = None,
        external_id: str | None = None,
    ) -> Message:
        """Store a customer's message, creating its conversation if new.

        While people own the conversation the message joins their ticket (`ticket_id` set):
        the state is read in the same transaction as the write, so no message slips past it.
        """
        async with self._sessions.begin() as session:
            # Several first messages of a new conversation can arrive at once (a fast typist,
            # two tabs): creating it must not fail for all but one of them.
            await insert_ignoring_duplicates(
                session,
                Conversation,
                {
                    "id": message.conversation_id,
                    "channel": message.channel,
                    "state": ConversationState.BOT,
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                },
            )
            conversation = await session.get(
                Conversation, message.conversation_id, with_for_update=True
            )
            assert conversation is not None
            conversation.lang = lang
            conversation.updated_at = utcnow()
            if customer_id is not None:
                conversation.customer_id = customer_id
            ticket_id = None
            if conversation.state is not ConversationState.BOT:
                ticket_id = await session.scalar(
                    select(Ticket.id)
                    .where(Ticket.conversation_id == message.conversation_id)
                    .where(Ticket.status.in_(ACTIVE_STATUSES))
                    .order_by(Ticket.id.desc())
                    .limit(1)
                )
            stored = Message(
                conversation_id=message.conversation_id,
                direction=Direction.INBOUND,
                sender="customer",
                text=message.text,
                payload={},
                meta=message.metadata,
                lang=lang,
                status=MessageStatus.RECEIVED,
                ticket_id=ticket_id,
                external_id=external_id,
            )
            session.add(stored)
        return stored

    async def conversation_lang(self, conversation_id: str) -> str | None:
        """The language the conversation was last held in, if it exists."""
        async with self._sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
            return conversation.lang if conversation else None

    async def mark(self, message_id: int, status: MessageStatus, error: str | None = None) -> None:
        """Record how processing of a stored message ended."""
        async with self._sessions.begin() as session:
            stored = await session.get(Message, message_id)
            if stored is not None:
                stored.status = status
                stored.error = error

    async def record_replies(
        self,
        replies: Sequence[OutboundMessage],
        lang: str,
        sender: str = "bot",
        ticket_id: int | None = None,
    ) -> list[Message]:
        """Store what we answered, in order."""
        rows = [
            Message(
                conversation_id=reply.conversation_id,
                direction=Direction.OUTBOUND,
                sender=sender,
                text=reply.text,
                payload=reply.payload(),
                meta={},
                lang=lang,
                status=MessageStatus.SENT,
                ticket_id=ticket_id,
            )
            for reply in replies
        ]
        async with self._sessions.begin() as session:
            session.add_all(rows)
        return rows

    async def history(self, conversation_id: str, limit: int = 200) -> list[Message]:
        """The conversation's messages, oldest first (at most the last `limit`)."""
        async with self._sessions() as session:
            result = await session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id.desc())
                .limit(limit)
            )
            return list(reversed(result.all()))

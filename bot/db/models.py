"""Tables of the conversation store. Schema changes go through Alembic (bot/db/migrations)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Dialect, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the store uses."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps on every backend (SQLite stores them without the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: the store only takes timezone-aware times")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base of every table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: UTCDateTime}


class ConversationState(enum.StrEnum):
    """Who answers the conversation: the bot, nobody yet (waiting for a human), or an agent."""

    BOT = "bot"
    QUEUED = "queued"
    AGENT = "agent"


class Direction(enum.StrEnum):
    """Inbound from the customer, or outbound to them."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class MessageStatus(enum.StrEnum):
    """Processing state of a stored message."""

    RECEIVED = "received"  # stored, not yet processed
    PROCESSED = "processed"
    FAILED = "failed"  # processing failed; the message is kept for a retry or an agent
    SENT = "sent"


class Conversation(Base):
    """One conversation with one customer on one channel; its id is the channel's session id."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    state: Mapped[ConversationState] = mapped_column(
        Enum(ConversationState, native_enum=False, length=16), default=ConversationState.BOT
    )
    lang: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id", lazy="raise"
    )


class Message(Base):
    """One message, customer's or ours, with what the channel and the assistant attached."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_id_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(Enum(Direction, native_enum=False, length=16))
    sender: Mapped[str] = mapped_column(String(16))  # customer, bot, agent, system
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # buttons, image, custom
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    lang: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[MessageStatus] = mapped_column(Enum(MessageStatus, native_enum=False, length=16))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages", lazy="raise")

"""Tables of the conversation store. Schema changes go through Alembic (bot/db/migrations)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
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
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
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
    # The platform's own id of the message (an email's Message-ID): threads and de-duplicates.
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # Set while a ticket owns the conversation: the message belongs to that ticket's transcript.
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages", lazy="raise")


class Customer(Base):
    """A customer account; the plan decides SLAs when the channel does not say it."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    plan: Mapped[str] = mapped_column(String(32), default="free")
    lang: Mapped[str | None] = mapped_column(String(8))
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # base32, when 2FA is on
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    identities: Mapped[list[CustomerIdentity]] = relationship(
        back_populates="customer", lazy="selectin", cascade="all, delete-orphan"
    )


class CustomerIdentity(Base):
    """Who the customer is on one channel (a Telegram user id, an X account, an email...)."""

    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(254))

    customer: Mapped[Customer] = relationship(back_populates="identities", lazy="raise")


class Agent(Base):
    """A person of the support team: the queues they work and whether they are online."""

    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(254))
    queues: Mapped[list[str]] = mapped_column(JSON, default=list)
    tier: Mapped[int] = mapped_column(Integer, default=1)
    available: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[datetime | None] = mapped_column()
    # Console sign-in: what the person may do there, and their argon2 hash (None: no sign-in).
    role: Mapped[str] = mapped_column(String(24), default="agent")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by an admin: no sign-in, no API token, no new work (the row stays for the history).
    disabled_at: Mapped[datetime | None] = mapped_column()
    last_sign_in_at: Mapped[datetime | None] = mapped_column()
    # A password an admin set (shown to them once): the person chooses their own at sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)

    def __repr__(self) -> str:  # never the password hash, in a log or a traceback
        return f"Agent(id={self.id!r}, role={self.role!r})"


class ConsoleSession(Base):
    """A signed-in console: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(token), hex
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class ApiToken(Base):
    """A per-person API token of the agent API: it acts only as its agent, with their role.

    The table keeps the SHA-256 of the token (high-entropy random, so a fast hash is enough)
    and its first characters, so people can tell their tokens apart."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class TicketStatus(enum.StrEnum):
    """Where a ticket is in its life."""

    NEW = "new"  # waiting in its queue, nobody owns it
    OPEN = "open"  # an agent owns it
    PENDING_CUSTOMER = "pending_customer"  # the agent answered and waits for the customer
    RESOLVED = "resolved"  # done; reopens if the customer writes within the reopen window
    CLOSED = "closed"  # final


# Statuses in which people own the conversation and the bot keeps quiet.
ACTIVE_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER)


class Ticket(Base):
    """A conversation handed to people, triaged by the policy and timed by the SLA clock."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_queue_status", "queue", "status"),
        Index("ix_tickets_conversation_id", "conversation_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str | None] = mapped_column(String(16), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str] = mapped_column(String(32))
    tier: Mapped[int] = mapped_column(Integer)
    priority: Mapped[str] = mapped_column(String(16))
    status: Mapped[TicketStatus] = mapped_column(
        Enum(TicketStatus, native_enum=False, length=24), default=TicketStatus.NEW
    )
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    lang: Mapped[str] = mapped_column(String(8))
    plan: Mapped[str] = mapped_column(String(32))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    routing: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the bot's decision, whole
    sla_rule: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()  # first response due
    breach_at: Mapped[datetime] = mapped_column()
    resolution_due_at: Mapped[datetime | None] = mapped_column()
    breached_at: Mapped[datetime | None] = mapped_column()  # set once, by the SLA monitor
    resolution_breached_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TicketEvent(Base):
    """The audit log: who did what to a ticket, and when. Internal notes live here too."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(64))  # an agent id, or bot/customer/system
    action: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """An SLA breach, stored for the console and sent to the configured Slack channel/email."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)


class Verification(Base):
    """One proof-of-ownership attempt in a conversation (policy §8).

    An attempt for an email no account has is stored too, with no customer: it fails the same
    way as a wrong code, so the bot never reveals whether an account exists.
    """

    __tablename__ = "verifications"
    __table_args__ = (
        Index("ix_verifications_conversation_id_id", "conversation_id", "id"),
        Index("ix_verifications_subject_method_created_at", "subject", "method", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # Whose ownership is being proved, across conversations: "customer:<id>", or for an email
    # no account has "email:<keyed hash>" (never the address itself). Tries count per subject.
    subject: Mapped[str] = mapped_column(String(80))
    method: Mapped[str] = mapped_column(String(8))  # "email" (a mailed code) or "app" (TOTP)
    code_hash: Mapped[str | None] = mapped_column(String(128))  # None: authenticator code only
    tries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    verified_at: Mapped[datetime | None] = mapped_column()
    mailed_at: Mapped[datetime | None] = mapped_column()  # when its code was mailed, if it was


class OutboxItem(Base):
    """A message waiting to go out on a channel; retried with backoff until the channel takes it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(String(254))
    payload: Mapped[str] = mapped_column(Text)  # the channel's wire form (an RFC 5322 message)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()  # None once sent or given up
    sent_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Who read or changed what, outside one ticket's own log: sign-ins, role changes, views of
    sensitive tickets, privacy exports and deletions. Kept for admins; never holds secrets."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(64))  # a staff id, or customer/system
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(128), default="")  # what it was done to
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    address: Mapped[str | None] = mapped_column(String(64))  # the caller's address, if any
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PrivacyKind(enum.StrEnum):
    """What a customer asked of their data (policy §8)."""

    EXPORT = "export"
    ERASE = "erase"


class PrivacyStatus(enum.StrEnum):
    """Where a privacy request is: an export's link open or expired; done; failed."""

    READY = "ready"  # an export whose download link is open
    EXPIRED = "expired"  # its link is past, its archive deleted
    DONE = "done"  # an erasure, or an export written straight to an admin's file
    FAILED = "failed"  # the link could not be mailed; the archive is deleted


class PrivacyRequest(Base):
    """A data export or erasure, asked by the verified customer or run by an admin. The
    token is kept only as its SHA-256; the archive lives under VAR_DIR until its expiry."""

    __tablename__ = "privacy_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[PrivacyKind] = mapped_column(Enum(PrivacyKind, native_enum=False, length=16))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    account_hash: Mapped[str] = mapped_column(String(64))  # what is left after an erasure
    requested_by: Mapped[str] = mapped_column(String(64))  # "customer", or an admin's id
    status: Mapped[PrivacyStatus] = mapped_column(Enum(PrivacyStatus, native_enum=False, length=16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column()
    archive_path: Mapped[str | None] = mapped_column(String(512))
    downloads: Mapped[int] = mapped_column(Integer, default=0)


class SeenDelivery(Base):
    """A platform delivery the desk has taken, by its channel-prefixed id (a Telegram
    update_id, a Meta message id...): a redelivery or a replay of it is dropped, also after
    Redis, the fast path, lost its copy. Rows older than the retention window are pruned."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_seen_at", "seen_at"),)

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class HelpVote(Base):
    """One anonymous answer to a help-centre article's "Was this helpful?". Nothing about the
    voter is kept: the rate limit is counted in Redis, not here."""

    __tablename__ = "help_votes"
    __table_args__ = (Index("ix_help_votes_article", "article_id", "lang"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(String(80))
    lang: Mapped[str] = mapped_column(String(8))
    helpful: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(default=utcnow)

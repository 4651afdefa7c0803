"""What the agent API takes and returns: tickets, transcripts, audit lines, customer cards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.db.models import Customer, Direction, Message, Ticket, TicketEvent
from channels.base.markup import to_html

MAX_TEXT = 10_000  # an agent's reply or note, in characters


class TicketOut(BaseModel):
    """A ticket as agents see it."""

    number: str
    conversation_id: str
    customer_id: int | None
    channel: str
    topic: str
    category: str
    queue: str
    tier: int
    priority: str
    status: str
    assignee: str | None
    lang: str
    plan: str
    tags: list[str]
    summary: str
    routing: dict[str, Any]
    sla_rule: str
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    due_at: datetime
    breach_at: datetime
    resolution_due_at: datetime | None
    breached_at: datetime | None

    @classmethod
    def of(cls, t: Ticket) -> TicketOut:
        return cls(
            number=t.number or "",
            conversation_id=t.conversation_id,
            customer_id=t.customer_id,
            channel=t.channel,
            topic=t.topic,
            category=t.category,
            queue=t.queue,
            tier=t.tier,
            priority=t.priority,
            status=t.status.value,
            assignee=t.assignee_id,
            lang=t.lang,
            plan=t.plan,
            tags=t.tags,
            summary=t.summary,
            routing=t.routing,
            sla_rule=t.sla_rule,
            created_at=t.created_at,
            first_response_at=t.first_response_at,
            resolved_at=t.resolved_at,
            due_at=t.due_at,
            breach_at=t.breach_at,
            resolution_due_at=t.resolution_due_at,
            breached_at=t.breached_at,
        )


def reply_html(m: Message) -> str | None:
    """What the desk said (bot, agent, system: Markdown) as the one safe HTML; None for what a
    customer wrote, which pages show as text, never as markup."""
    return to_html(m.text, breaks=True) if m.direction is Direction.OUTBOUND and m.text else None


class MessageOut(BaseModel):
    """A transcript line."""

    id: int
    direction: str
    sender: str
    text: str
    status: str
    created_at: datetime
    image: str | None = None  # a screenshot the customer sent
    html: str | None = None  # `reply_html`

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(
            html=reply_html(m),
            id=m.id,
            direction=m.direction.value,
            sender=m.sender,
            text=m.text,
            status=m.status.value,
            created_at=m.created_at,
            image=m.meta.get("image"),
        )


class EventOut(BaseModel):
    """An audit-log line."""

    actor: str
    action: str
    data: dict[str, Any]
    at: datetime

    @classmethod
    def of(cls, e: TicketEvent) -> EventOut:
        return cls(actor=e.actor, action=e.action, data=e.data, at=e.at)


class CustomerOut(BaseModel):
    """The customer card (what agents need, nothing secret)."""

    account_id: str
    name: str
    email: str | None
    plan: str
    lang: str | None

    @classmethod
    def of(cls, c: Customer) -> CustomerOut:
        return cls(account_id=c.account_id, name=c.name, email=c.email, plan=c.plan, lang=c.lang)


class PastTicketOut(BaseModel):
    """One of the customer's other tickets."""

    number: str
    topic: str
    status: str
    created_at: datetime

    @classmethod
    def of(cls, t: Ticket) -> PastTicketOut:
        return cls(
            number=t.number or "", topic=t.topic, status=t.status.value, created_at=t.created_at
        )


class TicketDetailOut(BaseModel):
    """A ticket with its transcript, audit log and customer card."""

    ticket: TicketOut
    transcript: list[MessageOut]
    events: list[EventOut]
    customer: CustomerOut | None
    past_tickets: list[PastTicketOut]


class ArticleOut(BaseModel):
    """A help-centre article suggested for the conversation."""

    article_id: str
    title: str
    url: str
    snippet: str
    score: float


class CannedOut(BaseModel):
    """A canned response."""

    title: str
    text: str


class AgentOut(BaseModel):
    """An agent on the supervisor view."""

    id: str
    name: str
    queues: list[str]
    tier: int
    online: bool
    open_tickets: int


class OverviewOut(BaseModel):
    """The supervisor view: who is online and holding what, what breached, what is at risk."""

    agents: list[AgentOut]
    breached: list[TicketOut]
    at_risk: list[TicketOut]


class AssignIn(BaseModel):
    """Who should take the ticket."""

    model_config = ConfigDict(extra="forbid")
    agent: str = Field(min_length=1, max_length=64)


class TextIn(BaseModel):
    """A reply or an internal note."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class TransferIn(BaseModel):
    """Where to move the ticket, and why."""

    model_config = ConfigDict(extra="forbid")
    queue: str
    reason: str = Field(default="", max_length=MAX_TEXT)


class EscalateIn(BaseModel):
    """Why the next tier must take it."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


class PresenceIn(BaseModel):
    """Online for live chat, or away."""

    model_config = ConfigDict(extra="forbid")
    available: bool

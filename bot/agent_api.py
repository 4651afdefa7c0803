"""The agent API: queues and ticket operations over HTTP (the console is a UI on top of it).

Every call carries the bearer token of the settings and names its agent in `X-Agent-Id`;
without a configured token the API refuses everything (fails closed).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.db.models import Message, Ticket, TicketEvent
from bot.errors import Unauthorized
from bot.tickets.service import TicketService

MAX_TEXT = 10_000  # an agent's reply or note, in characters


def _agent(
    request: Request,
    authorization: Annotated[str, Header()] = "",
    x_agent_id: Annotated[str, Header()] = "",
) -> str:
    """Check the token first, then who is calling."""
    token = request.app.state.settings.agent_api_token
    scheme, _, given = authorization.partition(" ")
    if token is None or scheme.lower() != "bearer":
        raise Unauthorized("agent API token required", code="unauthorized")
    if not secrets.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise Unauthorized("wrong agent API token", code="unauthorized")
    if not x_agent_id:
        raise Unauthorized("X-Agent-Id header required", code="agent_required")
    return x_agent_id


def _tickets(request: Request) -> TicketService:
    service: TicketService = request.app.state.tickets
    return service


AgentId = Annotated[str, Depends(_agent)]
Tickets = Annotated[TicketService, Depends(_tickets)]


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


class MessageOut(BaseModel):
    """A transcript line."""

    id: int
    direction: str
    sender: str
    text: str
    status: str
    created_at: datetime
    image: str | None = None  # a screenshot the customer sent

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(
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


class TicketDetailOut(BaseModel):
    """A ticket with its transcript and audit log."""

    ticket: TicketOut
    transcript: list[MessageOut]
    events: list[EventOut]


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


router = APIRouter(prefix="/api/v1", tags=["agents"])


@router.get("/queues/{queue}/tickets", response_model=list[TicketOut])
async def list_queue(queue: str, agent: AgentId, tickets: Tickets) -> list[TicketOut]:
    """The queue's open tickets, most pressing first."""
    return [TicketOut.of(t) for t in await tickets.queue(queue)]


@router.get("/tickets/{number}", response_model=TicketDetailOut)
async def show(number: str, agent: AgentId, tickets: Tickets) -> TicketDetailOut:
    """One ticket, its transcript and its audit log."""
    return TicketDetailOut(
        ticket=TicketOut.of(await tickets.get(number)),
        transcript=[MessageOut.of(m) for m in await tickets.transcript(number)],
        events=[EventOut.of(e) for e in await tickets.history(number)],
    )


@router.post("/tickets/{number}/claim", response_model=TicketOut)
async def claim(number: str, agent: AgentId, tickets: Tickets) -> TicketOut:
    """Take the ticket (409 when someone was faster)."""
    return TicketOut.of(await tickets.claim(number, agent))


@router.post("/tickets/{number}/reply", response_model=MessageOut)
async def reply(number: str, body: TextIn, agent: AgentId, tickets: Tickets) -> MessageOut:
    """Answer the customer on their channel (owner only)."""
    return MessageOut.of(await tickets.reply(number, agent, body.text))


@router.post("/tickets/{number}/notes", response_model=EventOut)
async def note(number: str, body: TextIn, agent: AgentId, tickets: Tickets) -> EventOut:
    """Add an internal note."""
    return EventOut.of(await tickets.note(number, agent, body.text))


@router.post("/tickets/{number}/transfer", response_model=TicketOut)
async def transfer(number: str, body: TransferIn, agent: AgentId, tickets: Tickets) -> TicketOut:
    """Move the ticket to another queue."""
    return TicketOut.of(await tickets.transfer(number, agent, body.queue, body.reason))


@router.post("/tickets/{number}/escalate", response_model=TicketOut)
async def escalate(number: str, body: EscalateIn, agent: AgentId, tickets: Tickets) -> TicketOut:
    """Send the ticket up one tier."""
    return TicketOut.of(await tickets.escalate(number, agent, body.reason))


@router.post("/tickets/{number}/resolve", response_model=TicketOut)
async def resolve(number: str, agent: AgentId, tickets: Tickets) -> TicketOut:
    """Close the work; the bot answers the conversation again."""
    return TicketOut.of(await tickets.resolve(number, agent))


@router.post("/tickets/{number}/reopen", response_model=TicketOut)
async def reopen(number: str, agent: AgentId, tickets: Tickets) -> TicketOut:
    """Take a resolved ticket up again (within the reopen window)."""
    return TicketOut.of(await tickets.reopen(number, agent))


@router.put("/agents/me/presence")
async def presence(body: PresenceIn, agent: AgentId, tickets: Tickets) -> dict[str, Any]:
    """Go online or away."""
    updated = await tickets.set_presence(agent, body.available)
    return {"agent": updated.id, "available": updated.available}

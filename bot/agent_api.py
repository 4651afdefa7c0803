"""The agent API: queues and ticket operations over HTTP (the console is a UI on top of it).

Two kinds of caller: the console, with its session cookie (and the CSRF header on every change),
and integrations, with the bearer token of the settings naming their agent in `X-Agent-Id`.
Without a session or a configured token the API refuses everything (fails closed).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.console import canned
from bot.console.auth import PERMISSIONS, Permission
from bot.console.guard import console_user
from bot.db.models import Customer, Message, Ticket, TicketEvent, TicketStatus
from bot.errors import Forbidden, Unauthorized
from bot.kb import service as kb
from bot.tickets.service import Filters, TicketService

MAX_TEXT = 10_000  # an agent's reply or note, in characters
AT_RISK = timedelta(minutes=30)  # first responses due this soon show on the supervisor view
SUGGESTIONS = 3  # help-centre articles offered per conversation


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling the API and what they may do."""

    id: str
    permissions: frozenset[Permission]


async def _caller(
    request: Request,
    authorization: Annotated[str, Header()] = "",
    x_agent_id: Annotated[str, Header()] = "",
) -> Caller:
    """A bearer token (integrations) or else the console's session; checked before anything."""
    if not authorization:
        user = await console_user(request)
        if not user.can(Permission.TICKETS):
            raise Forbidden("this role has no access to tickets", code="wrong_role")
        return Caller(user.id, PERMISSIONS[user.role])
    token = request.app.state.settings.agent_api_token
    scheme, _, given = authorization.partition(" ")
    if token is None or scheme.lower() != "bearer":
        raise Unauthorized("agent API token required", code="unauthorized")
    if not secrets.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise Unauthorized("wrong agent API token", code="unauthorized")
    if not x_agent_id:
        raise Unauthorized("X-Agent-Id header required", code="agent_required")
    return Caller(x_agent_id, frozenset({Permission.TICKETS, Permission.SUPERVISE}))


def _agent(caller: Annotated[Caller, Depends(_caller)]) -> str:
    return caller.id


def _supervisor(caller: Annotated[Caller, Depends(_caller)]) -> str:
    if Permission.SUPERVISE not in caller.permissions:
        raise Forbidden("supervisors only", code="wrong_role")
    return caller.id


def _tickets(request: Request) -> TicketService:
    service: TicketService = request.app.state.tickets
    return service


AgentId = Annotated[str, Depends(_agent)]
SupervisorId = Annotated[str, Depends(_supervisor)]
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


router = APIRouter(prefix="/api/v1", tags=["agents"])


@router.get("/tickets", response_model=list[TicketOut])
async def search(
    agent: AgentId,
    tickets: Tickets,
    queue: Annotated[list[str] | None, Query()] = None,
    tier: int | None = None,
    priority: str | None = None,
    channel: str | None = None,
    lang: str | None = None,
    status: TicketStatus | None = None,
    mine: bool = False,
) -> list[TicketOut]:
    """Open work (or the given status) across queues, most pressing first."""
    filters = Filters(
        queues=tuple(queue) if queue else None,
        tier=tier,
        priority=priority or None,
        channel=channel or None,
        lang=lang or None,
        status=status,
        assignee=agent if mine else None,
    )
    return [TicketOut.of(t) for t in await tickets.search(filters)]


@router.get("/queues/{queue}/tickets", response_model=list[TicketOut])
async def list_queue(queue: str, agent: AgentId, tickets: Tickets) -> list[TicketOut]:
    """The queue's open tickets, most pressing first."""
    return [TicketOut.of(t) for t in await tickets.queue(queue)]


@router.get("/tickets/{number}", response_model=TicketDetailOut)
async def show(number: str, agent: AgentId, tickets: Tickets) -> TicketDetailOut:
    """One ticket, its transcript and its audit log."""
    ticket = await tickets.get(number)
    customer = await tickets.customer(ticket)
    return TicketDetailOut(
        ticket=TicketOut.of(ticket),
        transcript=[MessageOut.of(m) for m in await tickets.transcript(number)],
        events=[EventOut.of(e) for e in await tickets.history(number)],
        customer=CustomerOut.of(customer) if customer else None,
        past_tickets=[PastTicketOut.of(t) for t in await tickets.customer_tickets(ticket)],
    )


@router.get("/tickets/{number}/suggestions", response_model=list[ArticleOut])
async def suggestions(number: str, agent: AgentId, tickets: Tickets) -> list[ArticleOut]:
    """Help-centre articles for what the customer asked (agent assist, from the KB retriever)."""
    ticket = await tickets.get(number)
    asked = [m.text for m in await tickets.transcript(number) if m.direction.value == "inbound"]
    query = " ".join([ticket.summary, *asked[-3:]]).strip()
    if not query:
        return []
    ranking = await asyncio.to_thread(kb.retriever().search, query, ticket.lang, SUGGESTIONS)
    return [
        ArticleOut(
            article_id=h.article_id, title=h.title, url=h.url, snippet=h.snippet, score=h.score
        )
        for h in ranking.hits
    ]


@router.get("/canned", response_model=list[CannedOut])
async def canned_responses(agent: AgentId, lang: str = "en") -> list[CannedOut]:
    """Canned responses in the conversation's language (English when it has none)."""
    return [CannedOut(title=c.title, text=c.text) for c in canned.responses(lang)]


@router.post("/tickets/{number}/claim", response_model=TicketOut)
async def claim(number: str, agent: AgentId, tickets: Tickets) -> TicketOut:
    """Take the ticket (409 when someone was faster)."""
    return TicketOut.of(await tickets.claim(number, agent))


@router.post("/tickets/{number}/assign", response_model=TicketOut)
async def assign(
    number: str, body: AssignIn, supervisor: SupervisorId, tickets: Tickets
) -> TicketOut:
    """Give the ticket to an agent (supervisors)."""
    return TicketOut.of(await tickets.assign(number, supervisor, body.agent))


@router.get("/supervisor", response_model=OverviewOut)
async def overview(supervisor: SupervisorId, tickets: Tickets) -> OverviewOut:
    """Agents online and their load; breached and at-risk tickets."""
    loads = await tickets.agent_loads()
    breached, soon = await tickets.at_risk(AT_RISK)
    return OverviewOut(
        agents=[
            AgentOut(
                id=load.agent.id,
                name=load.agent.name,
                queues=load.agent.queues,
                tier=load.agent.tier,
                online=load.online,
                open_tickets=load.open_tickets,
            )
            for load in loads
        ],
        breached=[TicketOut.of(t) for t in breached],
        at_risk=[TicketOut.of(t) for t in soon],
    )


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

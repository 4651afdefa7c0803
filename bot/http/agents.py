"""The agent API: queues and ticket operations over HTTP (the console is a UI on top of it).

Two kinds of caller: the console, with its session cookie (and the CSRF header on every change),
and integrations, with a per-person bearer token an admin issued (`python -m bot token issue`,
or the console's people page). A token acts only as its person, with that person's current
role; nothing in the request (no header, no field) names someone else. Without a session or a
live token the API refuses everything (fails closed).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.db.models import TicketStatus
from bot.errors import Forbidden, Unauthorized
from bot.http.agent_models import (
    AgentOut,
    ArticleOut,
    AssignIn,
    CannedOut,
    CustomerOut,
    EscalateIn,
    EventOut,
    MessageOut,
    OverviewOut,
    PastTicketOut,
    PresenceIn,
    TextIn,
    TicketDetailOut,
    TicketOut,
    TransferIn,
)
from bot.kb import service as kb
from bot.staff.accounts import PERMISSIONS, Permission
from bot.staff.audit import AuditLog
from bot.staff.guard import client_address, console_user
from bot.staff.tokens import ApiTokens
from bot.tickets import canned
from bot.tickets.service import TicketService
from bot.tickets.views import Filters
from bot.triage import policy

AT_RISK = timedelta(minutes=30)  # first responses due this soon show on the supervisor view
SUGGESTIONS = 3  # help-centre articles offered per conversation


# The scheme the OpenAPI docs show; `_caller` also takes the console's session instead.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="agent token",
    description="A per-person API token (`python -m bot token issue <agent>`).",
)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling the API, what they may do, and how they proved it (for the audit log)."""

    id: str
    permissions: frozenset[Permission]
    via: str


async def _caller(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Caller:
    """A bearer token (integrations) or else the console's session; checked before anything."""
    if "authorization" not in request.headers:
        user = await console_user(request)
        caller = Caller(user.id, PERMISSIONS[user.role], "session")
    else:
        tokens: ApiTokens = request.app.state.api_tokens
        holder = await tokens.holder(bearer.credentials) if bearer is not None else None
        if holder is None:
            raise Unauthorized("a valid agent API token is required", code="unauthorized")
        caller = Caller(holder.agent_id, holder.permissions, f"token:{holder.token_id}")
    if Permission.TICKETS not in caller.permissions:
        raise Forbidden("this role has no access to tickets", code="wrong_role")
    return caller


def _supervisor(caller: Annotated[Caller, Depends(_caller)]) -> str:
    if Permission.SUPERVISE not in caller.permissions:
        raise Forbidden("supervisors only", code="wrong_role")
    return caller.id


def _agent(caller: Annotated[Caller, Depends(_caller)]) -> str:
    return caller.id


def _tickets(request: Request) -> TicketService:
    service: TicketService = request.app.state.tickets
    return service


AgentId = Annotated[str, Depends(_agent)]
SupervisorId = Annotated[str, Depends(_supervisor)]
AnyCaller = Annotated[Caller, Depends(_caller)]
Tickets = Annotated[TicketService, Depends(_tickets)]


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
async def show(
    number: str, caller: AnyCaller, tickets: Tickets, request: Request
) -> TicketDetailOut:
    """One ticket, its transcript and its audit log. Reading a ticket of a topic that needs
    proof of ownership (billing, security, privacy) is written to the desk's audit log."""
    ticket = await tickets.get(number)
    if ticket.topic in policy.VERIFY_TOPICS:
        audit: AuditLog = request.app.state.audit
        await audit.record(
            caller.id,
            "ticket_viewed",
            ticket.number or number,
            {"topic": ticket.topic, "via": caller.via},
            client_address(request),
        )
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

"""The agent API through the whole app, with Rasa down: while people own a conversation the
bot is never asked, so customers are answered by agents even in a Rasa outage."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from bot.conversations.store import ConversationStore
from bot.db import session_factory
from bot.db.models import TicketStatus
from bot.runtime.demo import seed_demo
from bot.settings import Settings
from bot.tickets.service import TicketService
from bot.triage.routing import route
from channels.base import InboundMessage
from tests.integration.conftest import start_chat

TOKEN = "agent-secret"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"agent_api_token": SecretStr(TOKEN)})


def _as(agent: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", "X-Agent-Id": agent}


async def _ticket(app: FastAPI, cid: str, topic: str = "human_request") -> str:
    tickets: TicketService = app.state.tickets
    store: ConversationStore = app.state.store
    await seed_demo(session_factory(app.state.engine))
    await store.record_inbound(InboundMessage(cid, "api", "I need a person"), "en")
    decision = route(topic, 1.0, "I need a person", "en", None, handoff=True).as_dict()
    opened = await tickets.open_from_handoff(cid, decision, channel="api", lang="en", plan=None)
    return opened.ticket.number or ""


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong", "X-Agent-Id": "lea"},
        {"Authorization": f"Basic {TOKEN}", "X-Agent-Id": "lea"},
        {"Authorization": f"Bearer {TOKEN}"},
    ],
)
async def test_every_call_needs_the_token_and_an_agent(
    client: httpx.AsyncClient, app: FastAPI, headers: dict[str, str]
) -> None:
    number = await _ticket(app, "auth1")
    response = await client.post(f"/api/v1/tickets/{number}/claim", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("unauthorized", "agent_required", "signed_out")
    assert (await app.state.tickets.get(number)).status is TicketStatus.NEW


async def test_a_whole_ticket_life_over_http(client: httpx.AsyncClient, app: FastAPI) -> None:
    chat = await start_chat(client)
    number = await _ticket(app, chat.id)
    queue = await client.get("/api/v1/queues/support/tickets", headers=_as("lea"))
    assert [t["number"] for t in queue.json()] == [number]

    # Queued: the customer's message is stored on the ticket; Rasa (down) is not asked.
    waiting = await client.post(chat.messages, json={"text": "hello??"}, headers=chat.headers)
    assert waiting.status_code == 200
    assert waiting.json()["replies"] == []
    assert waiting.json()["ticket"] == number

    claimed = await client.post(f"/api/v1/tickets/{number}/claim", headers=_as("lea"))
    assert claimed.status_code == 200
    assert claimed.json()["assignee"] == "lea"
    again = await client.post(f"/api/v1/tickets/{number}/claim", headers=_as("sam"))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_claimed"

    reply = await client.post(
        f"/api/v1/tickets/{number}/reply", json={"text": "Hi, Léa here."}, headers=_as("lea")
    )
    assert reply.status_code == 200
    assert reply.json()["status"] == "sent"
    history = await client.get(chat.messages, headers=chat.headers)
    assert history.json()[-1]["text"] == "Hi, Léa here."
    assert history.json()[-1]["sender"] == "agent"

    note = await client.post(
        f"/api/v1/tickets/{number}/notes", json={"text": "VIP"}, headers=_as("lea")
    )
    assert note.status_code == 200
    detail = (await client.get(f"/api/v1/tickets/{number}", headers=_as("lea"))).json()
    assert [line["text"] for line in detail["transcript"]] == [
        "I need a person",
        "hello??",
        "Léa from support joined the conversation.",
        "Hi, Léa here.",
    ]
    assert [e["action"] for e in detail["events"]] == [
        "created",
        "message",
        "claimed",
        "replied",
        "note",
    ]
    assert "VIP" not in [m["text"] for m in history.json()]  # notes stay internal

    resolved = await client.post(f"/api/v1/tickets/{number}/resolve", headers=_as("lea"))
    assert resolved.json()["status"] == "resolved"
    # Back with the bot: this message goes to Rasa, which is down here.
    after = await client.post(chat.messages, json={"text": "one more thing"}, headers=chat.headers)
    assert after.status_code == 503


@pytest.mark.parametrize(
    ("method", "path", "body", "agent", "status", "code"),
    [
        ("post", "/api/v1/tickets/IMG-999999/claim", None, "lea", 404, "ticket_not_found"),
        ("post", "/api/v1/tickets/nonsense/claim", None, "lea", 404, "ticket_not_found"),
        ("post", "/api/v1/tickets/{n}/claim", None, "nobody", 404, "agent_not_found"),
        ("post", "/api/v1/tickets/{n}/reply", {"text": "hi"}, "lea", 403, "not_assignee"),
        ("post", "/api/v1/tickets/{n}/transfer", {"queue": "sales"}, "lea", 422, "unknown_queue"),
        ("post", "/api/v1/tickets/{n}/escalate", {"reason": ""}, "lea", 422, "invalid_field"),
        ("post", "/api/v1/tickets/{n}/reply", {"text": ""}, "lea", 422, "invalid_field"),
        ("get", "/api/v1/queues/sales/tickets", None, "lea", 422, "unknown_queue"),
        ("post", "/api/v1/tickets/{n}/reopen", None, "lea", 409, "not_resolved"),
    ],
)
async def test_refusals_are_named_and_change_nothing(
    client: httpx.AsyncClient,
    app: FastAPI,
    method: str,
    path: str,
    body: dict[str, str] | None,
    agent: str,
    status: int,
    code: str,
) -> None:
    number = await _ticket(app, "bad1")
    kwargs = {"json": body} if body is not None else {}
    response = await client.request(
        method.upper(), path.format(n=number), headers=_as(agent), **kwargs
    )
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    ticket = await app.state.tickets.get(number)
    assert (ticket.status, ticket.queue, ticket.tier, ticket.assignee_id) == (
        TicketStatus.NEW,
        "support",
        1,
        None,
    )


async def test_presence(client: httpx.AsyncClient, app: FastAPI) -> None:
    await _ticket(app, "pres1")
    response = await client.put(
        "/api/v1/agents/me/presence", json={"available": True}, headers=_as("lea")
    )
    assert response.json() == {"agent": "lea", "available": True}
    assert await app.state.tickets.agents_online("support") == 1


async def test_without_a_configured_token_the_api_refuses_everyone(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"agent_api_token": None})
    response = await client.get("/api/v1/queues/support/tickets", headers=_as("lea"))
    assert response.status_code == 401

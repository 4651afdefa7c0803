"""The agent API through the whole app, with Rasa down: while people own a conversation the
bot is never asked, so customers are answered by agents even in a Rasa outage. Integrations
call it with per-person tokens, issued here as an admin would (the accounts' token service)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from bot.conversations.store import ConversationStore
from bot.db import session_factory
from bot.db.models import TicketStatus
from bot.runtime.demo import seed_demo
from bot.staff.accounts import Role
from bot.staff.tokens import ApiTokens
from bot.tickets.service import TicketService
from bot.triage.routing import route
from channels.base import InboundMessage
from tests.integration.conftest import start_chat

Staff = dict[str, dict[str, str]]


@pytest.fixture
async def staff(app: FastAPI) -> Staff:
    """The bearer header of a token of each demo person (agents lea and sam, supervisor devi,
    content editor carla)."""
    await seed_demo(session_factory(app.state.engine))
    tokens: ApiTokens = app.state.api_tokens
    headers = {}
    for person in ("lea", "sam", "devi", "carla"):
        token, _ = await tokens.issue(person, name="tests", by="admin")
        headers[person] = {"Authorization": f"Bearer {token}"}
    return headers


async def _ticket(app: FastAPI, cid: str, topic: str = "human_request") -> str:
    tickets: TicketService = app.state.tickets
    store: ConversationStore = app.state.store
    await seed_demo(session_factory(app.state.engine))
    await store.record_inbound(InboundMessage(cid, "api", "I need a person"), "en")
    decision = route(topic, 1.0, "I need a person", "en", None, handoff=True).as_dict()
    opened = await tickets.open_from_handoff(cid, decision, channel="api", lang="en", plan=None)
    return opened.ticket.number or ""


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "signed_out"),
        ({"X-Agent-Id": "lea"}, "signed_out"),  # the old scheme's header names nobody now
        ({"Authorization": "Bearer wrong"}, "unauthorized"),
        ({"Authorization": "Bearer ik_" + "x" * 43}, "unauthorized"),
        ({"Authorization": "Basic bGVhOnNlY3JldA=="}, "unauthorized"),
        ({"Authorization": "Bearer"}, "unauthorized"),
    ],
)
async def test_every_call_needs_a_live_token_or_a_session(
    client: httpx.AsyncClient, app: FastAPI, staff: Staff, headers: dict[str, str], code: str
) -> None:
    number = await _ticket(app, "auth1")
    response = await client.post(f"/api/v1/tickets/{number}/claim", headers=headers)
    assert (response.status_code, response.json()["error"]["code"]) == (401, code)
    assert (await app.state.tickets.get(number)).status is TicketStatus.NEW


async def test_a_token_acts_as_its_person_with_their_role_of_the_moment(
    client: httpx.AsyncClient, app: FastAPI, staff: Staff
) -> None:
    number = await _ticket(app, "role1")
    editor = await client.get("/api/v1/tickets", headers=staff["carla"])
    assert (editor.status_code, editor.json()["error"]["code"]) == (403, "wrong_role")
    assert (await client.get("/api/v1/supervisor", headers=staff["lea"])).status_code == 403
    assert (await client.get("/api/v1/supervisor", headers=staff["devi"])).status_code == 200
    claimed = await client.post(f"/api/v1/tickets/{number}/claim", headers=staff["sam"])
    assert claimed.json()["assignee"] == "sam"  # the token's person, nobody else
    await app.state.people.update(
        "lea", name="Léa Martin", role=Role.SUPERVISOR, queues=["support"], tier=1
    )
    promoted = await client.get("/api/v1/supervisor", headers=staff["lea"])
    assert promoted.status_code == 200  # the role is read at each call, not frozen in the token
    (used,) = [t for t in await app.state.api_tokens.tokens("lea")]
    assert used.last_used_at is not None


async def test_a_whole_ticket_life_over_http(
    client: httpx.AsyncClient, app: FastAPI, staff: Staff
) -> None:
    chat = await start_chat(client)
    number = await _ticket(app, chat.id)
    queue = await client.get("/api/v1/queues/support/tickets", headers=staff["lea"])
    assert [t["number"] for t in queue.json()] == [number]

    # Queued: the customer's message is stored on the ticket; Rasa (down) is not asked.
    waiting = await client.post(chat.messages, json={"text": "hello??"}, headers=chat.headers)
    assert waiting.status_code == 200
    assert waiting.json()["replies"] == []
    assert waiting.json()["ticket"] == number

    claimed = await client.post(f"/api/v1/tickets/{number}/claim", headers=staff["lea"])
    assert claimed.status_code == 200
    assert claimed.json()["assignee"] == "lea"
    again = await client.post(f"/api/v1/tickets/{number}/claim", headers=staff["sam"])
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_claimed"

    reply = await client.post(
        f"/api/v1/tickets/{number}/reply", json={"text": "Hi, Léa here."}, headers=staff["lea"]
    )
    assert reply.status_code == 200
    assert reply.json()["status"] == "sent"
    history = await client.get(chat.messages, headers=chat.headers)
    assert history.json()[-1]["text"] == "Hi, Léa here."
    assert history.json()[-1]["sender"] == "agent"

    note = await client.post(
        f"/api/v1/tickets/{number}/notes", json={"text": "VIP"}, headers=staff["lea"]
    )
    assert note.status_code == 200
    detail = (await client.get(f"/api/v1/tickets/{number}", headers=staff["lea"])).json()
    assert [line["text"] for line in detail["transcript"]] == [
        "I need a person",
        "hello??",
        "Léa from the support team joined the conversation.",
        "Hi, Léa here.",
    ]
    # What the desk said comes as safe HTML too; what the customer wrote only as text.
    assert [line["html"] for line in detail["transcript"]] == [
        None,
        None,
        "<p>Léa from the support team joined the conversation.</p>\n",
        "<p>Hi, Léa here.</p>\n",
    ]
    assert [m["html"] for m in history.json()][-1] == "<p>Hi, Léa here.</p>\n"
    assert [e["action"] for e in detail["events"]] == [
        "created",
        "message",
        "claimed",
        "replied",
        "note",
    ]
    assert "VIP" not in [m["text"] for m in history.json()]  # notes stay internal

    resolved = await client.post(f"/api/v1/tickets/{number}/resolve", headers=staff["lea"])
    assert resolved.json()["status"] == "resolved"
    # Back with the bot: this message goes to Rasa, which is down here.
    after = await client.post(chat.messages, json={"text": "one more thing"}, headers=chat.headers)
    assert after.status_code == 503


@pytest.mark.parametrize(
    ("method", "path", "body", "agent", "status", "code"),
    [
        ("post", "/api/v1/tickets/IMG-999999/claim", None, "lea", 404, "ticket_not_found"),
        ("post", "/api/v1/tickets/nonsense/claim", None, "lea", 404, "ticket_not_found"),
        ("post", "/api/v1/tickets/{n}/assign", {"agent": "nobody"}, "devi", 404, "agent_not_found"),
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
    staff: Staff,
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
        method.upper(), path.format(n=number), headers=staff[agent], **kwargs
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


async def test_presence(client: httpx.AsyncClient, app: FastAPI, staff: Staff) -> None:
    await _ticket(app, "pres1")
    response = await client.put(
        "/api/v1/agents/me/presence", json={"available": True}, headers=staff["lea"]
    )
    assert response.json() == {"agent": "lea", "available": True}
    assert await app.state.tickets.agents_online("support") == 1

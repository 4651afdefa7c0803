"""Attacks on the agent API's callers, against the real app. On main a shared bearer token plus
any `X-Agent-Id` had supervisor rights, even for an agent that does not exist; now each token
acts only as the person it was issued for, with that person's role, until revoked or the person
is disabled."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from bot.conversations.store import ConversationStore
from bot.db import session_factory
from bot.db.models import TicketStatus
from bot.runtime.demo import seed_demo
from bot.staff.tokens import ApiTokens
from bot.tickets.service import TicketService
from bot.triage.routing import route
from channels.base import InboundMessage

Bearer = dict[str, str]


async def _ticket(app: FastAPI, cid: str) -> str:
    store: ConversationStore = app.state.store
    tickets: TicketService = app.state.tickets
    await store.record_inbound(InboundMessage(cid, "api", "a person please"), "en")
    decision = route("human_request", 1.0, "a person", "en", None, handoff=True).as_dict()
    opened = await tickets.open_from_handoff(cid, decision, channel="api", lang="en", plan=None)
    return opened.ticket.number or ""


@pytest.fixture
async def tokens(app: FastAPI) -> dict[str, tuple[int, Bearer]]:
    """A token of agent lea, supervisor devi and content editor carla (the demo people)."""
    await seed_demo(session_factory(app.state.engine))
    service: ApiTokens = app.state.api_tokens
    issued = {}
    for person in ("lea", "devi", "carla"):
        token, row = await service.issue(person, name="integration", by="admin")
        issued[person] = (row.id, {"Authorization": f"Bearer {token}"})
    return issued


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Agent-Id": "ghost"},
        {"X-Agent-Id": "devi"},  # a real supervisor's name, without their token
        {"Authorization": "Bearer e2e-agent-token", "X-Agent-Id": "ghost"},  # the old scheme
        {"Authorization": "Bearer ik_ghost", "X-Agent-Id": "ghost"},
    ],
)
async def test_a_named_agent_without_its_token_gets_nothing(
    client: httpx.AsyncClient,
    app: FastAPI,
    tokens: dict[str, tuple[int, Bearer]],
    headers: dict[str, str],
) -> None:
    number = await _ticket(app, "ghost-1")
    for method, path, body in (
        ("GET", "/api/v1/supervisor", None),
        ("GET", "/api/v1/tickets", None),
        ("GET", f"/api/v1/tickets/{number}", None),
        ("POST", f"/api/v1/tickets/{number}/assign", {"agent": "lea"}),
        ("POST", f"/api/v1/tickets/{number}/claim", None),
    ):
        refused = await client.request(method, path, headers=headers, json=body)
        assert refused.status_code == 401, (path, refused.text)
        assert number not in refused.text
    ticket = await app.state.tickets.get(number)
    assert (ticket.status, ticket.assignee_id) == (TicketStatus.NEW, None)


async def test_a_real_token_with_another_agent_id_acts_only_as_its_own_person(
    client: httpx.AsyncClient, app: FastAPI, tokens: dict[str, tuple[int, Bearer]]
) -> None:
    number = await _ticket(app, "ghost-2")
    lea = {**tokens["lea"][1], "X-Agent-Id": "devi"}
    assert (await client.get("/api/v1/supervisor", headers=lea)).status_code == 403
    reassigned = await client.post(
        f"/api/v1/tickets/{number}/assign", json={"agent": "lea"}, headers=lea
    )
    assert (reassigned.status_code, reassigned.json()["error"]["code"]) == (403, "wrong_role")
    claimed = await client.post(f"/api/v1/tickets/{number}/claim", headers=lea)
    assert claimed.json()["assignee"] == "lea"


async def test_a_revoked_token_stops_at_once_everywhere(
    client: httpx.AsyncClient, app: FastAPI, tokens: dict[str, tuple[int, Bearer]]
) -> None:
    number = await _ticket(app, "revoked-1")
    token_id, devi = tokens["devi"]
    assert (await client.get("/api/v1/supervisor", headers=devi)).status_code == 200
    await app.state.api_tokens.revoke(token_id)
    for method, path in (
        ("GET", "/api/v1/supervisor"),
        ("GET", f"/api/v1/tickets/{number}"),
        ("POST", f"/api/v1/tickets/{number}/claim"),
        ("PUT", "/api/v1/agents/me/presence"),
    ):
        refused = await client.request(method, path, headers=devi, json={"available": True})
        assert (refused.status_code, refused.json()["error"]["code"]) == (401, "unauthorized")
    assert (await app.state.tickets.get(number)).assignee_id is None
    lea = tokens["lea"][1]
    assert (await client.get("/api/v1/tickets", headers=lea)).status_code == 200  # others work


async def test_disabling_a_person_stops_their_tokens(
    client: httpx.AsyncClient, app: FastAPI, tokens: dict[str, tuple[int, Bearer]]
) -> None:
    number = await _ticket(app, "disabled-1")
    devi = tokens["devi"][1]
    await app.state.people.disable("devi", by="admin")
    refused = await client.post(
        f"/api/v1/tickets/{number}/assign", json={"agent": "lea"}, headers=devi
    )
    assert refused.status_code == 401
    await app.state.people.enable("devi")
    assert (await client.get("/api/v1/supervisor", headers=devi)).status_code == 401  # for good
    assert (await app.state.tickets.get(number)).assignee_id is None


async def test_a_role_without_the_permission_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, tokens: dict[str, tuple[int, Bearer]]
) -> None:
    number = await _ticket(app, "role-1")
    carla, lea = tokens["carla"][1], tokens["lea"][1]
    for headers, path, body in (
        (carla, f"/api/v1/tickets/{number}/claim", None),
        (carla, f"/api/v1/tickets/{number}/notes", {"text": "editor was here"}),
        (lea, f"/api/v1/tickets/{number}/assign", {"agent": "lea"}),
    ):
        refused = await client.post(path, headers=headers, json=body)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "wrong_role")
    assert (await client.get(f"/api/v1/tickets/{number}", headers=carla)).status_code == 403
    history = await app.state.tickets.history(number)
    assert [e.action for e in history] == ["created"]


async def test_a_disabled_person_gets_no_new_work(
    client: httpx.AsyncClient, app: FastAPI, tokens: dict[str, tuple[int, Bearer]]
) -> None:
    number = await _ticket(app, "disabled-2")
    devi = tokens["devi"][1]
    await app.state.people.disable("lea", by="admin")
    refused = await client.post(
        f"/api/v1/tickets/{number}/assign", json={"agent": "lea"}, headers=devi
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "agent_disabled")
    overview = (await client.get("/api/v1/supervisor", headers=devi)).json()
    assert "lea" not in {agent["id"] for agent in overview["agents"]}
    assert (await app.state.tickets.get(number)).assignee_id is None

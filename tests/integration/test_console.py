"""The console's security through the whole app: sessions, roles, CSRF, throttling, headers,
and what never leaves the server (hashes, passwords). The live feed crosses hubs on real Redis."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from bot.console.live import LiveFeed
from bot.conversations.store import ConversationStore
from bot.db import session_factory
from bot.runtime.demo import seed_demo
from bot.settings import Settings
from bot.tickets.service import TicketService
from bot.triage.routing import route
from channels.base import InboundMessage
from tests.conftest import REDIS_URL

PASSWORD = "correct horse battery"
Client = Callable[[], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def clients(app: FastAPI, redis: Redis) -> AsyncIterator[Client]:
    """Browsers of their own (each its own cookie jar) on one hub; Redis is emptied after."""
    await seed_demo(session_factory(app.state.engine), PASSWORD)
    opened: list[httpx.AsyncClient] = []

    async def new() -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://hub.test"
        )
        opened.append(client)
        return client

    yield new
    for client in opened:
        await client.aclose()


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" (?:value|content)="([^"]*)"', html)
    assert found, f"no {name} in the page"
    return found.group(1)


async def _sign_in(
    client: httpx.AsyncClient, user: str, password: str = PASSWORD, target: str = "/console"
) -> httpx.Response:
    form = await client.get("/console/login")
    return await client.post(
        "/console/login",
        data={
            "username": user,
            "password": password,
            "csrf": _field(form.text, "csrf"),
            "next": target,
        },
    )


async def _signed_in(clients: Client, user: str) -> tuple[httpx.AsyncClient, str]:
    """A client signed in as `user`, and its session's CSRF token."""
    client = await clients()
    assert (await _sign_in(client, user)).status_code == 303
    page = await client.get("/console")
    if page.status_code != 200:  # roles without the queue: the token is on every page
        page = await client.get("/console/supervisor")
    return client, _field(page.text, "csrf-token")


async def _ticket(app: FastAPI, cid: str) -> str:
    store: ConversationStore = app.state.store
    tickets: TicketService = app.state.tickets
    await store.record_inbound(InboundMessage(cid, "api", "<script>alert(1)</script>"), "en")
    decision = route("human_request", 1.0, "a person", "en", None, handoff=True).as_dict()
    opened = await tickets.open_from_handoff(cid, decision, channel="api", lang="en", plan=None)
    return opened.ticket.number or ""


async def test_without_a_session_pages_redirect_and_the_api_and_feed_refuse(
    clients: Client, app: FastAPI
) -> None:
    client = await clients()
    number = await _ticket(app, "anon")
    for path in ("/console", f"/console/tickets/{number}", "/console/supervisor"):
        page = await client.get(path)
        assert page.status_code == 303
        assert page.headers["location"] == f"/console/login?next={path}"
    for path in ("/console/events", "/api/v1/tickets", f"/api/v1/tickets/{number}"):
        refused = await client.get(path)
        assert (refused.status_code, refused.json()["error"]["code"]) == (401, "signed_out")
    client.cookies.set("imageko_console", "forged-token")
    assert (await client.get("/api/v1/tickets")).status_code == 401


async def test_sign_in_sets_a_strict_http_only_cookie_and_guarded_pages(
    clients: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = await clients()
    signed = await _sign_in(client, "lea", target="/console/tickets/IMG-000001")
    assert signed.status_code == 303
    assert signed.headers["location"] == "/console/tickets/IMG-000001"
    cookie = next(
        v for k, v in signed.headers.multi_items() if k == "set-cookie" and "imageko_console=" in v
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie
    page = await client.get("/console")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    me = await client.get("/api/v1/tickets")
    assert me.status_code == 200
    bodies = page.text + me.text + signed.text
    assert "$argon2" not in bodies
    assert PASSWORD not in bodies
    assert "$argon2" not in caplog.text
    assert PASSWORD not in caplog.text


async def test_an_https_desk_marks_the_cookie_secure(
    app: FastAPI, clients: Client, settings: Settings
) -> None:
    app.state.settings = settings.model_copy(update={"public_url": "https://desk.imageko.com"})
    client = await clients()
    signed = await _sign_in(client, "lea")
    assert "Secure" in signed.headers["set-cookie"]


async def test_the_login_form_refuses_a_forged_or_missing_csrf_and_open_redirects(
    clients: Client,
) -> None:
    client = await clients()
    await client.get("/console/login")
    forged = await client.post(
        "/console/login", data={"username": "lea", "password": PASSWORD, "csrf": "forged"}
    )
    assert forged.status_code == 403
    assert "imageko_console" not in forged.headers.get("set-cookie", "")
    signed = await _sign_in(client, "lea", target="https://evil.example/console")
    assert signed.headers["location"] == "/console"
    again = await client.get("/console/login?next=//evil.example")
    assert again.headers["location"] == "/console"  # signed in already: home, never away


async def test_changes_need_the_session_csrf_token(clients: Client, app: FastAPI) -> None:
    number = await _ticket(app, "csrf")
    client, csrf = await _signed_in(clients, "lea")
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        refused = await client.post(f"/api/v1/tickets/{number}/claim", headers=headers)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "csrf")
    assert (await app.state.tickets.get(number)).assignee_id is None
    claimed = await client.post(f"/api/v1/tickets/{number}/claim", headers={"X-CSRF-Token": csrf})
    assert claimed.status_code == 200
    assert claimed.json()["assignee"] == "lea"
    other, _other_csrf = await _signed_in(clients, "sam")
    stolen = await other.post(f"/api/v1/tickets/{number}/resolve", headers={"X-CSRF-Token": csrf})
    assert stolen.status_code == 403  # a token belongs to its session
    logout = await client.post("/console/logout", data={"csrf": "forged"})
    assert logout.status_code == 403


async def test_roles_decide_what_each_person_reaches(clients: Client, app: FastAPI) -> None:
    number = await _ticket(app, "roles")
    editor, _editor_csrf = await _signed_in(clients, "carla")
    page = await editor.get("/console")
    assert page.status_code == 403
    assert "Not for your role" in page.text
    assert (await editor.get("/api/v1/tickets")).status_code == 403
    feed = await editor.get("/console/events")
    assert (feed.status_code, feed.json()["error"]["code"]) == (403, "wrong_role")
    agent, agent_csrf = await _signed_in(clients, "lea")
    assert (await agent.get("/console/supervisor")).status_code == 403
    assert (await agent.get("/api/v1/supervisor")).status_code == 403
    assign = await agent.post(
        f"/api/v1/tickets/{number}/assign",
        json={"agent": "lea"},
        headers={"X-CSRF-Token": agent_csrf},
    )
    assert assign.status_code == 403
    boss, boss_csrf = await _signed_in(clients, "devi")
    assert (await boss.get("/console/supervisor")).status_code == 200
    overview = (await boss.get("/api/v1/supervisor")).json()
    assert {a["id"] for a in overview["agents"]} == {"lea", "sam", "tomas", "devi"}
    assigned = await boss.post(
        f"/api/v1/tickets/{number}/assign",
        json={"agent": "lea"},
        headers={"X-CSRF-Token": boss_csrf},
    )
    assert assigned.status_code == 200
    assert assigned.json()["assignee"] == "lea"


async def test_sign_in_is_throttled_per_user_and_address_even_with_the_right_password(
    clients: Client,
) -> None:
    client = await clients()
    for _ in range(5):
        assert (await _sign_in(client, "sam", "not the password")).status_code == 401
    throttled = await _sign_in(client, "sam")
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert "too many failed sign-ins" in throttled.text
    assert (await _sign_in(client, "lea")).status_code == 303  # other users are not locked out


async def test_sign_out_ends_the_session_everywhere(clients: Client) -> None:
    client, csrf = await _signed_in(clients, "lea")
    cookie = client.cookies.get("imageko_console")
    out = await client.post("/console/logout", data={"csrf": csrf})
    assert (out.status_code, out.headers["location"]) == (303, "/console/login")
    replay = await clients()
    replay.cookies.set("imageko_console", cookie or "")
    assert (await replay.get("/api/v1/tickets")).status_code == 401


async def test_the_conversation_view_has_its_card_suggestions_and_canned_responses(
    clients: Client, app: FastAPI
) -> None:
    number = await _ticket(app, "view")
    client, _ = await _signed_in(clients, "lea")
    page = await client.get(f"/console/tickets/{number}")
    assert page.status_code == 200
    assert f'data-number="{number}"' in page.text
    assert "<script>alert(1)</script>" not in page.text  # the shell holds no customer text
    detail = (await client.get(f"/api/v1/tickets/{number}")).json()
    assert detail["transcript"][0]["text"] == "<script>alert(1)</script>"  # JSON, shown as text
    assert detail["transcript"][0]["html"] is None  # a customer's words are never markup
    assert detail["customer"] is None
    assert detail["past_tickets"] == []
    canned = (await client.get("/api/v1/canned?lang=fr")).json()
    assert canned[0]["title"] == "Accueil"
    assert (await client.get("/api/v1/canned?lang=de")).json()[0]["title"] == "Greeting"
    missing = await client.get("/console/tickets/IMG-999999")
    assert missing.status_code == 404


async def test_the_live_feed_reaches_consoles_on_another_hub() -> None:
    """Two hubs, two Redis clients: an event published on one is heard on the other."""
    here, there = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    try:
        async with LiveFeed(there).subscribe() as subscription:
            await LiveFeed(here).publish({"type": "ticket", "kind": "created", "number": "X-1"})
            event = await subscription.next(5.0)
            assert event == {"type": "ticket", "kind": "created", "number": "X-1"}
            assert await subscription.next(0.2) is None  # nothing else: a keep-alive is due
    finally:
        await here.aclose()
        await there.aclose()


async def test_publishing_never_fails_the_operation_when_redis_is_down() -> None:
    down = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5)
    try:
        await asyncio.wait_for(LiveFeed(down).publish({"type": "ticket", "kind": "x"}), 5)
    finally:
        await down.aclose()

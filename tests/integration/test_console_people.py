"""The admins' people and audit pages through the whole app: adding a person with a one-time
password they must replace, changing a role, disabling, resetting a password, issuing and
revoking API tokens — each change behind the session's CSRF token and in the audit log."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from bot.conversations.store import ConversationStore
from bot.db import session_factory
from bot.runtime.demo import seed_demo
from bot.staff.audit import AuditLog
from bot.tickets.service import TicketService
from bot.triage import policy
from bot.triage.routing import route
from channels.base import InboundMessage

PASSWORD = "correct horse battery"
Browser = Callable[[], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def browser(app: FastAPI, redis: Redis) -> AsyncIterator[Browser]:
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


def _value(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" (?:value|content)="([^"]*)"', html)
    assert found, f"no {name} in the page"
    return found.group(1)


def _secret(html: str) -> str:
    found = re.search(r'<code id="secret">([^<]+)</code>', html)
    assert found, "no secret on the page"
    return found.group(1)


async def _signed_in(
    browser: Browser, user: str, password: str = PASSWORD
) -> tuple[httpx.AsyncClient, httpx.Response]:
    client = await browser()
    form = await client.get("/console/login")
    signed = await client.post(
        "/console/login",
        data={"username": user, "password": password, "csrf": _value(form.text, "csrf")},
    )
    return client, signed


async def _admin(browser: Browser) -> tuple[httpx.AsyncClient, str]:
    client, signed = await _signed_in(browser, "admin")
    assert signed.status_code == 303
    page = await client.get("/console/people")
    assert page.status_code == 200
    return client, _value(page.text, "csrf-token")


async def _actions(app: FastAPI, subject: str | None = None) -> list[str]:
    audit: AuditLog = app.state.audit
    lines = reversed(await audit.recent())
    return [e.action for e in lines if subject is None or e.subject == subject]


async def test_a_new_person_signs_in_once_with_the_given_password_then_chooses_one(
    browser: Browser, app: FastAPI
) -> None:
    admin, csrf = await _admin(browser)
    added = await admin.post(
        "/console/people",
        data={
            "csrf": csrf,
            "id": "noa",
            "name": "Noa <b>Bold</b>",
            "role": "agent",
            "queues": ["support", "trust"],
            "tier": "2",
        },
    )
    assert added.status_code == 200
    given = _secret(added.text)
    assert "Shown once" in added.text
    listing = await admin.get("/console/people")
    assert "Noa &lt;b&gt;Bold&lt;/b&gt;" in listing.text  # names are text, never markup
    assert given not in listing.text + (await admin.get("/console/people/noa")).text

    noa, signed = await _signed_in(browser, "noa", given)
    assert (signed.status_code, signed.headers["location"]) == (303, "/console/password")
    assert (await noa.get("/console")).headers["location"] == "/console/password"
    api = await noa.get("/api/v1/tickets")
    assert (api.status_code, api.json()["error"]["code"]) == (403, "password_change_required")
    form = await noa.get("/console/password")
    own_csrf = _value(form.text, "csrf-token")
    differ = await noa.post(
        "/console/password",
        data={"csrf": own_csrf, "current": given, "new": "my own password", "again": "my own"},
    )
    assert differ.status_code == 422
    changed = await noa.post(
        "/console/password",
        data={
            "csrf": own_csrf,
            "current": given,
            "new": "my own password",
            "again": "my own password",
        },
    )
    assert changed.status_code == 303
    assert (await noa.get("/api/v1/tickets")).status_code == 200
    _, again = await _signed_in(browser, "noa", given)
    assert again.status_code == 401  # the one-time password is gone
    assert await _actions(app, "noa") == ["person_added"]
    audit: AuditLog = app.state.audit
    noa_lines = [e.action for e in reversed(await audit.recent(actor="noa"))]
    assert noa_lines == ["signed_in", "password_changed", "sign_in_failed"]


async def test_a_role_change_applies_at_once_and_is_audited(browser: Browser, app: FastAPI) -> None:
    admin, csrf = await _admin(browser)
    lea, _ = await _signed_in(browser, "lea")
    assert (await lea.get("/console/supervisor")).status_code == 403
    saved = await admin.post(
        "/console/people/lea",
        data={
            "csrf": csrf,
            "name": "Léa Martin",
            "role": "supervisor",
            "queues": ["support"],
            "tier": "2",
        },
    )
    assert (saved.status_code, saved.headers["location"]) == (
        303,
        "/console/people/lea?done=saved",
    )
    assert (await lea.get("/console/supervisor")).status_code == 200  # same session
    audit: AuditLog = app.state.audit
    (changed,) = await audit.recent(action="role_changed")
    assert (changed.actor, changed.subject, changed.data) == (
        "admin",
        "lea",
        {"from": "agent", "to": "supervisor"},
    )
    (updated,) = await audit.recent(action="person_updated")
    assert updated.data == {"changes": {"tier": [1, 2]}}


async def test_disabling_ends_the_persons_sessions_and_tokens(
    browser: Browser, app: FastAPI
) -> None:
    admin, csrf = await _admin(browser)
    sam, _ = await _signed_in(browser, "sam")
    issued = await admin.post("/console/people/sam/tokens", data={"csrf": csrf, "name": "CRM"})
    token = _secret(issued.text)
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await sam.get("/api/v1/tickets", headers=bearer)).status_code == 200
    disabled = await admin.post("/console/people/sam/disable", data={"csrf": csrf})
    assert disabled.headers["location"] == "/console/people/sam?done=disabled"
    assert (await sam.get("/api/v1/tickets")).status_code == 401
    sam.cookies.clear()
    assert (await sam.get("/api/v1/tickets", headers=bearer)).status_code == 401
    _, again = await _signed_in(browser, "sam")
    assert again.status_code == 401
    page = (await admin.get("/console/people/sam?done=disabled")).text
    assert "their sessions ended" in page
    assert "revoked" in page
    await admin.post("/console/people/sam/enable", data={"csrf": csrf})
    _, back = await _signed_in(browser, "sam")
    assert back.status_code == 303
    assert (await sam.get("/api/v1/tickets", headers=bearer)).status_code == 401
    assert await _actions(app, "sam") == ["token_issued", "person_disabled", "person_enabled"]


async def test_a_token_is_shown_once_and_revoked_from_the_page(
    browser: Browser, app: FastAPI
) -> None:
    admin, csrf = await _admin(browser)
    issued = await admin.post("/console/people/tomas/tokens", data={"csrf": csrf, "name": "Bot"})
    token = _secret(issued.text)
    page = (await admin.get("/console/people/tomas")).text
    assert token not in page
    assert token[:7] in page  # its first characters tell it apart
    (row,) = await app.state.api_tokens.tokens("tomas")
    client = await browser()
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/tickets", headers=bearer)).status_code == 200
    wrong_person = await admin.post(
        f"/console/people/lea/tokens/{row.id}/revoke", data={"csrf": csrf}
    )
    assert wrong_person.status_code == 404  # a token is revoked under its own person only
    assert (await client.get("/api/v1/tickets", headers=bearer)).status_code == 200
    revoked = await admin.post(f"/console/people/tomas/tokens/{row.id}/revoke", data={"csrf": csrf})
    assert revoked.headers["location"] == "/console/people/tomas?done=revoked"
    assert (await client.get("/api/v1/tickets", headers=bearer)).status_code == 401
    audit: AuditLog = app.state.audit
    assert [e.data for e in await audit.recent(action="token_revoked")] == [{"token": row.id}]


async def test_a_reset_password_signs_the_person_out_and_is_shown_once(
    browser: Browser, app: FastAPI
) -> None:
    admin, csrf = await _admin(browser)
    devi, _ = await _signed_in(browser, "devi")
    reset = await admin.post("/console/people/devi/password", data={"csrf": csrf})
    given = _secret(reset.text)
    assert (await devi.get("/api/v1/supervisor")).status_code == 401
    _, old = await _signed_in(browser, "devi")
    assert old.status_code == 401
    _, new = await _signed_in(browser, "devi", given)
    assert new.headers["location"] == "/console/password"
    assert await _actions(app, "devi") == ["password_reset"]


async def test_changes_need_the_csrf_token_and_keep_an_admin(
    browser: Browser, app: FastAPI
) -> None:
    admin, csrf = await _admin(browser)
    for path, data in (
        ("/console/people/lea/disable", {}),
        ("/console/people/lea", {"name": "L", "role": "admin", "tier": "1"}),
        ("/console/people", {"id": "eve", "role": "admin", "tier": "1"}),
    ):
        forged = await admin.post(path, data={**data, "csrf": "forged"})
        assert (forged.status_code, forged.json()["error"]["code"]) == (403, "csrf")
    lea = await app.state.people.get("lea")
    assert (lea.enabled, lea.role.value) == (True, "agent")
    assert [p.id for p in await app.state.people.everyone()].count("eve") == 0
    demoted = await admin.post(
        "/console/people/admin", data={"csrf": csrf, "name": "Desk Admin", "role": "agent"}
    )
    assert demoted.status_code == 409
    assert "at least one enabled admin" in demoted.text
    itself = await admin.post("/console/people/admin/disable", data={"csrf": csrf})
    assert itself.status_code == 409
    assert (await app.state.people.get("admin")).role.value == "admin"
    bad = await admin.post(
        "/console/people", data={"csrf": csrf, "id": "Bad Name", "role": "agent", "tier": "1"}
    )
    assert bad.status_code == 422
    assert await _actions(app, "admin") == []


async def test_only_admins_reach_people_and_the_audit_log(browser: Browser) -> None:
    devi, _ = await _signed_in(browser, "devi")
    for path in ("/console/people", "/console/people/lea", "/console/audit"):
        page = await devi.get(path)
        assert (page.status_code, "Not for your role" in page.text) == (403, True)
    admin, _ = await _admin(browser)
    assert "People" in (await admin.get("/console")).text  # the bar links to it
    assert 'href="/console/people"' not in (await devi.get("/console")).text


async def test_views_of_verified_topics_are_audited_and_listed_for_admins(
    browser: Browser, app: FastAPI
) -> None:
    store: ConversationStore = app.state.store
    tickets: TicketService = app.state.tickets
    numbers = {}
    for topic in ("charged_twice", "human_request"):
        await store.record_inbound(InboundMessage(topic, "api", "help"), "en")
        decision = route(topic, 1.0, "help", "en", None, handoff=True).as_dict()
        opened = await tickets.open_from_handoff(
            topic, decision, channel="api", lang="en", plan=None
        )
        numbers[topic] = opened.ticket.number
    assert "charged_twice" in policy.VERIFY_TOPICS
    assert "human_request" not in policy.VERIFY_TOPICS
    sam, _ = await _signed_in(browser, "sam")
    for number in numbers.values():
        assert (await sam.get(f"/api/v1/tickets/{number}")).status_code == 200
    audit: AuditLog = app.state.audit
    (viewed,) = await audit.recent(action="ticket_viewed")
    assert (viewed.actor, viewed.subject) == ("sam", numbers["charged_twice"])
    assert viewed.data == {"topic": "charged_twice", "via": "session"}
    admin, _ = await _admin(browser)
    page = await admin.get("/console/audit?action=ticket_viewed")
    assert numbers["charged_twice"] in page.text
    assert numbers["human_request"] not in page.text
    everything = await admin.get("/console/audit")
    assert "signed in" in everything.text
    assert "sign in failed" not in everything.text

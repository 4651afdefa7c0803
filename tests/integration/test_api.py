"""The REST endpoint through the whole app: storage first, errors named, Rasa outages survived."""

from __future__ import annotations

import io

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from bot.conversations.store import ConversationStore
from bot.db import session_factory
from bot.db.models import MessageStatus, utcnow
from bot.runtime.demo import seed_demo
from bot.triage import sla
from bot.triage.routing import route
from channels.base import InboundMessage
from tests.images import png
from tests.integration.conftest import start_chat

URL = "/api/v1/conversations/{}/messages"


def _store(app: FastAPI) -> ConversationStore:
    store: ConversationStore = app.state.store
    return store


async def test_with_rasa_down_the_message_is_stored_and_503_explains(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    chat = await start_chat(client)
    response = await client.post(chat.messages, json={"text": "hola"}, headers=chat.headers)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "assistant_unavailable"
    (stored,) = await _store(app).history(chat.id)  # the first message created it
    assert (stored.text, stored.lang, stored.status) == ("hola", "es", MessageStatus.FAILED)
    assert stored.error


async def test_declared_language_wins_over_detection(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    chat = await start_chat(client)
    await client.post(chat.messages, json={"text": "hello", "lang": "fr"}, headers=chat.headers)
    (stored,) = await _store(app).history(chat.id)
    assert stored.lang == "fr"


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b'{"text": "hi"', 400, "malformed_json"),
        (b'{"text": "\xc3\x28"}', 400, "invalid_utf8"),
        (b"{}", 422, "missing_text"),
        (b'{"text": "   "}', 422, "empty_text"),
        (b'{"text": "' + b"a" * 4097 + b'"}', 413, "text_too_long"),
    ],
)
async def test_bad_input_is_refused_with_a_named_error_and_nothing_stored(
    client: httpx.AsyncClient, app: FastAPI, content: bytes, status: int, code: str
) -> None:
    chat = await start_chat(client)
    response = await client.post(
        chat.messages,
        content=content,
        headers={"content-type": "application/json", **chat.headers},
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert await _store(app).history(chat.id) == []


async def test_invalid_conversation_id_is_422(client: httpx.AsyncClient) -> None:
    chat = await start_chat(client)
    response = await client.post(
        URL.format("has%20space"), json={"text": "hi"}, headers=chat.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "path.conversation_id"


async def test_unknown_route_uses_the_same_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_history_lists_stored_messages(client: httpx.AsyncClient) -> None:
    chat = await start_chat(client)
    await client.post(chat.messages, json={"text": "first"}, headers=chat.headers)
    await client.post(chat.messages, json={"text": "second"}, headers=chat.headers)
    history = (await client.get(chat.messages, headers=chat.headers)).json()
    assert [(m["direction"], m["text"]) for m in history] == [
        ("inbound", "first"),
        ("inbound", "second"),
    ]
    assert history[0]["created_at"].endswith("+00:00")


async def test_healthz_is_alive_even_when_dependencies_are_down(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_names_the_failing_dependency(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["rasa"].startswith("error")
    assert (checks["database"], checks["redis"]) == ("ok", "ok")


async def test_secrets_never_reach_the_transcript(client: httpx.AsyncClient, app: FastAPI) -> None:
    text = "card 4242 4242 4242 4242, my password is hunter2, code 123456"
    chat = await start_chat(client)
    await client.post(chat.messages, json={"text": text}, headers=chat.headers)
    (stored,) = await _store(app).history(chat.id)
    assert stored.text == "card [card number], my password is [password], code [code]"


PNG = png((24, 12), (75, 43, 214))


async def test_a_screenshot_is_stored_served_and_joins_the_ticket(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await seed_demo(session_factory(app.state.engine))
    chat = await start_chat(client)
    await app.state.store.record_inbound(InboundMessage(chat.id, "webchat", "help"), "en")
    decision = route("bug_report", 1.0, "bug", "en", None, handoff=True).as_dict()
    opened = await app.state.tickets.open_from_handoff(
        chat.id, decision, channel="webchat", lang="en", plan=None
    )
    response = await client.post(chat.uploads, content=PNG, headers=chat.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["content_type"] == "image/png"
    served = await client.get(body["url"])
    with Image.open(io.BytesIO(served.content)) as image:  # re-encoded: the same pixels
        assert (image.format, image.size) == ("PNG", (24, 12))
        assert image.convert("RGB").getpixel((3, 3)) == (75, 43, 214)
    transcript = await app.state.tickets.transcript(opened.ticket.number or "")
    assert transcript[-1].meta["image"] == body["url"]
    history = (await client.get(chat.messages, headers=chat.headers)).json()
    assert history[-1]["image"] == body["url"]


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"MZ\x90\x00 this is an exe", 422, "not_an_image"),
        (b"<svg onload=alert(1)>", 422, "not_an_image"),
        (PNG + b"\x00" * (5 * 1024 * 1024), 413, "upload_too_large"),
    ],
)
async def test_uploads_that_are_refused(
    client: httpx.AsyncClient, app: FastAPI, content: bytes, status: int, code: str
) -> None:
    chat = await start_chat(client)
    response = await client.post(chat.uploads, content=content, headers=chat.headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert await _store(app).history(chat.id) == []


async def test_only_stored_uploads_can_be_fetched(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/uploads/" + "0" * 32 + ".png")).status_code == 404
    assert (await client.get("/api/v1/uploads/..%2F..%2Fetc%2Fpasswd")).status_code in (404, 422)


async def test_desk_status_follows_hours_and_presence(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await seed_demo(session_factory(app.state.engine))
    before = (await client.get("/api/v1/desk/status")).json()
    assert before["live_chat"] is False  # nobody online
    await app.state.tickets.set_presence("lea", True)
    after = (await client.get("/api/v1/desk/status")).json()
    assert after["business_hours"] == sla.is_business_time(utcnow())
    assert after["live_chat"] == after["business_hours"]  # open exactly when hours allow

"""Issue 16, item 8 (REST, web chat, uploads): per client address and per conversation, counted
in Redis so every hub enforces one limit; 429 with Retry-After. On main only the web chat had
a flood counter, in one hub's memory; REST and uploads took anything from anyone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from bot.http.app import create_app
from bot.settings import Settings
from tests.images import png
from tests.integration.conftest import start_chat
from tests.security.conftest import Socket

WINDOW_S = 60


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Small limits, so that a test reaches each of them."""
    return settings.model_copy(
        update={
            "rate_window_s": WINDOW_S,
            "rate_messages_per_conversation": 3,
            "rate_messages_per_address": 5,
            "rate_conversations_per_address": 6,
            "rate_uploads_per_conversation": 2,
            "rate_uploads_per_address": 3,
        }
    )


def _from(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://hub.test")


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= WINDOW_S


async def test_messages_per_conversation(client: httpx.AsyncClient, app: FastAPI) -> None:
    chat = await start_chat(client)
    for number in range(3):
        sent = await client.post(chat.messages, json={"text": f"m{number}"}, headers=chat.headers)
        assert sent.status_code == 503  # taken and stored (Rasa is down here)
    _refused(await client.post(chat.messages, json={"text": "m3"}, headers=chat.headers))
    assert [m.text for m in await app.state.store.history(chat.id)] == ["m0", "m1", "m2"]
    other = await start_chat(client)  # another conversation of the same address still talks
    sent = await client.post(other.messages, json={"text": "hi"}, headers=other.headers)
    assert sent.status_code == 503


async def test_messages_per_address_across_conversations(app: FastAPI) -> None:
    async with _from(app, "198.51.100.7") as flooder, _from(app, "203.0.113.9") as neighbour:
        chats = [await start_chat(flooder) for _ in range(3)]
        codes = [
            (await flooder.post(chat.messages, json={"text": "x"}, headers=chat.headers))
            for chat in chats + chats
        ]
        assert [c.status_code for c in codes[:5]] == [503] * 5
        _refused(codes[5])
        # Another address is not held back by the flooder.
        mine = await start_chat(neighbour)
        sent = await neighbour.post(mine.messages, json={"text": "hi"}, headers=mine.headers)
        assert sent.status_code == 503


async def test_new_conversations_per_address(app: FastAPI) -> None:
    async with _from(app, "198.51.100.8") as client:
        for _ in range(6):
            assert (await client.post("/api/v1/conversations")).status_code == 201
        _refused(await client.post("/api/v1/conversations"))


PNG = png((8, 8), (1, 2, 3))


async def test_uploads_per_conversation_and_per_address(app: FastAPI) -> None:
    async with _from(app, "198.51.100.9") as client:
        first, second = await start_chat(client), await start_chat(client)
        for _ in range(2):
            ok = await client.post(first.uploads, content=PNG, headers=first.headers)
            assert ok.status_code == 200
        _refused(await client.post(first.uploads, content=PNG, headers=first.headers))
        # Refused uploads count too: this is the address's fourth, over its limit of three.
        _refused(await client.post(second.uploads, content=PNG, headers=second.headers))


async def test_every_hub_counts_against_one_limit(settings: Settings, app: FastAPI) -> None:
    """Two hubs on one Redis: a client cannot double its allowance by alternating."""
    other = create_app(settings)
    address = "198.51.100.10"
    async with (
        other.router.lifespan_context(other),
        _from(app, address) as one,
        _from(other, address) as two,
    ):
        chat = await start_chat(one)
        statuses = []
        for hub in (one, two, one, two):
            sent = await hub.post(chat.messages, json={"text": "x"}, headers=chat.headers)
            statuses.append(sent.status_code)
        assert statuses == [503, 503, 503, 429]


async def test_without_redis_the_public_api_fails_closed(settings: Settings) -> None:
    settings.redis_url = "redis://127.0.0.1:9/0"  # nothing listens there
    hub = create_app(settings)
    async with hub.router.lifespan_context(hub), _from(hub, "198.51.100.11") as client:
        response = await client.post("/api/v1/conversations")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "no_redis"


@pytest.fixture
async def socket() -> AsyncIterator[Socket]:
    opened = Socket()
    yield opened
    await opened.client.disconnect()


async def test_a_web_chat_flood_is_kept_and_told_to_slow_down(
    hub_url: str, app: FastAPI, socket: Socket
) -> None:
    confirmed = await socket.open(hub_url)
    for number in range(5):
        await socket.client.emit("user_uttered", {"message": f"hi {number}"})
    notices = await socket.wait("bot_uttered", 5)
    assert sum("very fast" in n["text"] for n in notices) == 2  # the 4th and 5th
    stored = await app.state.store.history(confirmed["session_id"])
    assert sorted(m.text for m in stored) == [f"hi {n}" for n in range(5)]  # none lost
    assert sum(m.error == "rate limited: not sent to the assistant" for m in stored) == 2


async def test_web_chat_sessions_per_address(hub_url: str) -> None:
    sockets = [Socket() for _ in range(7)]
    try:
        for opened in sockets[:6]:
            await opened.open(hub_url)
        last = sockets[6]
        await last.client.connect(hub_url, transports=["websocket"])
        await last.client.emit("session_request", {})
        (error,) = await last.wait("error")
        assert error["code"] == "rate_limited"
        assert 1 <= error["retry_after"] <= WINDOW_S
        assert last.events["session_confirm"] == []
    finally:
        for opened in sockets:
            await opened.client.disconnect()

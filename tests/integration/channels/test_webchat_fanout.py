"""Two hubs, one Redis: a reply sent by one hub reaches a customer connected to the other
(python-socketio's Redis manager over the real Redis)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
import socketio
import uvicorn
from fastapi import FastAPI

from bot.runtime.launcher import free_port
from bot.security.tokens import ConversationTokens
from channels.base import InboundMessage, OutboundMessage
from channels.webchat.server import WebchatServer
from tests.conftest import REDIS_URL


async def _no_reply(message: InboundMessage) -> tuple[Sequence[OutboundMessage], str | None]:
    return [], None


async def _keep(message: InboundMessage, why: str) -> None:
    return None


async def _no_typing(session_id: str) -> None:
    return None


async def _no_limit(action: str, address: str, session_id: str) -> float | None:
    return None


@pytest.fixture
async def hubs(redis: Any) -> AsyncIterator[list[tuple[WebchatServer, int]]]:
    running = []
    servers = []
    for _ in range(2):
        chat = WebchatServer(
            _no_reply,
            _keep,
            _no_typing,
            tokens=ConversationTokens(b"fan-out key"),
            wait=_no_limit,
            languages=("en",),
            redis_url=REDIS_URL,
        )
        app = FastAPI()
        app.mount("/socket.io", chat.asgi_app())
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        servers.append((server, asyncio.create_task(server.serve())))
        running.append((chat, port))
    async with asyncio.timeout(10):
        # uvicorn exposes only a `started` flag, no event to await.
        while not all(server.started for server, _ in servers):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    yield running
    for server, task in servers:
        server.should_exit = True
        await task


async def test_a_reply_from_another_hub_reaches_the_customer(
    hubs: list[tuple[WebchatServer, int]],
) -> None:
    (_, port_a), (hub_b, _) = hubs
    client = socketio.AsyncClient(reconnection=False)
    received: asyncio.Queue[Any] = asyncio.Queue()
    client.on("bot_uttered", received.put)
    confirmed: asyncio.Queue[Any] = asyncio.Queue()
    client.on("session_confirm", confirmed.put)
    await client.connect(f"http://127.0.0.1:{port_a}", transports=["websocket"])
    try:
        await client.emit("session_request", {"session_id": None})
        session_id = (await asyncio.wait_for(confirmed.get(), 10))["session_id"]
        await asyncio.sleep(0.5)  # the Redis manager's listener subscribes in the background
        await hub_b.send(OutboundMessage(session_id, "from hub B", sender="agent"))
        arrived = await asyncio.wait_for(received.get(), 10)
        assert arrived == {
            "text": "from hub B",
            "metadata": {"sender": "agent", "html": "<p>from hub B</p>\n"},
        }
    finally:
        await client.disconnect()

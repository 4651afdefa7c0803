"""The security suite's fixtures. Attacks on the hub alone use the integration fixtures (`app`,
`client`: SQLite, the real Redis, Rasa down) and the same app served by uvicorn on 127.0.0.1 for
socket.io clients (`hub_url`); attacks on the whole desk use tests/e2e's `desk`."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
import uvicorn
from fastapi import FastAPI

from bot.runtime.launcher import free_port
from tests.e2e.conftest import RunningDesk, desk, desk_env, mail
from tests.integration.conftest import app, client

# Fixtures shared from the e2e and integration suites, and this suite's own.
__all__ = [
    "Socket",
    "app",
    "client",
    "desk",
    "desk_env",
    "hub_url",
    "mail",
    "rasa_url",
    "redis_url",
]


def _banner(desk: RunningDesk, name: str, pattern: str) -> str:
    found = re.search(rf"\|\s+{name}\s+({pattern})", desk.log.read_text())
    assert found is not None, f"no {name} address in the desk's banner"
    return found.group(1)


def rasa_url(desk: RunningDesk) -> str:
    """Where the desk's Rasa listens, as its banner says."""
    return _banner(desk, "rasa", r"http://\S+")


def redis_url(desk: RunningDesk) -> str:
    """The desk's embedded Redis, as its banner says."""
    return _banner(desk, "redis", r"redis://\S+")


WAIT_S = 10


@pytest.fixture
async def hub_url(app: FastAPI) -> AsyncIterator[str]:
    """`app` (already started) behind a real uvicorn on a free loopback port."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:  # noqa: ASYNC110 - uvicorn has only a flag to wait on
            await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


class Socket:
    """One web chat client (python-socketio) and what arrived on it, by event."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, list[Any]] = defaultdict(list)
        self._arrived = asyncio.Event()
        for name in ("session_confirm", "bot_uttered", "handoff", "error"):
            self.client.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Any:
        async def record(data: Any = None) -> None:
            self.events[name].append(data)
            self._arrived.set()

        return record

    async def wait(self, name: str, count: int = 1) -> list[Any]:
        """Until `count` events of `name` arrived (bounded)."""
        async with asyncio.timeout(WAIT_S):
            while len(self.events[name]) < count:
                self._arrived.clear()
                if len(self.events[name]) >= count:
                    break
                await self._arrived.wait()
        return self.events[name]

    async def wait_any(self, names: tuple[str, ...], count: int = 1) -> None:
        """Until `count` events of any of `names` arrived in all (bounded)."""
        async with asyncio.timeout(WAIT_S):
            while sum(len(self.events[name]) for name in names) < count:
                self._arrived.clear()
                if sum(len(self.events[name]) for name in names) >= count:
                    break
                await self._arrived.wait()

    async def open(self, url: str, ask: dict[str, Any] | None = None) -> dict[str, str]:
        """Connect and request a session (`ask`: the id and token to resume); the confirmation."""
        await self.client.connect(url, transports=["websocket"])
        await self.client.emit("session_request", ask or {})
        (confirmed,) = await self.wait("session_confirm")
        assert isinstance(confirmed, dict)
        return confirmed

"""The security suite's fixtures. Attacks on the hub alone use the integration fixtures (`app`,
`client`: SQLite, the real Redis, Rasa down) and the same app served by uvicorn on 127.0.0.1 for
socket.io clients (`hub_url`); attacks on the whole desk use tests/e2e's `desk`. The fuzzing of
the platforms' webhooks runs on a hub with every platform configured, on PostgreSQL (`hub`,
`hub_client`)."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import socketio
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import text

from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.http.app import create_app
from bot.runtime.launcher import free_port
from bot.settings import Settings
from tests.conftest import POSTGRES_URL
from tests.e2e.conftest import RunningDesk, desk, desk_env, mail
from tests.fakes import graph_api as meta
from tests.fakes import slack_api as sl
from tests.fakes import telegram_api as tg
from tests.fakes import x_api as xf
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


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A database URL on a new PostgreSQL schema of its own, dropped afterwards."""
    schema = f"fuzz_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        await admin.dispose()
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable ({exc}); .ci/run starts it")
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    yield url
    async with admin.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await admin.dispose()


@pytest.fixture
async def hub(settings: Settings, postgres_url: str, redis: Redis) -> AsyncIterator[FastAPI]:
    """The hub on PostgreSQL (the strict backend: it refuses NUL characters and over-long ids
    where SQLite would take them) and the real Redis, Rasa down, with Telegram, Slack, X,
    Messenger and Instagram on their local fakes: what the fuzzing of the webhooks attacks."""
    async with AsyncExitStack() as stack:
        telegram = await stack.enter_async_context(tg.FakeTelegram())
        slack = await stack.enter_async_context(sl.FakeSlack())
        x = await stack.enter_async_context(xf.FakeX())
        graph = await stack.enter_async_context(meta.FakeGraph())
        configured = settings.model_copy(
            update={
                "database_url": postgres_url,
                "telegram_bot_token": SecretStr(tg.TOKEN),
                "telegram_webhook_secret": SecretStr(tg.SECRET),
                "telegram_api_url": telegram.base_url,
                "slack_bot_token": SecretStr(sl.TOKEN),
                "slack_signing_secret": SecretStr(sl.SIGNING_SECRET),
                "slack_api_url": slack.base_url,
                "x_consumer_key": xf.CONSUMER_KEY,
                "x_consumer_secret": SecretStr(xf.CONSUMER_SECRET),
                "x_access_token": SecretStr(xf.ACCESS_TOKEN),
                "x_access_token_secret": SecretStr(xf.ACCESS_TOKEN_SECRET),
                "x_bot_user_id": xf.BOT["id"],
                "x_api_url": x.base_url,
                "meta_app_secret": SecretStr(meta.APP_SECRET),
                "meta_verify_token": SecretStr(meta.VERIFY_TOKEN),
                "messenger_page_token": SecretStr(meta.PAGE_TOKEN),
                "instagram_token": SecretStr(meta.INSTAGRAM_TOKEN),
                "meta_page_id": meta.PAGE_ID,
                "instagram_account_id": meta.INSTAGRAM_ACCOUNT_ID,
                "meta_graph_url": graph.base_url,
            }
        )
        app = create_app(configured)
        async with app.router.lifespan_context(app):
            yield app


@pytest.fixture
async def hub_client(hub: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of `hub`; what the app raises is the 500 a platform would get."""
    transport = httpx.ASGITransport(app=hub, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http

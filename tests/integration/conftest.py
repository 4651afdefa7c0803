from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.http.app import create_app
from bot.settings import Settings


@pytest.fixture
async def app(settings: Settings, redis: Redis) -> AsyncIterator[FastAPI]:
    """The hub on a migrated SQLite file and the real Redis (emptied after the test, rate
    limits with it); Rasa is down (discard port)."""
    engine = create_engine(settings.effective_database_url)
    await upgrade(engine)
    await engine.dispose()
    hub = create_app(settings)
    async with hub.router.lifespan_context(hub):
        yield hub


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


@dataclass(frozen=True)
class Chat:
    """A conversation a customer started over the REST API, and the token that opens it."""

    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def messages(self) -> str:
        return f"/api/v1/conversations/{self.id}/messages"

    @property
    def uploads(self) -> str:
        return f"/api/v1/conversations/{self.id}/uploads"


async def start_chat(client: httpx.AsyncClient) -> Chat:
    """POST /api/v1/conversations, as the README's first command."""
    response = await client.post("/api/v1/conversations")
    assert response.status_code == 201, response.text
    body = response.json()
    return Chat(body["conversation_id"], body["token"])

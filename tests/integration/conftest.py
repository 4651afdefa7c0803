from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.http.app import create_app
from bot.settings import Settings


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The hub on a migrated SQLite file and the real Redis; Rasa is down (discard port)."""
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

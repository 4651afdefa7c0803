from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from bot.http.app import create_app
from bot.settings import Settings


@asynccontextmanager
async def hub_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    hub = create_app(settings)
    async with hub.router.lifespan_context(hub):
        transport = httpx.ASGITransport(app=hub)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
            yield client


async def test_readyz_reports_redis_unreachable(settings: Settings) -> None:
    settings.redis_url = "redis://127.0.0.1:9/0"
    async with hub_client(settings) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


async def test_readyz_reports_redis_not_configured(settings: Settings) -> None:
    settings.redis_url = ""
    async with hub_client(settings) as client:
        response = await client.get("/readyz")
    assert response.json()["checks"]["redis"] == "error: RuntimeError: REDIS_URL is not set"

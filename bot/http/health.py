"""Liveness and readiness: is the hub up, and can it reach Rasa, the database and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.rasa.client import RasaClient

CHECK_TIMEOUT_S = 3.0

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The hub process is alive."""
    return {"status": "ok"}


async def _check(probe: Callable[[], Awaitable[object]]) -> str:
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_S)
    except TimeoutError:
        return f"error: no answer within {CHECK_TIMEOUT_S:g} s"
    except Exception as exc:  # any failure of a dependency is a "not ready", reported by name
        return f"error: {type(exc).__name__}: {exc}"
    return "ok"


async def _database(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _redis(client: Redis | None) -> None:
    if client is None:
        raise RuntimeError("REDIS_URL is not set")
    await client.ping()


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 when Rasa (with a model), the database and Redis answer; else 503 naming the failures."""
    state = request.app.state
    rasa: RasaClient = state.rasa
    names = ("rasa", "database", "redis")
    results = await asyncio.gather(
        _check(rasa.status),
        _check(lambda: _database(state.engine)),
        _check(lambda: _redis(state.redis)),
    )
    checks = dict(zip(names, results, strict=True))
    ready = all(result == "ok" for result in results)
    return JSONResponse(
        {"status": "ready" if ready else "unready", "checks": checks},
        status_code=200 if ready else 503,
    )

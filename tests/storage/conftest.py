"""Every storage test runs twice: on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import create_engine
from bot.db.migrate import upgrade
from tests.conftest import POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
async def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
        yield engine
        await engine.dispose()
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        await admin.dispose()
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable ({exc}); .ci/run starts it")
    engine = create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    yield engine
    await engine.dispose()
    async with admin.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await admin.dispose()


@pytest.fixture
async def engine(bare_engine: AsyncEngine) -> AsyncEngine:
    """An engine on a database migrated to the newest schema."""
    await upgrade(bare_engine)
    return bare_engine

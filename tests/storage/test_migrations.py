from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.migrate import downgrade, upgrade
from bot.db.models import Base


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_upgrade_creates_every_model_table(bare_engine: AsyncEngine) -> None:
    await upgrade(bare_engine)
    assert set(Base.metadata.tables) <= await _tables(bare_engine)


async def test_migrations_round_trip(bare_engine: AsyncEngine) -> None:
    await upgrade(bare_engine)
    await downgrade(bare_engine, "base")
    assert not set(Base.metadata.tables) & await _tables(bare_engine)
    await upgrade(bare_engine)  # and back up again from an empty schema
    assert set(Base.metadata.tables) <= await _tables(bare_engine)


async def test_upgrade_is_idempotent(bare_engine: AsyncEngine) -> None:
    await upgrade(bare_engine)
    await upgrade(bare_engine)
    assert set(Base.metadata.tables) <= await _tables(bare_engine)

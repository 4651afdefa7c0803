from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
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


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    """A column or table added to the models without a migration shows up here."""

    def differences(sync: Any) -> list[Any]:
        context = MigrationContext.configure(sync, opts={"compare_type": False})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        diff = await connection.run_sync(differences)
    # Named foreign keys added in batch mode are reported by name only on some backends.
    assert [d for d in diff if d[0] not in ("add_fk", "remove_fk")] == []

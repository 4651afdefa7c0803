"""Migration 0010 adds the help centre's votes and takes them away again, leaving 0009's
schema as it was; a vote written through the model reads back (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import session_factory
from bot.db.migrate import downgrade, upgrade
from bot.db.models import HelpVote


async def _columns(engine: AsyncEngine) -> dict[str, list[str]]:
    def read(sync: object) -> dict[str, list[str]]:
        found = inspect(sync)
        return {t: [c["name"] for c in found.get_columns(t)] for t in found.get_table_names()}

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def test_0010_adds_help_votes_and_reverts_cleanly(bare_engine: AsyncEngine) -> None:
    await upgrade(bare_engine, "0009")
    before = await _columns(bare_engine)
    assert "help_votes" not in before
    await upgrade(bare_engine, "0010")
    after = await _columns(bare_engine)
    assert after["help_votes"] == ["id", "article_id", "lang", "helpful", "at"]
    await downgrade(bare_engine, "0009")
    assert await _columns(bare_engine) == before


async def test_a_vote_reads_back(engine: AsyncEngine) -> None:
    async with session_factory(engine).begin() as session:
        session.add(HelpVote(article_id="refund-policy", lang="fr", helpful=False))
    async with session_factory(engine)() as session:
        vote = (await session.execute(select(HelpVote))).scalar_one()
    assert (vote.article_id, vote.lang, vote.helpful) == ("refund-policy", "fr", False)
    assert vote.at.tzinfo is not None

"""The record of platform deliveries on SQLite and PostgreSQL: it outlives Redis, decides races
between hubs, forgets what failed, and is pruned after the retention window."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations.replays import PRUNE_EVERY, RETENTION, DeliveryLog
from bot.db import create_engine, session_factory
from bot.db.models import SeenDelivery
from tests.clock import Clock

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


async def _rows(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(SeenDelivery)) or 0)


async def test_a_delivery_is_new_once_even_after_redis_is_flushed(
    engine: AsyncEngine, redis: Redis
) -> None:
    log = DeliveryLog(session_factory(engine), redis, Clock(NOW))
    assert await log.seen("telegram:41") is False
    assert await log.seen("telegram:41") is True  # Redis answers
    await redis.flushdb()
    assert await log.seen("telegram:41") is True  # the database does
    restarted = DeliveryLog(session_factory(engine), None, Clock(NOW))  # another hub, no Redis
    assert await restarted.seen("telegram:41") is True
    assert await restarted.seen("messenger:m_41") is False  # ids are per channel


async def test_two_hubs_taking_the_same_delivery_at_once_process_it_once(
    engine: AsyncEngine,
) -> None:
    hubs = [DeliveryLog(session_factory(engine), None, Clock(NOW)) for _ in range(4)]
    answers = await asyncio.gather(*(hub.seen("twitter:1859999999999999999") for hub in hubs))
    assert sorted(answers) == [False, True, True, True]


async def test_a_forgotten_delivery_is_processed_again(engine: AsyncEngine, redis: Redis) -> None:
    log = DeliveryLog(session_factory(engine), redis, Clock(NOW))
    assert await log.seen("slack:T1:D1:1.000001") is False
    await log.forget("slack:T1:D1:1.000001")  # handling failed before the message was stored
    assert await redis.exists("seen:slack:T1:D1:1.000001") == 0
    assert await log.seen("slack:T1:D1:1.000001") is False
    assert await _rows(engine) == 1


async def test_ids_are_pruned_after_the_retention_window(engine: AsyncEngine) -> None:
    clock = Clock(NOW)
    log = DeliveryLog(session_factory(engine), None, clock)
    await log.seen("telegram:1")
    clock.now = NOW + RETENTION - timedelta(minutes=1)
    await log.seen("telegram:2")  # prunes nothing yet: telegram:1 is within the window
    assert await _rows(engine) == 2
    clock.now = NOW + RETENTION + PRUNE_EVERY
    await log.seen("telegram:3")  # the next record prunes what is past the window
    assert await _rows(engine) == 2
    assert await log.prune() == 0
    clock.now += RETENTION + timedelta(seconds=1)
    assert await log.prune() == 2
    assert await _rows(engine) == 0


async def test_a_delivery_the_database_did_not_record_is_not_seen_by_redis(
    redis: Redis, tmp_path: Path
) -> None:
    """The database is down (here: not migrated): the webhook fails, the platform retries, and
    the retry must not be dropped by the Redis half of a record that never happened."""
    broken = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    log = DeliveryLog(session_factory(broken), redis, Clock(NOW))
    with pytest.raises(OperationalError):
        await log.seen("telegram:77")
    assert await redis.exists("seen:telegram:77") == 0
    await broken.dispose()

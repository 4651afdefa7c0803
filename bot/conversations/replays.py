"""Which platform deliveries the desk has taken, so that a redelivery or a replay is dropped.

Redis (`SET NX`) answers first and fast; the database's primary key is the record: a delivery
is new only when both say so, so after a Redis flush or restart a redelivered, validly signed
update is still processed once, and two hubs taking the same delivery at once agree on which
one does. Ids are kept for `RETENTION`, longer than any platform's freshness window (its
`max_age`), so every replay is dropped by its id or by its time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from redis.asyncio import Redis
from sqlalchemy import CursorResult, delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import insert_ignoring_duplicates
from bot.db.models import SeenDelivery, utcnow

log = logging.getLogger(__name__)
RETENTION = timedelta(days=7)  # platforms retry for hours at most; a week is plenty
PRUNE_EVERY = timedelta(hours=1)  # rows past the retention go at most this long after it


class DeliveryLog:
    """Records delivery ids; `seen` is the adapters' `Seen` callback."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis | None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._redis = redis
        self._clock = clock
        self._pruned_at: datetime | None = None

    @staticmethod
    def _key(delivery_id: str) -> str:
        return f"seen:{delivery_id}"

    async def seen(self, delivery_id: str) -> bool:
        """Record a delivery; True when it was recorded before (a platform retry, a replay)."""
        if self._redis is not None:
            fresh = await self._redis.set(
                self._key(delivery_id), 1, nx=True, ex=int(RETENTION.total_seconds())
            )
            if not fresh:
                return True
        now = self._clock()
        try:
            async with self._sessions.begin() as session:
                recorded = await insert_ignoring_duplicates(
                    session, SeenDelivery, {"id": delivery_id, "seen_at": now}
                )
                if recorded and (self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY):
                    await self._prune(session, now)
                    self._pruned_at = now
        except BaseException:  # not recorded: the platform's retry must be processed
            if self._redis is not None:
                await self._redis.delete(self._key(delivery_id))
            raise
        return not recorded

    async def forget(self, delivery_id: str) -> None:
        """Let a delivery be processed again (handling it failed before it was stored)."""
        async with self._sessions.begin() as session:
            await session.execute(delete(SeenDelivery).where(SeenDelivery.id == delivery_id))
        if self._redis is not None:
            await self._redis.delete(self._key(delivery_id))

    async def prune(self) -> int:
        """Drop the ids kept past `RETENTION`; how many went."""
        now = self._clock()
        async with self._sessions.begin() as session:
            return await self._prune(session, now)

    @staticmethod
    async def _prune(session: AsyncSession, now: datetime) -> int:
        result = await session.execute(
            delete(SeenDelivery).where(SeenDelivery.seen_at < now - RETENTION)
        )
        pruned = cast(CursorResult[Any], result).rowcount
        if pruned:
            log.info("%d delivery ids older than %s pruned", pruned, RETENTION)
        return pruned

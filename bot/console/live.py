"""The live feed of the consoles: what changed, published on Redis so every hub's consoles hear it.

Events say *what* changed (a ticket number, a kind), never customer text: a console that cares
fetches the ticket again through the API, which checks who is asking.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

log = logging.getLogger(__name__)
CHANNEL = "console:events"


class Subscription:
    """One console's subscription: `next()` waits for the next event, or gives up (None)."""

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def next(self, timeout_s: float) -> dict[str, Any] | None:
        """The next event within `timeout_s`, else None (time for a keep-alive)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            raw = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if raw is None:
                continue
            try:
                event = json.loads(raw["data"])
            except (TypeError, ValueError):
                log.warning("ignored a malformed console event")
                continue
            if isinstance(event, dict):
                return event
        return None


class LiveFeed:
    """Publishes ticket events to every console of every hub, through Redis pub/sub."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def publish(self, event: dict[str, Any]) -> None:
        """Tell every console; a Redis hiccup never fails the operation that caused the event."""
        try:
            await self._redis.publish(CHANNEL, json.dumps(event))
        except Exception as exc:  # the ticket change is stored; consoles catch up on reload
            log.warning("console event %s not published: %s", event.get("kind"), exc)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        """A subscription for the lifetime of the block."""
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(CHANNEL)
        try:
            yield Subscription(pubsub)
        finally:
            await pubsub.unsubscribe(CHANNEL)
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py lacks the hint

"""Rate limits of the public surfaces, counted in Redis so that every hub enforces one limit:
a fixed window per (limit, key), e.g. messages per client address per minute."""

from __future__ import annotations

import math
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.errors import ServiceUnavailable, TooManyRequests

PREFIX = "limit"


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `count` hits per `window_s` seconds for one key; `what` names it to the caller."""

    name: str
    count: int
    window_s: int
    what: str


class RateLimiter:
    """Counts hits; refuses (429 with `retry_after`) once any of a request's limits is over."""

    def __init__(self, redis: Redis | None) -> None:
        self._redis = redis

    async def hit(self, *checks: tuple[Limit, str]) -> None:
        """Count one hit on each `(limit, key)`; raise `TooManyRequests` if any is over, with
        the longest wait. Fails closed: no Redis, no public traffic (503)."""
        if self._redis is None:
            raise ServiceUnavailable("rate limits need Redis (REDIS_URL)", code="no_redis")
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                for limit, key in checks:
                    name = f"{PREFIX}:{limit.name}:{key}"
                    pipe.incr(name)
                    pipe.expire(name, limit.window_s, nx=True)  # the window starts at its first hit
                    pipe.pttl(name)
                results = await pipe.execute()
        except RedisError as exc:
            raise ServiceUnavailable("rate limits unavailable (Redis)", code="no_redis") from exc
        over = [
            (limit, int(results[3 * i + 2]))
            for i, (limit, _) in enumerate(checks)
            if int(results[3 * i]) > limit.count
        ]
        if over:
            limit, pttl = max(over, key=lambda item: item[1])
            wait = max(1, math.ceil((pttl if pttl > 0 else limit.window_s * 1000) / 1000))
            raise TooManyRequests(
                f"too many {limit.what}; try again in {wait} s",
                code="rate_limited",
                retry_after=wait,
            )

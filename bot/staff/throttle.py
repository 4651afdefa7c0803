"""Sign-in throttling: failed attempts counted in Redis, so every hub enforces one limit."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.errors import TooManyRequests


class LoginThrottle:
    """Failed sign-ins per user name and per address, counted in Redis (shared by every hub)."""

    def __init__(
        self, redis: Redis, *, per_user: int = 5, per_address: int = 20, window_s: int = 900
    ) -> None:
        self._redis = redis
        self._limits = {"user": per_user, "addr": per_address}
        self._window_s = window_s

    def _keys(self, user_id: str, address: str) -> dict[str, str]:
        return {"user": f"console:login:user:{user_id}", "addr": f"console:login:addr:{address}"}

    async def check(self, user_id: str, address: str) -> None:
        """Refuse (429) while either counter is at its limit, right password or not."""
        keys = self._keys(user_id, address)
        counts = await self._redis.mget(list(keys.values()))
        for (kind, key), count in zip(keys.items(), counts, strict=True):
            if count is not None and int(count) >= self._limits[kind]:
                wait = max(int(await self._redis.ttl(key)), 1)
                raise TooManyRequests(
                    f"too many failed sign-ins; try again in {wait} s", retry_after=wait
                )

    async def failed(self, user_id: str, address: str) -> None:
        """Count a failed attempt; the window starts at the first failure."""
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in self._keys(user_id, address).values():
                pipe.incr(key)
                pipe.expire(key, self._window_s, nx=True)
            await pipe.execute()

    async def succeeded(self, user_id: str) -> None:
        """A right password clears the user's counter (the address keeps its own)."""
        await self._redis.delete(self._keys(user_id, "")["user"])

"""Sign-in throttling that slows password guessing without handing anyone a lock-out button.

Counted in Redis, so every hub enforces the same limits. The old rule — five wrong passwords
lock a user name for everyone — let anybody lock any agent out. The rules now:

1. Per user name and address: 5 failures, then that pair is locked for 1 minute, and each
   failure after a lock doubles it (2, 4, 8 … capped at 1 hour). The count is forgotten a day
   after the last failure, or at the pair's next right password. One address guessing one name
   gets a handful of tries an hour, and locks out only itself.
2. Per address, across names: 30 failures in an hour refuse that address for every name it has
   not signed in as before (password spraying from one place).
3. Per user name, across addresses: 20 failures in an hour (a distributed attack on one person)
   refuse further tries from addresses not known for that name.

An address is "known" for a name once the right password was given from it, for 30 days. So the
person at their usual desk keeps signing in whatever happens elsewhere; an attacker can only
delay first sign-ins from new addresses for an hour, and slow down people who share their very
address (one NAT) by at most the backoff cap. The address is the connection's peer, or the
`X-Forwarded-For` entry of a configured trusted proxy (`TRUSTED_PROXIES`), never a header
anyone can send.
"""

from __future__ import annotations

import hashlib
import time

from redis.asyncio import Redis

from bot.errors import TooManyRequests

FREE_FAILURES = 5  # per user name and address, before the first lock
BASE_LOCK_S = 60
MAX_LOCK_S = 3600
PAIR_MEMORY_S = 86400  # a pair's failures are forgotten a day after the last one
ADDRESS_CAP = 30  # failures per address per window, across names
USER_CAP = 20  # failures per name per window, across addresses
WINDOW_S = 3600
KNOWN_S = 30 * 86400  # how long a successful address stays known for a name


def lock_s(failures: int, base_s: int = BASE_LOCK_S) -> int:
    """How long a pair is locked after its `failures`-th failure (0: not locked)."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(base_s * 2 ** (failures - FREE_FAILURES), MAX_LOCK_S))


def _name(user_id: str) -> str:
    # The typed name is the caller's text, of any length: keys hold its digest.
    return hashlib.sha256(user_id.encode()).hexdigest()[:32]


class LoginThrottle:
    """Checks and counts console sign-in attempts (see the module's rules)."""

    def __init__(self, redis: Redis, *, base_lock_s: int = BASE_LOCK_S) -> None:
        self._redis = redis
        self._base_lock_s = base_lock_s

    @staticmethod
    def _keys(user_id: str, address: str) -> dict[str, str]:
        name = _name(user_id)
        return {
            "pair": f"console:login:pair:{name}:{address}",
            "lock": f"console:login:lock:{name}:{address}",
            "addr": f"console:login:addr:{address}",
            "user": f"console:login:user:{name}",
            "known": f"console:login:known:{name}",
        }

    async def check(self, user_id: str, address: str) -> None:
        """Refuse (429 with the wait) before the password is even looked at."""
        keys = self._keys(user_id, address)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.ttl(keys["lock"])
            pipe.get(keys["addr"])
            pipe.get(keys["user"])
            pipe.zscore(keys["known"], address)
            pipe.ttl(keys["addr"])
            pipe.ttl(keys["user"])
            lock_left, by_addr, by_user, known_at, addr_left, user_left = await pipe.execute()
        if lock_left and lock_left > 0:
            raise _throttled(int(lock_left))
        known = known_at is not None and float(known_at) >= time.time() - KNOWN_S
        if known:
            return
        if by_addr is not None and int(by_addr) >= ADDRESS_CAP:
            raise _throttled(int(addr_left))
        if by_user is not None and int(by_user) >= USER_CAP:
            raise _throttled(int(user_left))

    async def failed(self, user_id: str, address: str) -> None:
        """Count a wrong password; lock the pair once it has used its free failures."""
        keys = self._keys(user_id, address)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(keys["pair"])
            pipe.expire(keys["pair"], PAIR_MEMORY_S)
            for window in ("addr", "user"):
                pipe.incr(keys[window])
                pipe.expire(keys[window], WINDOW_S, nx=True)
            failures = int((await pipe.execute())[0])
        wait = lock_s(failures, self._base_lock_s)
        if wait:
            await self._redis.set(keys["lock"], failures, ex=wait)

    async def succeeded(self, user_id: str, address: str) -> None:
        """A right password: the pair starts afresh and the address becomes known for the name.
        The per-address and per-name windows keep counting (others' failures are not forgiven)."""
        keys = self._keys(user_id, address)
        now = time.time()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys["pair"], keys["lock"])
            pipe.zadd(keys["known"], {address: now})
            pipe.zremrangebyscore(keys["known"], "-inf", now - KNOWN_S)
            pipe.expire(keys["known"], KNOWN_S)
            await pipe.execute()


def _throttled(wait: int) -> TooManyRequests:
    wait = max(wait, 1)
    return TooManyRequests(f"too many failed sign-ins; try again in {wait} s", retry_after=wait)

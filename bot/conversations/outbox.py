"""The outbox: messages are written here in the same breath as the transcript, then sent by a
background worker that retries with backoff, so an unreachable channel loses nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Message, MessageStatus, OutboxItem, utcnow
from channels.base.errors import PlatformError

log = logging.getLogger(__name__)
# Sends one payload to one recipient; raises when the channel did not take it.
Transport = Callable[[str, str], Awaitable[None]]
MAX_ATTEMPTS = 8  # 1 + 2 + 4 + ... minutes: about four hours of trying
BATCH = 50
# A worker pushes an item's next attempt this far out before sending it: other workers skip it.
CLAIM = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 1, 2, 4 ... minutes, at most an hour."""
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


class Outbox:
    """Durable outgoing queue; one worker round sends everything that is due."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        transports: Mapping[str, Transport],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._transports = dict(transports)
        self._clock = clock

    @staticmethod
    def add(
        session: AsyncSession,
        channel: str,
        recipient: str,
        payload: str,
        message: Message | None,
        now: datetime,
    ) -> OutboxItem:
        """Queue a payload inside the caller's transaction (with the transcript line it sends),
        due at once."""
        item = OutboxItem(
            channel=channel,
            recipient=recipient,
            payload=payload,
            attempts=0,
            next_attempt_at=now,
            message_id=message.id if message is not None else None,
        )
        session.add(item)
        return item

    async def push(self, channel: str, recipient: str, payload: str) -> bool:
        """Queue a payload and try it at once (a chat reply should not wait for the next
        round); True when it went out now, else it waits for its next attempt."""
        now = self._clock()
        async with self._sessions.begin() as session:
            item = self.add(session, channel, recipient, payload, None, now)
            item.next_attempt_at = now + CLAIM  # born claimed by this worker: no second write
        return bool(await self._send(item, now))

    async def run_once(self) -> int:
        """Try every due item once; returns how many were sent."""
        now = self._clock()
        async with self._sessions() as session:
            due = list(
                await session.scalars(
                    select(OutboxItem)
                    .where(OutboxItem.sent_at.is_(None), OutboxItem.next_attempt_at <= now)
                    .order_by(OutboxItem.id)
                    .limit(BATCH)
                )
            )
        sent = 0
        for item in due:
            if await self._claim(item, now):
                sent += await self._send(item, now)
        return sent

    async def run_forever(self, interval_s: float) -> None:
        """Rounds every `interval_s` seconds until cancelled."""
        while True:
            try:
                await self.run_once()
            except Exception:  # a database blip must not stop deliveries for good
                log.exception("outbox round failed")
            await asyncio.sleep(interval_s)

    async def _claim(self, item: OutboxItem, now: datetime) -> bool:
        # Push the next attempt out first: a second worker (another hub) skips this item.
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == item.id, OutboxItem.sent_at.is_(None))
                .where(OutboxItem.next_attempt_at <= now)
                .values(next_attempt_at=now + CLAIM)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    async def _send(self, item: OutboxItem, now: datetime) -> int:
        transport = self._transports.get(item.channel)
        error: str | None = None
        attempts = item.attempts + 1
        wait = backoff(attempts)
        gave_up = attempts >= MAX_ATTEMPTS
        if transport is None:
            error = f"no transport for channel {item.channel!r}"
        else:
            try:
                await transport(item.recipient, item.payload)
            except PlatformError as exc:  # the platform says whether and when to come back
                error = f"{type(exc).__name__}: {exc}"
                gave_up = gave_up or not exc.retryable
                if exc.retry_after is not None:
                    wait = timedelta(seconds=exc.retry_after)
            except Exception as exc:  # kept and retried; the reason is stored for operators
                error = f"{type(exc).__name__}: {exc}"
        async with self._sessions.begin() as session:
            values: dict[str, object] = {"attempts": attempts, "error": error}
            if error is None:
                values |= {"sent_at": now, "next_attempt_at": None}
            else:
                values["next_attempt_at"] = None if gave_up else now + wait
                log.warning("outbox item %s attempt %s failed: %s", item.id, attempts, error)
            await session.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(values))
            if item.message_id is not None and (error is None or gave_up):
                status = MessageStatus.SENT if error is None else MessageStatus.FAILED
                await session.execute(
                    update(Message)
                    .where(Message.id == item.message_id)
                    .values(status=status, error=error)
                )
        return 1 if error is None else 0

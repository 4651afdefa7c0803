"""The outbox on SQLite and PostgreSQL: sent once, retried with backoff, given up loudly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import session_factory
from bot.db.models import Conversation, Direction, Message, MessageStatus, OutboxItem
from bot.outbox import MAX_ATTEMPTS, Outbox, backoff

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Channel:
    """A transport that fails while `down` and records what it took."""

    down: bool = False
    taken: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, recipient: str, payload: str) -> None:
        if self.down:
            raise ConnectionRefusedError("mail server down")
        self.taken.append((recipient, payload))


async def _queue(engine: AsyncEngine, payload: str = "Subject: hi\n\nhello") -> int:
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        session.add(Conversation(id="o1", channel="email"))
        line = Message(
            conversation_id="o1",
            direction=Direction.OUTBOUND,
            sender="agent",
            text="hello",
            payload={},
            meta={},
            status=MessageStatus.RECEIVED,
        )
        session.add(line)
        await session.flush()
        Outbox.add(session, "email", "ana@example.com", payload, line, NOW)
        return line.id


async def _line(engine: AsyncEngine, message_id: int) -> Message:
    async with session_factory(engine)() as session:
        line = await session.get(Message, message_id)
        assert line is not None
        return line


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 7, 8)] == [1, 2, 4, 60, 60]


async def test_sent_once(engine: AsyncEngine) -> None:
    message_id = await _queue(engine)
    channel, clock = Channel(), Clock()
    outbox = Outbox(session_factory(engine), {"email": channel.send}, clock)
    clock.now += timedelta(seconds=1)
    assert await outbox.run_once() == 1
    assert await outbox.run_once() == 0
    assert channel.taken == [("ana@example.com", "Subject: hi\n\nhello")]
    assert (await _line(engine, message_id)).status is MessageStatus.SENT


async def test_an_outage_is_retried_with_backoff(engine: AsyncEngine) -> None:
    message_id = await _queue(engine)
    channel, clock = Channel(down=True), Clock()
    outbox = Outbox(session_factory(engine), {"email": channel.send}, clock)
    clock.now += timedelta(seconds=1)
    assert await outbox.run_once() == 0
    clock.now += timedelta(seconds=30)  # before the 1-minute backoff: not tried
    channel.down = False
    assert await outbox.run_once() == 0
    clock.now += timedelta(minutes=1)
    assert await outbox.run_once() == 1
    assert len(channel.taken) == 1
    line = await _line(engine, message_id)
    assert line.status is MessageStatus.SENT
    assert line.error is None


async def test_gives_up_after_the_last_attempt_and_says_why(engine: AsyncEngine) -> None:
    message_id = await _queue(engine)
    channel, clock = Channel(down=True), Clock()
    outbox = Outbox(session_factory(engine), {"email": channel.send}, clock)
    for _ in range(MAX_ATTEMPTS + 2):
        clock.now += timedelta(hours=2)
        await outbox.run_once()
    async with session_factory(engine)() as session:
        item = await session.scalar(select(OutboxItem))
    assert item is not None
    assert item.attempts == MAX_ATTEMPTS
    assert item.next_attempt_at is None
    assert item.sent_at is None
    assert "mail server down" in (item.error or "")
    line = await _line(engine, message_id)
    assert line.status is MessageStatus.FAILED


async def test_an_unknown_channel_is_an_error_not_a_crash(engine: AsyncEngine) -> None:
    await _queue(engine)
    clock = Clock(NOW + timedelta(seconds=1))
    outbox = Outbox(session_factory(engine), {}, clock)
    assert await outbox.run_once() == 0
    async with session_factory(engine)() as session:
        item = await session.scalar(select(OutboxItem))
    assert item is not None
    assert "no transport" in (item.error or "")

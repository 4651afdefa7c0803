"""The outbox on SQLite and PostgreSQL: sent once, retried with backoff, given up loudly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations.outbox import MAX_ATTEMPTS, Outbox, backoff
from bot.db import session_factory
from bot.db.models import Conversation, Direction, Message, MessageStatus, OutboxItem
from channels.base.errors import PlatformError
from tests.clock import Clock

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


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
    channel, clock = Channel(), Clock(NOW)
    outbox = Outbox(session_factory(engine), {"email": channel.send}, clock)
    clock.now += timedelta(seconds=1)
    assert await outbox.run_once() == 1
    assert await outbox.run_once() == 0
    assert channel.taken == [("ana@example.com", "Subject: hi\n\nhello")]
    assert (await _line(engine, message_id)).status is MessageStatus.SENT


async def test_an_outage_is_retried_with_backoff(engine: AsyncEngine) -> None:
    message_id = await _queue(engine)
    channel, clock = Channel(down=True), Clock(NOW)
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
    channel, clock = Channel(down=True), Clock(NOW)
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


@dataclass
class Platform:
    """A messaging platform's sender: answers with the errors queued in `errors`, else takes."""

    errors: list[PlatformError] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)

    async def send(self, recipient: str, payload: str) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.taken.append(payload)


async def _items(engine: AsyncEngine) -> list[OutboxItem]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


async def test_a_chat_reply_goes_out_at_once_and_a_rate_limit_waits_as_asked(
    engine: AsyncEngine,
) -> None:
    clock = Clock(NOW)
    platform = Platform(errors=[PlatformError("slow down", status=429, retry_after=3)])
    outbox = Outbox(session_factory(engine), {"telegram": platform.send}, clock)
    assert await outbox.push("telegram", "telegram:1", "first") is False  # rate-limited
    assert await outbox.push("telegram", "telegram:1", "second") is True  # sent at once
    assert platform.taken == ["second"]
    (limited, sent) = await _items(engine)
    assert limited.next_attempt_at == NOW + timedelta(seconds=3)  # the platform's wait, not ours
    assert sent.sent_at == NOW
    assert await outbox.run_once() == 0  # not due yet
    clock.now += timedelta(seconds=3)
    assert await outbox.run_once() == 1
    assert await outbox.run_once() == 0
    assert platform.taken == ["second", "first"]  # each once


async def test_a_refusal_that_retrying_cannot_fix_is_given_up_at_once(
    engine: AsyncEngine,
) -> None:
    platform = Platform(errors=[PlatformError("bot was blocked by the user", status=403)])
    outbox = Outbox(session_factory(engine), {"telegram": platform.send}, Clock(NOW))
    assert await outbox.push("telegram", "telegram:1", "hello") is False
    (item,) = await _items(engine)
    assert (item.attempts, item.next_attempt_at, item.sent_at) == (1, None, None)
    assert "blocked" in (item.error or "")
    assert platform.taken == []

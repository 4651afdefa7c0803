"""The hub's side of the messaging channels, on real Redis and a SQLite outbox."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.conversations.messaging import GREET, Messaging, decode, encode
from bot.conversations.outbox import Outbox
from bot.conversations.replays import DeliveryLog
from bot.db import create_engine, session_factory
from bot.db.migrate import upgrade
from bot.errors import AssistantUnavailable
from channels.base import Button, InboundMessage, OutboundMessage
from channels.base.adapter import Inbound


def test_replies_round_trip_through_the_outbox_form() -> None:
    message = OutboundMessage(
        "telegram:1", "¿Sí? 👍", (Button("Sí", "/affirm"),), "https://x/y.png", {"k": 1}, "agent"
    )
    assert decode(encode(message)) == message


class Desk:
    def __init__(self, fail: Exception | None = None) -> None:
        self.routed: list[InboundMessage] = []
        self.sent: list[OutboundMessage] = []
        self.fail = fail

    async def route(self, message: InboundMessage) -> Sequence[OutboundMessage]:
        self.routed.append(message)
        if self.fail is not None:
            raise self.fail
        return [OutboundMessage(message.conversation_id, f"echo {message.text}")]

    async def send(self, recipient: str, payload: str) -> None:
        self.sent.append(decode(payload))


async def _messaging(tmp_path: Path, redis: Redis, desk: Desk) -> Messaging:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    await upgrade(engine)
    sessions = session_factory(engine)
    outbox = Outbox(sessions, {"telegram": desk.send})
    return Messaging(desk.route, outbox, DeliveryLog(sessions, redis))


def _item(text: str, delivery: str, **metadata: object) -> Inbound:
    return Inbound(InboundMessage("telegram:1", "telegram", text, "es", dict(metadata)), delivery)


async def test_start_greets_and_replies_go_out(tmp_path: Path, redis: Redis) -> None:
    desk = Desk()
    messaging = await _messaging(tmp_path, redis, desk)
    assert await messaging.seen("telegram:1") is False
    assert await messaging.seen("telegram:1") is True
    await messaging.handle(_item("/start", "telegram:1", start=True))
    assert [m.text for m in desk.routed] == [GREET]
    assert [m.text for m in desk.sent] == [f"echo {GREET}"]


async def test_an_unanswered_message_gets_the_desks_words(tmp_path: Path, redis: Redis) -> None:
    desk = Desk(fail=AssistantUnavailable("Saved; we'll answer soon."))
    messaging = await _messaging(tmp_path, redis, desk)
    await messaging.handle(_item("hola", "telegram:2"))
    assert [(m.text, m.sender) for m in desk.sent] == [("Saved; we'll answer soon.", "system")]


async def test_a_failure_before_storing_lets_the_platform_retry(
    tmp_path: Path, redis: Redis
) -> None:
    desk = Desk(fail=ConnectionError("database down"))
    messaging = await _messaging(tmp_path, redis, desk)
    assert await messaging.seen("telegram:3") is False
    with pytest.raises(ConnectionError):
        await messaging.handle(_item("hola", "telegram:3"))
    assert await messaging.seen("telegram:3") is False  # forgotten: the retry is processed

"""The channel adapter contract as tests. Each channel's test class inherits `AdapterContract`,
provides its hooks and two fixtures, and so runs every test below against its own adapter:

- `platform`: a local fake of the platform's API on 127.0.0.1, running for the test;
- `adapter`: the channel's adapter, opened (`async with`) and pointed at that fake.

The replay tests also use the real Redis (`redis`) and a SQLite file, as the hub's
de-duplication store (`bot.conversations.replays.DeliveryLog`) does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

import pytest
from redis.asyncio import Redis

from bot.conversations.replays import DeliveryLog
from bot.db import create_engine, session_factory
from bot.db.migrate import upgrade
from channels.base import Button, OutboundMessage
from channels.base.adapter import ChannelAdapter, Inbound, Seen
from channels.base.errors import BadPayload, BadSignature, PlatformError

PlatformT = TypeVar("PlatformT")
Adapter = ChannelAdapter[Any]

TEXT = "Me cobraron dos veces este mes"
IMAGE = "https://imageko.com/help/img/upload-settings.png"
BUTTONS = (Button("Sí", "/affirm"), Button("No", "/deny"))
# Every way text can be hard to cut: accents as combining marks, ZWJ emoji with skin tones,
# flags, right-to-left scripts, CJK, long words, and paragraph and line breaks.
_PARAGRAPH = (
    "Cafe\u0301 naïve résumé 👩🏽‍💻 👨‍👩‍👧‍👦 🇫🇷🇪🇸 مرحبا بكم في الدعم שלום 画像のアップロード "
    "Supercalifragilisticexpialidocious-upload-settings.\nSecond line of the paragraph. "
)
ARTICLE_URL = "https://imageko.com/help/en/bulk-download"
MARKDOWN_ANSWER = (
    "Select images in your **Library**, then *Download*.\n\n"
    "1. Open **Library**\n2. Tick the images\n\n"
    f"[Download many images at once]({ARTICLE_URL})"
)
MALFORMED = {
    "empty": b"",
    "not JSON": b"{not json",
    "not UTF-8": b"\xff\xfe{",
    "a list": b"[]",
    "a string": b'"hello"',
    "null": b"null",
}


async def _never_seen(delivery_id: str) -> bool:
    return False


async def _dispatched(adapter: Adapter, bodies: list[bytes], seen: Seen) -> list[Inbound]:
    """What the adapter hands the hub of these webhook bodies, as its webhook would."""
    handled: list[Inbound] = []

    async def handle(item: Inbound) -> None:
        handled.append(item)

    for body in bodies:
        await adapter.dispatch(adapter.parse(body), handle, seen)
    return handled


def long_text(adapter: Adapter) -> str:
    """Text a little over two and a half times the platform's limit."""
    paragraphs: list[str] = []
    while adapter.text_length("\n\n".join(paragraphs)) < adapter.max_text * 5 // 2:
        paragraphs.append(_PARAGRAPH * (len(paragraphs) % 7 + 1))
    return "\n\n".join(paragraphs)


@dataclass(frozen=True)
class Sent:
    """One message as the fake platform accepted it, in the desk's terms."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    image: str | None = None


class AdapterContract(ABC, Generic[PlatformT]):
    """The tests every channel adapter passes; subclasses provide the hooks."""

    # Hooks: genuine inbound calls, signed the platform's way

    @abstractmethod
    def payload(self, text: str, delivery: int) -> bytes:
        """A genuine webhook body: the customer of `recipient()` writes `text`. The same
        `delivery` is the same platform delivery (a retry); another is a new one."""

    @abstractmethod
    def sign(self, body: bytes) -> dict[str, str]:
        """The headers with which the platform would deliver `body`."""

    @abstractmethod
    def forge(self, body: bytes) -> dict[str, str]:
        """Headers with a signature made without the right secret."""

    @abstractmethod
    def stale(self, body: bytes) -> dict[str, str] | None:
        """Headers rightly signed too long ago, or None when the platform signs no time."""

    @abstractmethod
    def written_at(self, text: str, delivery: int, at: datetime) -> bytes | None:
        """A genuine body whose payload says the customer wrote `text` at `at`; None when the
        platform signs the time of each call instead (`stale`), so the desk reads none."""

    def untimed(self) -> dict[str, bytes]:
        """Genuine customer deliveries whose payload carries no time, by what they are (and,
        in the subclass, why): only their delivery id stops a replay of them."""
        return {}

    @abstractmethod
    def unsupported(self) -> dict[str, bytes]:
        """Genuine bodies that carry no customer message (stickers, edits, reactions, joins,
        the bot's own echoes), by what they are."""

    # Hooks: the fake platform

    @abstractmethod
    def recipient(self) -> str:
        """A conversation id of this channel that the send tests write to."""

    @abstractmethod
    def delivered(self, platform: PlatformT) -> list[Sent]:
        """What the fake accepted, in order."""

    @abstractmethod
    def fail_next(self, platform: PlatformT, count: int, status: int) -> None:
        """Make the fake answer the next `count` calls with `status` (429 with a retry-after)."""

    # Inbound

    def test_a_genuine_delivery_parses_into_the_common_message(self, adapter: Adapter) -> None:
        body = self.payload(TEXT, delivery=1)
        adapter.verify(self.sign(body), body)
        [item] = adapter.parse(body)
        assert item.message.text == TEXT
        assert item.message.channel == adapter.name
        assert item.message.conversation_id == self.recipient()
        assert item.message.metadata["external_user_id"]
        assert item.delivery_id.startswith(f"{adapter.name}:")  # one de-dup store for all

    def test_the_same_customer_is_the_same_conversation(self, adapter: Adapter) -> None:
        [first] = adapter.parse(self.payload(TEXT, delivery=1))
        [second] = adapter.parse(self.payload("¿Y el reembolso?", delivery=2))
        assert first.message.conversation_id == second.message.conversation_id
        assert (
            first.message.metadata["external_user_id"]
            == (second.message.metadata["external_user_id"])
        )

    def test_a_retried_delivery_is_recognisable_as_a_duplicate(self, adapter: Adapter) -> None:
        body = self.payload(TEXT, delivery=7)
        [first], [again] = adapter.parse(body), adapter.parse(body)
        [other] = adapter.parse(self.payload(TEXT, delivery=8))
        assert first.delivery_id == again.delivery_id
        assert other.delivery_id != first.delivery_id

    @pytest.mark.parametrize("kind", ["forged", "missing"])
    def test_a_bad_signature_is_refused_before_parsing(self, adapter: Adapter, kind: str) -> None:
        body = self.payload(TEXT, delivery=1)
        headers = {"forged": self.forge(body), "missing": {"Content-Type": "application/json"}}
        with pytest.raises(BadSignature):
            adapter.verify(headers[kind], body)
        # Refused without reading the body: unreadable bytes give the same answer.
        with pytest.raises(BadSignature):
            adapter.verify(headers[kind], MALFORMED["not JSON"])

    async def test_a_stale_delivery_is_refused(self, adapter: Adapter) -> None:
        """A genuine delivery captured and replayed later: refused by the time the platform
        signs with each call, else dropped by the time its signed payload carries (the
        webhook still answers 2xx, or the platform would retry it for ever)."""
        body = self.payload(TEXT, delivery=1)
        headers = self.stale(body)
        if headers is not None:
            with pytest.raises(BadSignature):
                adapter.verify(headers, body)
            with pytest.raises(BadSignature):  # refused without reading the body
                adapter.verify(headers, MALFORMED["not JSON"])
            return
        assert adapter.max_age is not None, "no signed time and no window: any replay passes"
        now, margin = datetime.now(UTC), timedelta(minutes=5)
        old = self.written_at(TEXT, 2, now - adapter.max_age - margin)
        recent = self.written_at(TEXT, 3, now - adapter.max_age + margin)
        assert old is not None
        assert recent is not None
        for genuine in (old, recent):
            adapter.verify(self.sign(genuine), genuine)  # authentic: only its age is wrong
        handled = await _dispatched(adapter, [old, recent], _never_seen)
        [fresh] = adapter.parse(recent)
        assert [item.delivery_id for item in handled] == [fresh.delivery_id]

    async def test_a_replay_is_dropped_after_redis_forgot_it(
        self, adapter: Adapter, redis: Redis, tmp_path: Path
    ) -> None:
        """Delivery ids outlive Redis: handled once, a delivery that comes again after a Redis
        flush and a restart of the hub is dropped; so is one whose payload carries no time
        (`untimed`), which only its id stops."""
        bodies = {"a message": self.payload(TEXT, delivery=4)} | self.untimed()
        for kind in self.untimed():
            assert all(item.sent_at is None for item in adapter.parse(bodies[kind])), kind
        engine = create_engine(f"sqlite:///{tmp_path / 'replays.db'}")
        await upgrade(engine)
        try:
            first_run = DeliveryLog(session_factory(engine), redis)
            handled = [
                await _dispatched(adapter, [body], first_run.seen) for body in bodies.values()
            ]
            assert [len(items) for items in handled] == [1] * len(bodies)
            await redis.flushdb()
            restarted = DeliveryLog(session_factory(engine), redis)  # a new hub process
            again = [await _dispatched(adapter, [body], restarted.seen) for body in bodies.values()]
            assert again == [[]] * len(bodies)
        finally:
            await engine.dispose()

    def test_unsupported_updates_give_no_message(self, adapter: Adapter) -> None:
        kinds = self.unsupported()
        assert kinds
        for kind, body in kinds.items():
            adapter.verify(self.sign(body), body)
            assert adapter.parse(body) == [], kind

    @pytest.mark.parametrize("kind", MALFORMED)
    def test_a_malformed_body_is_a_bad_payload(self, adapter: Adapter, kind: str) -> None:
        body = MALFORMED[kind]
        adapter.verify(self.sign(body), body)  # authentic, yet unreadable
        with pytest.raises(BadPayload):
            adapter.parse(body)

    # Outbound

    async def test_send_text(self, adapter: Adapter, platform: PlatformT) -> None:
        await adapter.send(OutboundMessage(self.recipient(), text=TEXT))
        assert self.delivered(platform) == [Sent(text=TEXT)]

    async def test_send_buttons_as_the_platforms_own(
        self, adapter: Adapter, platform: PlatformT
    ) -> None:
        await adapter.send(OutboundMessage(self.recipient(), text=TEXT, buttons=BUTTONS))
        assert self.delivered(platform) == [Sent(text=TEXT, buttons=BUTTONS)]

    async def test_send_an_image(self, adapter: Adapter, platform: PlatformT) -> None:
        await adapter.send(OutboundMessage(self.recipient(), text=TEXT, image=IMAGE))
        sent = self.delivered(platform)
        assert [s.image for s in sent if s.image] == [IMAGE]
        assert [s.text for s in sent if s.text] == [TEXT]

    async def test_long_text_is_split_within_the_limit_and_nothing_is_lost(
        self, adapter: Adapter, platform: PlatformT
    ) -> None:
        text = long_text(adapter)
        message = OutboundMessage(self.recipient(), text=text)
        assert len(adapter.render(message)) >= 3
        assert self.delivered(platform) == []  # rendering alone sends nothing
        await adapter.send(message)
        parts = [s.text for s in self.delivered(platform)]
        assert len(parts) >= 3
        assert all(0 < adapter.text_length(part) <= adapter.max_text for part in parts)
        # Cut only where there was whitespace: every word arrives whole, in order.
        assert [word for part in parts for word in part.split()] == text.split()

    async def test_a_markdown_answer_arrives_formatted_not_as_markup(
        self, adapter: Adapter, platform: PlatformT
    ) -> None:
        """A help-centre answer is Markdown: each platform gets its own form of it, in one
        message, never the literal `**` or `[text](url)`, and the article's link survives."""
        await adapter.send(OutboundMessage(self.recipient(), text=MARKDOWN_ANSWER))
        [sent] = self.delivered(platform)
        assert "**" not in sent.text
        assert "](" not in sent.text
        assert "Library" in sent.text
        assert "1. Open" in sent.text  # lists keep their numbers
        assert ARTICLE_URL in sent.text

    @pytest.mark.parametrize("status", [429, 502])
    async def test_a_busy_or_failing_platform_is_retried_later_without_duplicates(
        self, adapter: Adapter, platform: PlatformT, status: int
    ) -> None:
        message = OutboundMessage(self.recipient(), text=TEXT)
        self.fail_next(platform, 1, status)
        with pytest.raises(PlatformError) as failed:
            await adapter.send(message)
        assert failed.value.retryable
        if status == 429:
            assert failed.value.status == 429
            assert failed.value.retry_after is not None
            assert failed.value.retry_after > 0
        assert self.delivered(platform) == []
        await adapter.send(message)  # the outbox's next attempt
        assert self.delivered(platform) == [Sent(text=TEXT)]

    async def test_a_refused_message_is_not_retried(
        self, adapter: Adapter, platform: PlatformT
    ) -> None:
        self.fail_next(platform, 1, 400)
        with pytest.raises(PlatformError) as failed:
            await adapter.send(OutboundMessage(self.recipient(), text=TEXT))
        assert not failed.value.retryable

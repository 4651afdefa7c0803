"""The channel adapter contract as tests. Each channel's test class inherits `AdapterContract`,
provides its hooks and two fixtures, and so runs every test below against its own adapter:

- `platform`: a local fake of the platform's API on 127.0.0.1, running for the test;
- `adapter`: the channel's adapter, opened (`async with`) and pointed at that fake.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pytest

from channels.base import Button, OutboundMessage
from channels.base.adapter import ChannelAdapter
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
MALFORMED = {
    "empty": b"",
    "not JSON": b"{not json",
    "not UTF-8": b"\xff\xfe{",
    "a list": b"[]",
    "a string": b'"hello"',
    "null": b"null",
}


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

    @pytest.mark.parametrize("kind", ["forged", "missing", "stale"])
    def test_a_bad_signature_is_refused_before_parsing(self, adapter: Adapter, kind: str) -> None:
        body = self.payload(TEXT, delivery=1)
        headers = {
            "forged": self.forge(body),
            "missing": {"Content-Type": "application/json"},
            "stale": self.stale(body),
        }[kind]
        if headers is None:
            pytest.skip("the platform signs no time: a replay has the same delivery id")
        with pytest.raises(BadSignature):
            adapter.verify(headers, body)
        # Refused without reading the body: unreadable bytes give the same answer.
        with pytest.raises(BadSignature):
            adapter.verify(headers, MALFORMED["not JSON"])

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

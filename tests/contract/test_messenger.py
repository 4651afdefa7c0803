"""The Messenger adapter: the channel contract against a local Graph API, plus what the Send API
has of its own (the call's shape, Graph's error codes, rate limits in the middle of a reply)."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import ClassVar

import pytest

from channels.base import Button, OutboundMessage
from channels.base.errors import PlatformError
from channels.base.text import utf16_len
from channels.meta.adapter import MessengerAdapter, MetaAdapter, messenger_adapter
from tests.contract.adapter_contract import IMAGE, TEXT, AdapterContract, Sent
from tests.fakes.graph_api import (
    APP_SECRET,
    CUSTOMER,
    PAGE_ID,
    PAGE_TOKEN,
    PSID,
    VERIFY_TOKEN,
    VERSION,
    FakeGraph,
    serialise,
    signed,
    text_notification,
    unsupported_notifications,
)

CHAT = f"messenger:{PSID}"


@contextlib.contextmanager
def nothing_listening() -> Iterator[str]:
    """A Graph URL on 127.0.0.1 where connections are refused, for the block."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/{VERSION}"


@pytest.fixture
async def platform() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        yield fake


@pytest.fixture
async def adapter(platform: FakeGraph) -> AsyncIterator[MessengerAdapter]:
    async with messenger_adapter(
        PAGE_TOKEN, APP_SECRET, VERIFY_TOKEN, page_id=PAGE_ID, graph_url=platform.base_url
    ) as adapter:
        yield adapter


class MetaContract(AdapterContract[FakeGraph]):
    """The contract for one Meta product; Messenger and Instagram differ only in `product`.

    Meta signs the body but no time of the call: each event's `timestamp`, in the signed
    body, bounds a replay; within the window its message id stops it."""

    product: ClassVar[str]

    def payload(self, text: str, delivery: int) -> bytes:
        return serialise(text_notification(self.product, delivery, text))

    def written_at(self, text: str, delivery: int, at: datetime) -> bytes | None:
        sent_ms = int(at.timestamp() * 1000)
        return serialise(text_notification(self.product, delivery, text, sent_ms=sent_ms))

    def sign(self, body: bytes) -> dict[str, str]:
        return signed(body)

    def forge(self, body: bytes) -> dict[str, str]:
        return signed(body, secret=APP_SECRET[::-1])

    def stale(self, body: bytes) -> dict[str, str] | None:
        return None

    def unsupported(self) -> dict[str, bytes]:
        return {kind: serialise(n) for kind, n in unsupported_notifications(self.product).items()}

    def recipient(self) -> str:
        return f"{self.product}:{CUSTOMER[self.product]}"

    def delivered(self, platform: FakeGraph) -> list[Sent]:
        messages = [call.body["message"] for call in platform.sent(self.product)]
        return [
            Sent(
                text=message.get("text", ""),
                buttons=tuple(
                    Button(reply["title"], reply["payload"])
                    for reply in message.get("quick_replies", [])
                ),
                image=message.get("attachment", {}).get("payload", {}).get("url"),
            )
            for message in messages
        ]

    def fail_next(self, platform: FakeGraph, count: int, status: int) -> None:
        platform.fail_next(count, status)


class TestMessenger(MetaContract):
    product = "messenger"


# Outbound: the Send API call


async def test_a_reply_is_one_send_api_call_with_the_token_out_of_the_url(
    adapter: MessengerAdapter, platform: FakeGraph
) -> None:
    await adapter.send(OutboundMessage(CHAT, text=TEXT, buttons=(Button("Sí", "/affirm"),)))
    [call] = platform.calls
    assert call.path == f"/{VERSION}/me/messages"
    assert call.query == {}  # httpx logs URLs: the token is in the Authorization header
    assert call.authorization == f"Bearer {PAGE_TOKEN}"
    assert call.body == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {
            "text": TEXT,
            "quick_replies": [{"content_type": "text", "title": "Sí", "payload": "/affirm"}],
        },
    }


async def test_an_image_is_sent_by_url_before_the_text(
    adapter: MessengerAdapter, platform: FakeGraph
) -> None:
    await adapter.send(OutboundMessage(CHAT, text=TEXT, image=IMAGE, buttons=(Button("Sí", "1"),)))
    image, text = (call.body["message"] for call in platform.sent())
    assert image == {
        "attachment": {"type": "image", "payload": {"url": IMAGE, "is_reusable": True}}
    }
    assert text["text"] == TEXT
    assert text["quick_replies"][0]["title"] == "Sí"  # under the text it answers


async def test_the_limit_is_counted_in_utf16_units(
    adapter: MessengerAdapter, platform: FakeGraph
) -> None:
    text = "🙂" * 1500  # 1500 characters, 3000 UTF-16 units
    await adapter.send(OutboundMessage(CHAT, text=text))
    assert [utf16_len(c.body["message"]["text"]) for c in platform.sent()] == [2000, 1000]


async def test_more_than_13_quick_replies_and_long_titles_still_send(
    adapter: MessengerAdapter, platform: FakeGraph
) -> None:
    buttons = tuple(Button(f"Opción número {n} de la lista", f"/pick{n}") for n in range(15))
    await adapter.send(OutboundMessage(CHAT, text=TEXT, buttons=buttons))
    [call] = platform.sent()
    replies = call.body["message"]["quick_replies"]
    assert len(replies) == 13
    assert replies[0] == {
        "content_type": "text",
        "title": "Opción número 0 de…",
        "payload": "/pick0",
    }


# Outbound: Graph's errors


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (400, 4, True),  # the app's rate limit
        (400, 17, True),  # the user's
        (403, 32, True),  # the page's
        (400, 613, True),  # a custom rate limit
        (500, 2, True),  # Meta is down for a while
        (400, 2, True),  # ... whatever the status says
        (400, 10, False),  # outside the 24 h window, or a permission is missing
        (400, 551, False),  # the customer cannot be reached
        (500, 551, False),  # ... whatever the status says
        (400, 190, False),  # the token is bad or expired
        (400, 100, False),  # a refused parameter
    ],
)
async def test_graph_error_codes_say_whether_to_retry(
    adapter: MessengerAdapter, platform: FakeGraph, status: int, code: int, retryable: bool
) -> None:
    platform.fail_next(1, status, code=code)
    with pytest.raises(PlatformError) as failed:
        await adapter.send(OutboundMessage(CHAT, text=TEXT))
    assert (failed.value.status, failed.value.retryable) == (status, retryable)
    assert f"code {code}" in failed.value.message


async def test_a_rate_limit_waits_as_long_as_meta_says(
    adapter: MessengerAdapter, platform: FakeGraph
) -> None:
    platform.fail_next(1, 400, code=613, regain_minutes=7)
    with pytest.raises(PlatformError) as failed:
        await adapter.send(OutboundMessage(CHAT, text=TEXT))
    assert failed.value.retry_after == 7 * 60


async def test_a_customer_who_blocked_the_page_is_not_retried(
    adapter: MessengerAdapter, platform: FakeGraph
) -> None:
    platform.unavailable.add(PSID)
    with pytest.raises(PlatformError) as failed:
        await adapter.send(OutboundMessage(CHAT, text=TEXT))
    assert not failed.value.retryable
    assert "isn't available" in failed.value.message


async def test_a_rejected_token_is_not_retried(platform: FakeGraph) -> None:
    async with messenger_adapter("EAAexpired", APP_SECRET, graph_url=platform.base_url) as adapter:
        with pytest.raises(PlatformError) as failed:
            await adapter.send(OutboundMessage(CHAT, text=TEXT))
    assert (failed.value.status, failed.value.retryable) == (400, False)
    assert "code 190" in failed.value.message


async def test_an_unreachable_graph_is_retried_later() -> None:
    with nothing_listening() as url:
        async with messenger_adapter(PAGE_TOKEN, APP_SECRET, graph_url=url) as adapter:
            with pytest.raises(PlatformError) as failed:
                await adapter.send(OutboundMessage(CHAT, text=TEXT))
    assert (failed.value.status, failed.value.retryable) == (None, True)


async def test_a_short_failure_in_the_middle_of_a_reply_is_waited_out(
    adapter: MessengerAdapter, platform: FakeGraph
) -> None:
    # Retrying the whole reply later would repeat the parts already sent.
    text = "\n\n".join(["palabra " * 200] * 3)  # 3 × 1600 characters: three messages
    platform.fail_next(1, 500, after=1)
    started = time.monotonic()
    await adapter.send(OutboundMessage(CHAT, text=text))
    assert [c.status for c in platform.calls] == [200, 500, 200, 200]
    assert [c.body["message"]["text"] for c in platform.sent()] == [
        p.strip() for p in text.split("\n\n")
    ]
    assert time.monotonic() - started >= 1.0


async def test_a_long_rate_limit_in_the_middle_of_a_reply_goes_back_to_the_outbox(
    adapter: MessengerAdapter, platform: FakeGraph
) -> None:
    text = "\n\n".join(["palabra " * 200] * 2)
    platform.fail_next(1, 429, after=1, regain_minutes=2)
    with pytest.raises(PlatformError) as failed:
        await adapter.send(OutboundMessage(CHAT, text=text))
    assert failed.value.retry_after == 120
    assert len(platform.sent()) == 1


def test_an_adapter_needs_its_secret_and_token() -> None:
    with pytest.raises(ValueError, match="app secret"):
        messenger_adapter(PAGE_TOKEN, "")
    with pytest.raises(ValueError, match="access token"):
        messenger_adapter("", APP_SECRET)


async def test_the_adapter_closes_its_client(platform: FakeGraph) -> None:
    adapter: MetaAdapter = messenger_adapter(PAGE_TOKEN, APP_SECRET, graph_url=platform.base_url)
    async with adapter:
        assert not adapter.client.is_closed
    assert adapter.client.is_closed
    with pytest.raises(RuntimeError):
        await adapter.client.get("/")

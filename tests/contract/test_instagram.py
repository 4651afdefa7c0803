"""The Instagram adapter: the channel contract against a local Graph API (the Messenger suite's
hooks, for the `instagram` object), plus Instagram's own limits and message kinds."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from channels.base import Button, OutboundMessage
from channels.meta.adapter import InstagramAdapter, instagram_adapter
from tests.contract.test_messenger import MetaContract
from tests.fakes.graph_api import (
    APP_SECRET,
    IGSID,
    INSTAGRAM_ACCOUNT_ID,
    INSTAGRAM_TOKEN,
    VERIFY_TOKEN,
    FakeGraph,
    mid,
    notification,
    serialise,
    text_event,
)

CHAT = f"instagram:{IGSID}"


@pytest.fixture
async def platform() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        yield fake


@pytest.fixture
async def adapter(platform: FakeGraph) -> AsyncIterator[InstagramAdapter]:
    async with instagram_adapter(
        INSTAGRAM_TOKEN,
        APP_SECRET,
        VERIFY_TOKEN,
        account_id=INSTAGRAM_ACCOUNT_ID,
        graph_url=platform.base_url,
    ) as adapter:
        yield adapter


class TestInstagram(MetaContract):
    product = "instagram"


async def test_the_limit_is_counted_in_utf8_bytes(
    adapter: InstagramAdapter, platform: FakeGraph
) -> None:
    text = "ñ" * 1500  # 1500 characters, 3000 bytes: Instagram would refuse 1000 characters
    await adapter.send(OutboundMessage(CHAT, text=text))
    assert [len(c.body["message"]["text"].encode()) for c in platform.sent()] == [1000] * 3


async def test_a_reply_uses_the_instagram_token_and_the_same_body(
    adapter: InstagramAdapter, platform: FakeGraph
) -> None:
    await adapter.send(OutboundMessage(CHAT, text="Hola", buttons=(Button("Sí", "/affirm"),)))
    [call] = platform.sent("instagram")
    assert call.authorization == f"Bearer {INSTAGRAM_TOKEN}"
    assert call.body["recipient"] == {"id": IGSID}
    assert call.body["message"]["quick_replies"] == [
        {"content_type": "text", "title": "Sí", "payload": "/affirm"}
    ]


def test_a_story_reply_is_a_customer_message(adapter: InstagramAdapter) -> None:
    event = text_event("instagram", 5, "¿Sigue disponible?")
    event["message"]["reply_to"] = {
        "story": {"url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1", "id": "1795"}
    }
    [item] = adapter.parse(serialise(notification("instagram", event)))
    assert item.message.text == "¿Sigue disponible?"
    assert item.message.conversation_id == CHAT
    assert item.delivery_id == f"instagram:{mid('instagram', 5)}"
    assert item.message.metadata["page_id"] == INSTAGRAM_ACCOUNT_ID


def test_a_quick_reply_tap_is_its_payload(adapter: InstagramAdapter) -> None:
    body = serialise(
        notification("instagram", text_event("instagram", 6, "Sí", quick_reply="/affirm"))
    )
    [item] = adapter.parse(body)
    assert (item.message.text, item.message.metadata["button_title"]) == ("/affirm", "Sí")

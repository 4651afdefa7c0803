from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations.store import ConversationStore
from bot.db import session_factory
from bot.db.models import Conversation, Direction, MessageStatus
from channels.base import Button, InboundMessage, OutboundMessage


@pytest.fixture
def store(engine: AsyncEngine) -> ConversationStore:
    return ConversationStore(session_factory(engine))


def _inbound(text: str, conversation_id: str = "web-1") -> InboundMessage:
    return InboundMessage(conversation_id=conversation_id, channel="web", text=text)


async def test_first_message_creates_the_conversation(
    store: ConversationStore, engine: AsyncEngine
) -> None:
    stored = await store.record_inbound(_inbound("hola"), "es")
    assert stored.status is MessageStatus.RECEIVED
    async with session_factory(engine)() as session:
        conversation = await session.get(Conversation, "web-1")
    assert conversation is not None
    assert (conversation.channel, conversation.lang, conversation.state.value) == (
        "web",
        "es",
        "bot",
    )


async def test_later_messages_join_it_and_update_its_language(store: ConversationStore) -> None:
    await store.record_inbound(_inbound("hola"), "es")
    await store.record_inbound(_inbound("actually, English please"), "en")
    assert await store.conversation_lang("web-1") == "en"
    assert [m.text for m in await store.history("web-1")] == ["hola", "actually, English please"]


async def test_replies_are_stored_in_order_with_their_buttons(store: ConversationStore) -> None:
    await store.record_inbound(_inbound("hi"), "en")
    await store.record_replies(
        [
            OutboundMessage("web-1", text="first"),
            OutboundMessage("web-1", text="pick one", buttons=(Button("Yes", "/affirm"),)),
        ],
        "en",
    )
    history = await store.history("web-1")
    assert [(m.direction, m.text) for m in history] == [
        (Direction.INBOUND, "hi"),
        (Direction.OUTBOUND, "first"),
        (Direction.OUTBOUND, "pick one"),
    ]
    assert history[2].payload == {"buttons": [{"title": "Yes", "payload": "/affirm"}]}
    assert history[2].status is MessageStatus.SENT


async def test_mark_records_the_outcome_and_error(store: ConversationStore) -> None:
    stored = await store.record_inbound(_inbound("hi"), "en")
    await store.mark(stored.id, MessageStatus.FAILED, "assistant down")
    (reloaded,) = await store.history("web-1")
    assert (reloaded.status, reloaded.error) == (MessageStatus.FAILED, "assistant down")


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('x')</script><b>bold</b>",
        "🔥🖼️👍",
        "مرحبا، لا أستطيع تنزيل الصورة",  # right-to-left
        "line one\nline two\ttab \\ backslash 'quote' \"dq\"",
    ],
)
async def test_text_is_stored_verbatim(store: ConversationStore, text: str) -> None:
    await store.record_inbound(_inbound(text), "en")
    (stored,) = await store.history("web-1")
    assert stored.text == text


async def test_metadata_round_trips_as_json(store: ConversationStore) -> None:
    message = InboundMessage("web-1", "web", "hi", metadata={"plan": "premium", "tags": [1, "a"]})
    await store.record_inbound(message, "en")
    (stored,) = await store.history("web-1")
    assert stored.meta == {"plan": "premium", "tags": [1, "a"]}


async def test_timestamps_are_timezone_aware_utc(store: ConversationStore) -> None:
    await store.record_inbound(_inbound("hi"), "en")
    (stored,) = await store.history("web-1")
    assert stored.created_at.utcoffset() == timedelta(0)


async def test_history_keeps_conversations_apart_and_honours_limit(
    store: ConversationStore,
) -> None:
    for n in range(5):
        await store.record_inbound(_inbound(f"a{n}", "conv-a"), "en")
    await store.record_inbound(_inbound("b0", "conv-b"), "en")
    assert [m.text for m in await store.history("conv-a", limit=2)] == ["a3", "a4"]
    assert [m.text for m in await store.history("conv-b")] == ["b0"]
    assert await store.history("nobody") == []


async def test_first_messages_arriving_together_all_land(engine: AsyncEngine) -> None:
    """A new conversation's first messages at once: one conversation, every message kept."""
    store = ConversationStore(session_factory(engine))
    await asyncio.gather(
        *(
            store.record_inbound(InboundMessage("burst", "webchat", f"hi {n}"), "en")
            for n in range(8)
        )
    )
    assert sorted(m.text for m in await store.history("burst")) == [f"hi {n}" for n in range(8)]

"""The conversation router: every channel's inbound messages pass through here."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot import lang as language
from bot.db.models import Message, MessageStatus
from bot.errors import AssistantUnavailable
from bot.rasa_client import RasaClient
from bot.store import ConversationStore
from channels.base import InboundMessage, OutboundMessage


@dataclass(frozen=True, slots=True)
class RoutedReplies:
    """What the router did with one inbound message."""

    inbound: Message
    lang: str
    replies: list[OutboundMessage]


class ConversationRouter:
    """Stores each inbound message first, then asks the assistant and stores its replies."""

    def __init__(self, store: ConversationStore, rasa: RasaClient) -> None:
        self._store = store
        self._rasa = rasa

    async def handle(self, message: InboundMessage) -> RoutedReplies:
        """Route one customer message; raises `AssistantUnavailable` after storing it."""
        lang = message.lang
        if lang is None:
            previous = await self._store.conversation_lang(message.conversation_id)
            # lingua is CPU-bound (a few ms); keep the event loop free for other customers.
            lang = await asyncio.to_thread(language.detect, message.text, previous)
        inbound = await self._store.record_inbound(message, lang)
        metadata = {**message.metadata, "lang": lang, "channel": message.channel}
        try:
            replies = await self._rasa.send(message.conversation_id, message.text, metadata)
        except AssistantUnavailable as exc:
            await self._store.mark(inbound.id, MessageStatus.FAILED, exc.message)
            raise
        await self._store.record_replies(replies, lang)
        await self._store.mark(inbound.id, MessageStatus.PROCESSED)
        return RoutedReplies(inbound=inbound, lang=lang, replies=replies)

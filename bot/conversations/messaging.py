"""The hub's side of the messaging channels (Telegram, Slack, X, Messenger, Instagram).

Each adapter verifies and parses; here every message it hands over is de-duplicated (the
platforms retry), routed like any other channel's, and answered through the outbox: the reply
is written down first, tried at once, and retried with backoff when the platform is down or
rate-limits, so it is neither lost nor sent twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from bot.conversations.outbox import Outbox
from bot.conversations.replays import DeliveryLog
from bot.errors import DeskError
from channels.base import Button, InboundMessage, OutboundMessage
from channels.base.adapter import ChannelAdapter, Inbound

log = logging.getLogger(__name__)
# The router as the app hands it over: the replies to send.
Route = Callable[[InboundMessage], Awaitable[Sequence[OutboundMessage]]]
GREET = "/greet"  # a platform's "start" button is a greeting, in the customer's language


def encode(message: OutboundMessage) -> str:
    """An outbound message as the outbox stores it."""
    return json.dumps(
        {
            "conversation_id": message.conversation_id,
            "text": message.text,
            "buttons": [[b.title, b.payload] for b in message.buttons],
            "image": message.image,
            "custom": message.custom,
            "sender": message.sender,
        }
    )


def decode(payload: str) -> OutboundMessage:
    """The outbox's stored form back into a message."""
    data: dict[str, Any] = json.loads(payload)
    return OutboundMessage(
        conversation_id=data["conversation_id"],
        text=data["text"],
        buttons=tuple(Button(title, value) for title, value in data["buttons"]),
        image=data["image"],
        custom=data["custom"],
        sender=data["sender"],
    )


class Messaging:
    """De-duplicates, routes and answers the messages of adapter-based channels."""

    def __init__(self, route: Route, outbox: Outbox, deliveries: DeliveryLog) -> None:
        self._route = route
        self._outbox = outbox
        self._deliveries = deliveries

    @staticmethod
    def transport(adapter: ChannelAdapter[Any]) -> Callable[[str, str], Awaitable[None]]:
        """The outbox's sender for `adapter`'s channel."""

        async def send(recipient: str, payload: str) -> None:
            await adapter.send(decode(payload))

        return send

    async def seen(self, delivery_id: str) -> bool:
        """Record a delivery; True when it was recorded before (a platform retry, a replay)."""
        return await self._deliveries.seen(delivery_id)

    async def handle(self, item: Inbound) -> None:
        """Route one message and queue its replies. If the desk fails before the message is
        stored, the delivery is forgotten so that the platform's retry is processed."""
        message = item.message
        if message.metadata.get("start"):
            message = replace(message, text=GREET)
        try:
            replies: Sequence[OutboundMessage] = await self._route(message)
        except DeskError as exc:  # stored, but not answered (Rasa down): say so, keep it
            log.warning("%s message not answered: %s", message.channel, exc.message)
            replies = [OutboundMessage(message.conversation_id, exc.message, sender="system")]
        except Exception:
            await self.forget(item.delivery_id)
            raise
        for reply in replies:
            await self.deliver(message.channel, reply)

    async def forget(self, delivery_id: str) -> None:
        """Let a delivery be processed again."""
        await self._deliveries.forget(delivery_id)

    async def deliver(self, channel: str, message: OutboundMessage) -> None:
        """Send through the outbox: stored, tried now, retried later if the platform fails."""
        await self._outbox.push(channel, message.conversation_id, encode(message))

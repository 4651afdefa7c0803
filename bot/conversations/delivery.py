"""Sending messages back on the channel a conversation came from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from channels.base import OutboundMessage

Sender = Callable[[OutboundMessage], Awaitable[None]]


class Deliveries:
    """The channels' senders, by channel name. A channel without one (the REST API) has no push:
    its clients read the stored conversation history, where every reply is written first."""

    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}

    def register(self, channel: str, sender: Sender) -> None:
        """Route replies of `channel` through `sender`."""
        self._senders[channel] = sender

    async def __call__(self, channel: str, message: OutboundMessage) -> None:
        """Send one message; raises what the channel's sender raises."""
        sender = self._senders.get(channel)
        if sender is not None:
            await sender(message)

"""The one conversation model every channel translates to and from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Button:
    """A quick reply: what the customer sees and what goes back to the assistant."""

    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A customer's message as the router sees it, whatever channel brought it.

    `metadata` keeps the channel's own details opaque to routing and storage.
    """

    conversation_id: str
    channel: str
    text: str
    lang: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One reply to the customer: text, optional quick replies, an image or a custom payload."""

    conversation_id: str
    text: str = ""
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    custom: dict[str, Any] | None = None
    sender: str = "bot"  # bot, agent or system: channels that can show who speaks do

    def payload(self) -> dict[str, Any]:
        """The non-text parts, as stored with the message and returned by the API."""
        parts: dict[str, Any] = {}
        if self.buttons:
            parts["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.image:
            parts["image"] = self.image
        if self.custom is not None:
            parts["custom"] = self.custom
        return parts

"""The desk's replies as Send API calls (pure): the same body for Messenger and Instagram.

One call carries text or one image, never both; quick replies ride on the last call, under the
text they answer. Nothing is sent as markup: Meta shows text as written, so a reply's Markdown
goes as plain text with bare links (`channels.base.formats.plain_text`), which Meta makes
clickable itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from channels.base import Button, OutboundMessage
from channels.base.formats import parts, plain_text
from channels.base.text import graphemes, split_text
from channels.meta.parse import user_id_of

MAX_QUICK_REPLIES = 13
MAX_TITLE = 20  # characters; Meta cuts longer titles itself, mid-word
MAX_PAYLOAD = 1000  # characters
# Meta refuses quick replies on an empty message; this carries buttons sent on their own.
QUICK_REPLIES_ONLY_TEXT = "👇"


@dataclass(frozen=True, slots=True)
class SendMessage:
    """One `POST /me/messages`: a text or an image URL, with optional quick replies."""

    recipient_id: str
    text: str | None = None
    image: str | None = None
    quick_replies: tuple[Button, ...] = ()

    def body(self) -> dict[str, Any]:
        """The JSON body of the call. `RESPONSE`: a reply within 24 h of the customer's last
        message, the window in which Meta lets a page or account write freely."""
        message: dict[str, Any] = {}
        if self.image is not None:
            message["attachment"] = {
                "type": "image",
                "payload": {"url": self.image, "is_reusable": True},
            }
        else:
            message["text"] = self.text
        if self.quick_replies:
            message["quick_replies"] = [
                {"content_type": "text", "title": b.title, "payload": b.payload}
                for b in self.quick_replies
            ]
        return {
            "recipient": {"id": self.recipient_id},
            "messaging_type": "RESPONSE",
            "message": message,
        }


def quick_reply(button: Button) -> Button:
    """A button as Meta takes it: the title within 20 characters (cut between user-perceived
    characters, with an ellipsis), and a payload within 1000 — else the title, as the customer
    would have typed it."""
    title = button.title
    if len(title) > MAX_TITLE:
        kept = ""
        for cluster in graphemes(title):
            if len(kept) + len(cluster) > MAX_TITLE - 1:
                break
            kept += cluster
        title = kept.rstrip() + "…"
    payload = button.payload if 0 < len(button.payload) <= MAX_PAYLOAD else button.title
    if len(payload) > MAX_PAYLOAD:
        payload = split_text(payload, MAX_PAYLOAD)[0]
    return Button(title, payload)


def render(
    message: OutboundMessage, channel: str, max_text: int, length: Callable[[str], int]
) -> list[SendMessage]:
    """The calls that deliver `message` on `channel`: the image first, then the text as plain
    text in chunks of at most `max_text` as `length` counts, the first 13 quick replies on the
    last call. A custom payload has no Meta form and is left out."""
    recipient = user_id_of(channel, message.conversation_id)
    chunks = parts(message.text, max_text, plain_text, length=length)
    buttons = tuple(quick_reply(b) for b in message.buttons[:MAX_QUICK_REPLIES])
    requests = [SendMessage(recipient, image=message.image)] if message.image else []
    if buttons and not chunks and not requests:
        chunks = [QUICK_REPLIES_ONLY_TEXT]
    requests.extend(SendMessage(recipient, text=chunk) for chunk in chunks)
    if buttons:
        requests[-1] = replace(requests[-1], quick_replies=buttons)
    return requests

"""The desk's replies as X v2 direct messages (pure).

The v2 endpoint (`POST /2/dm_conversations/with/{participant_id}/messages`) sends text and
uploaded media only, so parts of a reply take a plainer form:

- Markdown (answers, agents' replies): X shows no markup, so it goes as plain text with bare
  links (`channels.base.formats.plain_text`); X makes the addresses clickable itself.

- Quick replies: v2 has none (v1.1's `quick_reply` options are gone with v1.1 DMs). The options
  are listed as lines under the text, and the customer answers by writing one of them; the
  assistant reads that answer as text. Numbers are avoided on purpose: a reply "1" could not be
  mapped back to its option without keeping state per conversation.
- Images: v2 attaches only media uploaded to X beforehand, which tweepy's v2 client cannot do.
  The image's URL is sent as a DM of its own, which X shows as a link (with a preview card
  when the site offers one).
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.base import Button, OutboundMessage
from channels.base.formats import parts, plain_text
from channels.base.text import split_text
from channels.twitter.parse import user_id_of

MAX_TEXT = 10_000  # characters in one DM's text
OPTION_MARK = "• "


@dataclass(frozen=True, slots=True)
class SendDirectMessage:
    """One `create_direct_message` call: `text` to the user `participant_id`."""

    participant_id: str
    text: str


TwitterRequest = SendDirectMessage


def options(buttons: tuple[Button, ...]) -> str:
    """Quick replies as the lines the customer chooses from."""
    return "\n".join(f"{OPTION_MARK}{button.title}" for button in buttons)


def render(message: OutboundMessage) -> list[TwitterRequest]:
    """The DMs that deliver `message`: the image link first (above the text, as a photo with
    its caption), then the text as plain text in chunks of at most 10000 characters, the
    options under the last one — or in a DM of their own when they do not fit. A custom
    payload has no X form and is left out."""
    participant_id = user_id_of(message.conversation_id)
    texts = [message.image] if message.image else []
    chunks = parts(message.text, MAX_TEXT, plain_text)
    if message.buttons:
        listed = options(message.buttons)
        if chunks and len(chunks[-1]) + 2 + len(listed) <= MAX_TEXT:
            chunks[-1] = f"{chunks[-1]}\n\n{listed}"
        else:
            chunks.extend(split_text(listed, MAX_TEXT))
    texts.extend(chunks)
    return [SendDirectMessage(participant_id, text) for text in texts]

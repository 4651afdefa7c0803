"""The desk's replies as Slack `chat.postMessage` calls with Block Kit blocks (pure).

Each message is a `section` block of mrkdwn made from the reply's Markdown
(`channels.base.formats.slack_mrkdwn`), so bold, lists and links in replies (help-centre
articles) show as Slack's own, with `&`, `<` and `>` escaped as Slack asks: nothing a customer
or an agent writes can become a mention (`<!channel>`) or a disguised link. A section holds at
most 3000 characters, so that is the limit of one message; the mrkdwn is measured in UTF-16
code units (an emoji counts two), never fewer than the characters Slack counts. Quick replies are
`button`s in an `actions` block and an image is an `image` block, both under the last part of
the text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ImageBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from channels.base import Button, OutboundMessage
from channels.base.formats import parts, slack_escape, slack_mrkdwn
from channels.base.text import split_text, utf16_len
from channels.slack.parse import place_of

MAX_TEXT = 3000  # a section block's text
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_BUTTONS = 25  # elements of one actions block
MAX_ALT_TEXT = 2000


@dataclass(frozen=True, slots=True)
class PostMessage:
    """A `chat.postMessage` call: `text` is the fallback Slack shows in notifications and to
    clients that cannot show the blocks."""

    channel: str
    text: str
    blocks: tuple[Block, ...]
    thread_ts: str | None = None


def mrkdwn_length(text: str) -> int:
    """The length of `text` once escaped, as counted against `MAX_TEXT`."""
    return utf16_len(slack_escape(text))


def clip(text: str, limit: int, length: Callable[[str], int] = len) -> str:
    """`text`, cut at a word boundary with an ellipsis when its `length` is over `limit`."""
    return text if length(text) <= limit else split_text(text, limit - 1, length=length)[0] + "…"


def mrkdwn_section(mrkdwn: str) -> SectionBlock:
    """A section showing `mrkdwn` as Slack formats it."""
    return SectionBlock(text=MarkdownTextObject(text=mrkdwn))


def section(text: str) -> SectionBlock:
    """A section showing `text` as written."""
    return mrkdwn_section(slack_escape(text))


def button_value(button: Button) -> str:
    """What a press sends back: the payload, or the title when the payload is over Slack's limit
    (as if the customer had typed it)."""
    return button.payload if len(button.payload) <= MAX_BUTTON_VALUE else button.title


def actions(buttons: tuple[Button, ...]) -> list[ActionsBlock]:
    """Quick replies as buttons, in as many actions blocks as Slack's 25 per block need."""
    elements = [
        ButtonElement(
            text=PlainTextObject(text=clip(b.title, MAX_BUTTON_TEXT)),
            value=button_value(b),
            action_id=f"reply_{n}",  # unique within the message, as Slack requires
        )
        for n, b in enumerate(buttons)
    ]
    return [
        ActionsBlock(elements=elements[start : start + MAX_BUTTONS])
        for start in range(0, len(elements), MAX_BUTTONS)
    ]


def alt_text(url: str) -> str:
    """An image's alternative text: its file name, which is all the reply says about it."""
    name = unquote(PurePosixPath(urlsplit(url).path).name).strip()
    return clip(name, MAX_ALT_TEXT) if name else "image"


def render(message: OutboundMessage) -> list[PostMessage]:
    """The calls that deliver `message` in its conversation's thread (a DM's top level has
    none): the text as mrkdwn in parts of at most 3000, then the image and the buttons with the
    last part.
    A custom payload has no Slack form here and is left out."""
    place = place_of(message.conversation_id)
    chunks = parts(message.text, MAX_TEXT, slack_mrkdwn, length=utf16_len)
    requests = [
        PostMessage(place.channel, chunk, (mrkdwn_section(chunk),), place.thread_ts)
        for chunk in chunks
    ]
    extra: list[Block] = []
    if message.image:
        extra.append(ImageBlock(image_url=message.image, alt_text=alt_text(message.image)))
    extra.extend(actions(message.buttons))
    if not extra:
        return requests
    if requests:
        last = requests[-1]
        requests[-1] = replace(last, blocks=(*last.blocks, *extra))
    else:
        # Without text the fallback names what is shown.
        shown = [b.title for b in message.buttons]
        if message.image:
            shown.insert(0, alt_text(message.image))
        requests.append(
            PostMessage(
                place.channel, slack_escape(" · ".join(shown)), tuple(extra), place.thread_ts
            )
        )
    return requests

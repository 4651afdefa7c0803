"""The desk's replies as Telegram Bot API calls (pure).

Text is Markdown (answers, agents' replies), sent as Telegram HTML (`parse_mode=HTML`, made by
`channels.base.formats.telegram_html`): only the tags Telegram knows, everything written
escaped, so nothing a customer or an agent writes becomes other markup. Each part is at most
4096 UTF-16 code units as sent, tags included (Telegram counts fewer: only what it shows).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from channels.base import Button, OutboundMessage
from channels.base.formats import parts, telegram_html
from channels.base.text import split_text, utf16_len
from channels.telegram.parse import chat_id_of

MAX_TEXT = 4096  # sendMessage text, in UTF-16 code units
MAX_CAPTION = 1024  # sendPhoto caption, in UTF-16 code units
MAX_CALLBACK_DATA = 64  # callback_data, in bytes
# Telegram refuses a keyboard without text; this carries buttons sent on their own.
KEYBOARD_ONLY_TEXT = "👇"
PARSE_MODE = "HTML"  # of every text and caption `render` makes


@dataclass(frozen=True, slots=True)
class SendMessage:
    """A `sendMessage` call."""

    chat_id: int
    text: str
    reply_markup: InlineKeyboardMarkup | None = None


@dataclass(frozen=True, slots=True)
class SendPhoto:
    """A `sendPhoto` call; `photo` is a URL Telegram fetches itself."""

    chat_id: int
    photo: str
    caption: str | None = None
    reply_markup: InlineKeyboardMarkup | None = None


TelegramRequest = SendMessage | SendPhoto


def callback_data(button: Button) -> str:
    """What a press sends back: the payload, or — when it is over Telegram's 64 bytes, which
    Telegram would refuse — the title as the customer would type it."""
    for value in (button.payload, button.title):
        if len(value.encode()) <= MAX_CALLBACK_DATA:
            return value
    return split_text(button.title, MAX_CALLBACK_DATA, length=lambda text: len(text.encode()))[0]


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """Quick replies as an inline keyboard, one button per row: titles stay readable."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.title, callback_data=callback_data(b))] for b in buttons]
    )


def render(message: OutboundMessage) -> list[TelegramRequest]:
    """The calls that deliver `message`: the image first (with the text as its caption when it
    fits), then the text as Telegram HTML in parts of at most 4096 UTF-16 units. The keyboard
    goes on the last call, under the text it answers. A custom payload has no Telegram form and
    is left out."""
    chat_id = chat_id_of(message.conversation_id)
    chunks = parts(message.text, MAX_TEXT, telegram_html, length=utf16_len)
    markup = keyboard(message.buttons)
    requests: list[TelegramRequest] = []
    if message.image:
        fits = len(chunks) == 1 and utf16_len(chunks[0]) <= MAX_CAPTION
        caption = chunks.pop() if fits else None
        requests.append(SendPhoto(chat_id, message.image, caption=caption))
    elif markup is not None and not chunks:
        chunks = [KEYBOARD_ONLY_TEXT]
    requests.extend(SendMessage(chat_id, chunk) for chunk in chunks)
    if markup is not None:
        requests[-1] = replace(requests[-1], reply_markup=markup)
    return requests

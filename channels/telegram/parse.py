"""Telegram updates as the desk's inbound messages (pure: no network, no state).

The desk serves private chats only: in a group, one conversation would mix customers and show
one customer's ticket to the others. Text messages and button presses (callback queries) are
customer messages; everything else — stickers, media, edits, reactions, joins, channel posts,
messages of other bots — is acknowledged and dropped.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from telegram import Chat, Update, User

from channels.base import InboundMessage
from channels.base.adapter import Inbound
from channels.base.errors import BadPayload
from channels.base.payload import read_json

CHANNEL = "telegram"
_PREFIX = f"{CHANNEL}:"
_LANG = re.compile(r"([a-z]{2})(?:[-_][a-z0-9-]*)?")


def conversation_id(chat_id: int) -> str:
    """The desk's conversation for a Telegram chat."""
    return f"{_PREFIX}{chat_id}"


def chat_id_of(conversation: str) -> int:
    """The Telegram chat of one of our conversation ids."""
    if not conversation.startswith(_PREFIX):
        raise ValueError(f"{conversation!r} is not a Telegram conversation")
    return int(conversation.removeprefix(_PREFIX))


def delivery_id(update_id: int) -> str:
    """Telegram redelivers an update with the same `update_id` until it is answered 2xx."""
    return f"{_PREFIX}{update_id}"


def lang_of(user: User) -> str | None:
    """The language of the customer's Telegram app (`pt-br` → `pt`), as a hint for replies."""
    code = user.language_code.lower() if isinstance(user.language_code, str) else ""
    match = _LANG.fullmatch(code)
    return match.group(1) if match else None


def update_of(body: bytes) -> Update:
    """A webhook body as PTB's `Update`; `BadPayload` when it is not one."""
    data = read_json(body, "the body")
    if not isinstance(data, dict):
        raise BadPayload("an update is a JSON object")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise BadPayload("an update needs an integer update_id")
    try:
        return Update.de_json(data, None)
    except Exception as exc:  # PTB trips on a wrong shape with whatever error it meets first
        raise BadPayload(f"not a Telegram update: {exc!r}") from exc


def _private_chat(user: User | None, chat: Chat | None) -> int | None:
    """The chat id when a person writes to the bot in a private chat; PTB does not check the
    field types of what it builds, so they are checked here."""
    if user is None or user.is_bot is not False or not _is_id(user.id):
        return None
    if chat is None or chat.type != Chat.PRIVATE or not _is_id(chat.id):
        return None
    return chat.id


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _metadata(user: User) -> dict[str, Any]:
    """Who wrote, from the fields that have Telegram's types (PTB keeps whatever came)."""
    names = [n for n in (user.first_name, user.last_name) if isinstance(n, str) and n]
    metadata: dict[str, Any] = {"external_user_id": str(user.id), "name": " ".join(names)}
    for key in ("username", "language_code"):
        value = getattr(user, key)
        if isinstance(value, str) and value:
            metadata[key] = value
    return metadata


def inbound(update: Update) -> list[Inbound]:
    """The customer message an update carries, if any: the same path for webhook and polling.

    `/start` (a new chat, or the customer restarting it) is marked `metadata["start"]` so the hub
    can greet in the customer's language. A button press arrives as its payload, with
    `metadata["callback_query_id"]` for the adapter to answer. A message's `sent_at` is its
    date; a button press has none (the date Telegram gives is that of the bot's message).
    """
    message, query = update.message, update.callback_query
    sent_at: datetime | None = None
    if message is not None and isinstance(message.text, str):
        user, chat_id = message.from_user, _private_chat(message.from_user, message.chat)
        text = message.text
        extra: dict[str, Any] = {}
        if isinstance(message.message_id, int):
            extra["message_id"] = message.message_id
        command = text.split(maxsplit=1)[0].partition("@")[0] if text.strip() else ""
        if command == "/start":
            extra["start"] = True
        sent_at = message.date if isinstance(message.date, datetime) else None
    elif query is not None and isinstance(query.data, str):
        chat = query.message.chat if query.message is not None else None
        user, chat_id = query.from_user, _private_chat(query.from_user, chat)
        text = query.data
        extra = {"callback_query_id": query.id} if isinstance(query.id, str) else {}
    else:
        return []
    if user is None or chat_id is None:
        return []
    return [
        Inbound(
            message=InboundMessage(
                conversation_id=conversation_id(chat_id),
                channel=CHANNEL,
                text=text,
                lang=lang_of(user),
                metadata=_metadata(user) | extra,
            ),
            delivery_id=delivery_id(update.update_id),
            sent_at=sent_at,
        )
    ]

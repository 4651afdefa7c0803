"""Rasa's socket.io protocol as pure conversions (no I/O).

Client -> server: `session_request {session_id}`, `user_uttered {message, session_id,
metadata | customData}`. Server -> client: `session_confirm` (the id), `bot_uttered` with
`{text}`, `{text, quick_replies}`, `{attachment: {type: "image", payload: {src}}}`, or a custom
payload.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from channels.base import InboundMessage, OutboundMessage

CHANNEL = "webchat"
SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")
MAX_TEXT_BYTES = 4096


class BadEvent(ValueError):
    """An event the widget should not have sent; `code` names the problem for the notice."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def session_id_of(data: Any) -> str:
    """The session id a client asks for (a string or `{session_id}`), or a new one when it has
    none yet — as Rasa's channel does for a first visit; a malformed id is refused."""
    raw = data.get("session_id") if isinstance(data, dict) else data
    if raw is None or raw == "":
        return uuid.uuid4().hex
    if not isinstance(raw, str) or not SESSION_ID.match(raw):
        raise BadEvent("bad_session", "session_id must be 8–128 letters, digits or . _ : -")
    return raw


def inbound(data: Any, session_id: str) -> InboundMessage:
    """A `user_uttered` event as the router's message; the event's session must be the socket's."""
    if not isinstance(data, dict):
        raise BadEvent("bad_event", "user_uttered must be an object")
    if data.get("session_id", session_id) != session_id:
        raise BadEvent("foreign_session", "this socket belongs to another session")
    text = data.get("message")
    if not isinstance(text, str) or not text.strip():
        raise BadEvent("empty_message", "the message is empty")
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise BadEvent("too_long", f"messages are limited to {MAX_TEXT_BYTES} bytes")
    extra = data.get("metadata") or data.get("customData") or {}
    metadata = {str(k): v for k, v in extra.items()} if isinstance(extra, dict) else {}
    lang = metadata.pop("language", None) or metadata.pop("lang", None)
    return InboundMessage(
        conversation_id=session_id,
        channel=CHANNEL,
        text=text,
        lang=lang if isinstance(lang, str) and re.fullmatch(r"[a-z]{2}", lang) else None,
        metadata=metadata,
    )


def bot_uttered(message: OutboundMessage) -> dict[str, Any]:
    """Our reply in the exact shape Rasa's socket.io channel emits. Who wrote it (bot, agent,
    system) rides in `metadata`, which stock widgets strip before they read a message: they
    decide its kind by its exact set of keys."""
    event: dict[str, Any] = {}
    if message.text:
        event["text"] = message.text
    if message.buttons:
        event["quick_replies"] = [
            {"content_type": "text", "title": b.title, "payload": b.payload}
            for b in message.buttons
        ]
    if message.image:
        event["attachment"] = {"type": "image", "payload": {"src": message.image}}
    if message.custom is not None:
        event["custom"] = message.custom
    event["metadata"] = {"sender": message.sender}
    return event


def notice(text: str) -> dict[str, Any]:
    """A message from the desk itself (a flood warning, an outage)."""
    return {"text": text, "metadata": {"sender": "system"}}

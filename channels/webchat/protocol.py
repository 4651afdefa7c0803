"""Rasa's socket.io protocol as pure conversions (no I/O).

Client -> server: `session_request {session_id, token}`, `user_uttered {message, session_id,
metadata | customData}`. Server -> client: `session_confirm {session_id, token}` (stock widgets
read `session_id`), `bot_uttered` with `{text}`, `{text, quick_replies}`,
`{attachment: {type: "image", payload: {src}}}`, or a custom payload. Our widget shows a reply
as `metadata.html`, its Markdown made safe HTML here (`markup.to_html`), never in the browser.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from channels.base import InboundMessage, OutboundMessage, hygiene
from channels.base.markup import to_html

CHANNEL = "webchat"
SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")
MAX_TEXT_BYTES = 4096
MAX_METADATA_DEPTH = 8


class BadEvent(ValueError):
    """An event the widget should not have sent; `code` names the problem for the notice."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def session_request(data: Any) -> tuple[str | None, str | None]:
    """The session a client asks to resume (a string or `{session_id, token}`) and the token it
    shows for it; (None, None) on a first visit. A malformed id is refused; anything but a
    string as the token counts as none."""
    raw = data.get("session_id") if isinstance(data, dict) else data
    token = data.get("token") if isinstance(data, dict) else None
    if raw is None or raw == "":
        return None, None
    if not isinstance(raw, str) or not SESSION_ID.match(raw):
        raise BadEvent("bad_session", "session_id must be 8–128 letters, digits or . _ : -")
    return raw, token if isinstance(token, str) else None


def inbound(data: Any, session_id: str, languages: Collection[str]) -> InboundMessage:
    """A `user_uttered` event as the router's message; the event's session must be the socket's.
    Refused (`BadEvent`) before anything is stored: control characters or lone surrogates,
    metadata nested too deep or holding NaN, a language not in `languages`."""
    if not isinstance(data, dict):
        raise BadEvent("bad_event", "user_uttered must be an object")
    if data.get("session_id", session_id) != session_id:
        raise BadEvent("foreign_session", "this socket belongs to another session")
    text = data.get("message")
    if not isinstance(text, str) or not text.strip():
        raise BadEvent("empty_message", "the message is empty")
    extra = data.get("metadata") or data.get("customData") or {}
    metadata = dict(extra) if isinstance(extra, dict) else {}
    try:
        hygiene.check_text(text, "message")
        hygiene.check_value(metadata, MAX_METADATA_DEPTH, "metadata")
    except hygiene.Unclean as exc:
        raise BadEvent(exc.code, str(exc)) from exc
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise BadEvent("too_long", f"messages are limited to {MAX_TEXT_BYTES} bytes")
    lang = metadata.pop("language", None) or metadata.pop("lang", None)
    if lang is not None and lang not in languages:
        raise BadEvent("unsupported_lang", f"language must be one of {', '.join(languages)}")
    return InboundMessage(
        conversation_id=session_id, channel=CHANNEL, text=text, lang=lang, metadata=metadata
    )


UNREADABLE = "unreadable"  # the event an unsafe packet becomes (see `server.SafePacket`)


def unreadable_event(exc: ValueError) -> list[Any]:
    """What a packet refused by the safe decoder is read as: an event naming the problem."""
    code = exc.code if isinstance(exc, hygiene.Unclean) else "malformed_json"
    return [UNREADABLE, {"code": code, "message": str(exc) or "the event is not valid JSON"}]


def unreadable(data: Any) -> BadEvent:
    """The error to answer an `unreadable` event with."""
    fields = data if isinstance(data, dict) else {}
    return BadEvent(
        str(fields.get("code") or "bad_event"), str(fields.get("message") or "unreadable event")
    )


def bot_uttered(message: OutboundMessage) -> dict[str, Any]:
    """Our reply in the exact shape Rasa's socket.io channel emits. Who wrote it (bot, agent,
    system) and its text as sanitised HTML ride in `metadata`, which stock widgets strip before
    they read a message: they decide its kind by its exact set of keys."""
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
    if message.text:
        event["metadata"]["html"] = to_html(message.text, breaks=True)
    return event


def notice(text: str) -> dict[str, Any]:
    """A message from the desk itself (a flood warning, an outage)."""
    return {"text": text, "metadata": {"sender": "system"}}

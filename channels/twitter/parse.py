"""X direct messages as the desk's inbound messages (pure: no network, no state).

DMs arrive in two shapes: Account Activity webhook bodies, which carry v1.1 DM event objects,
and v2 DM events fetched by polling. Both become the same `Inbound`, with the conversation
`twitter:<customer's user id>` and the delivery `twitter:<DM event id>` — X gives a DM the same
event id in both APIs, so a DM seen by the webhook and by polling is handled once.

The desk serves one-to-one conversations with its own account. The DMs that account sends come
back too (X reports both directions) and are dropped, as are group DMs and every other activity
the webhook reports: posts, likes, follows, typing indicators, read receipts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from channels.base import InboundMessage
from channels.base.adapter import Inbound
from channels.base.errors import BadPayload
from channels.base.payload import read_json, unix_time

CHANNEL = "twitter"
_PREFIX = f"{CHANNEL}:"
# X's user and DM event ids: 64-bit integers, always sent as decimal strings.
_ID = re.compile(r"[0-9]{1,20}")
_MILLISECONDS = re.compile(r"[0-9]{1,15}")


def conversation_id(user_id: str) -> str:
    """The desk's conversation with the X user `user_id`."""
    return f"{_PREFIX}{user_id}"


def user_id_of(conversation: str) -> str:
    """The X user of one of our conversation ids."""
    user_id = conversation.removeprefix(_PREFIX)
    if not conversation.startswith(_PREFIX) or not _ID.fullmatch(user_id):
        raise ValueError(f"{conversation!r} is not an X conversation")
    return user_id


def delivery_id(event_id: str) -> str:
    """X may deliver a DM event more than once; its id stays the same."""
    return f"{_PREFIX}{event_id}"


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadPayload(f"{what} is not a JSON object")
    return value


def _id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise BadPayload(f"{what} is not an X id")
    return value


def _message(
    event_id: str,
    sender_id: str,
    text: str,
    user: Mapping[str, Any],
    extra: Mapping[str, Any],
    sent_at: datetime | None,
) -> list[Inbound]:
    """The one inbound message both shapes produce; [] for a DM without text."""
    if not text.strip():
        return []
    metadata: dict[str, Any] = {"external_user_id": sender_id, "dm_event_id": event_id}
    # The webhook's v1.1 user objects say screen_name, the v2 API's say username.
    for key, field in (("name", "name"), ("username", "screen_name"), ("username", "username")):
        value = user.get(field)
        if isinstance(value, str) and value:
            metadata[key] = value
    return [
        Inbound(
            message=InboundMessage(
                conversation_id=conversation_id(sender_id),
                channel=CHANNEL,
                text=text,
                metadata=metadata | dict(extra),
            ),
            delivery_id=delivery_id(event_id),
            sent_at=sent_at,
        )
    ]


def _created(event: Mapping[str, Any]) -> datetime | None:
    """When a webhook DM event was created: its `created_timestamp`, milliseconds as a string."""
    value = event.get("created_timestamp")
    if value is None:
        return None
    if not isinstance(value, str) or not _MILLISECONDS.fullmatch(value):
        raise BadPayload("created_timestamp is not a time in milliseconds")
    return unix_time(int(value), "created_timestamp", milliseconds=True)


def _webhook_event(event: Any, bot_user_id: str, users: Mapping[str, Any]) -> list[Inbound]:
    event = _object(event, "a direct message event")
    if event.get("type") != "message_create":
        return []
    event_id = _id(event.get("id"), "the event id")
    create = _object(event.get("message_create"), "message_create")
    sender_id = _id(create.get("sender_id"), "sender_id")
    recipient_id = _id(_object(create.get("target"), "target").get("recipient_id"), "recipient_id")
    data = _object(create.get("message_data"), "message_data")
    text = data.get("text")
    if not isinstance(text, str):
        raise BadPayload("message_data.text is not a string")
    if sender_id == bot_user_id or recipient_id != bot_user_id:
        return []  # our own DM, echoed back
    extra: dict[str, Any] = {}
    reply = data.get("quick_reply_response")
    # A chosen quick-reply option (legacy clients): its label is the text, its metadata the
    # payload the desk sent with it.
    if isinstance(reply, dict) and isinstance(reply.get("metadata"), str) and reply["metadata"]:
        extra["quick_reply_label"] = text
        text = reply["metadata"]
    user = users.get(sender_id)
    user = user if isinstance(user, dict) else {}
    return _message(event_id, sender_id, text, user, extra, _created(event))


def webhook_inbound(body: bytes, bot_user_id: str) -> list[Inbound]:
    """The customer DMs in an Account Activity webhook body for the account `bot_user_id`.

    A body for another account subscribed to the same webhook gives []: the desk can only
    answer as its own account. `BadPayload` when the body is not JSON or a DM event is not
    shaped as X sends it.
    """
    data = _object(read_json(body, "the body"), "an Account Activity event")
    events = data.get("direct_message_events")
    if events is None:  # another activity; some (app revocations) have no for_user_id
        return []
    if not isinstance(events, list):
        raise BadPayload("direct_message_events is not a list")
    if _id(data.get("for_user_id"), "for_user_id") != bot_user_id:
        return []
    users = data.get("users")
    users = users if isinstance(users, dict) else {}
    return [item for event in events for item in _webhook_event(event, bot_user_id, users)]


def polled_inbound(
    event: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], bot_user_id: str
) -> list[Inbound]:
    """The customer DM in one v2 DM event (`GET /2/dm_events` with `dm_event.fields` id,
    event_type, text, sender_id and dm_conversation_id), with `users` from its `sender_id`
    expansion by id. Messages in group conversations, our own DMs and participant joins and
    leaves give []."""
    if event.get("event_type") != "MessageCreate":
        return []
    event_id = _id(event.get("id"), "the event id")
    sender_id = _id(event.get("sender_id"), "sender_id")
    text = event.get("text")
    if not isinstance(text, str):
        raise BadPayload("the event's text is not a string")
    # A one-to-one conversation's id is its two user ids, smaller first; a group's is one id.
    one_to_one = "-".join(sorted((sender_id, bot_user_id), key=int))
    if sender_id == bot_user_id or event.get("dm_conversation_id") != one_to_one:
        return []
    return _message(event_id, sender_id, text, users.get(sender_id, {}), {}, created_at(event))


def created_at(event: Mapping[str, Any]) -> datetime | None:
    """When a v2 DM event was created, if it says so readably (X writes UTC times)."""
    value = event.get("created_at")
    if not isinstance(value, str):
        return None
    try:
        created = datetime.fromisoformat(value)
    except ValueError:
        return None
    return created if created.tzinfo is not None else created.replace(tzinfo=UTC)


def dm_events_page(
    page: Any,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], str | None]:
    """A `GET /2/dm_events` answer as its events (newest first, as X sends them, each with an
    id), the expanded users by id, and the token of the next (older) page."""
    page = _object(page, "a DM events page")
    events = page.get("data", [])
    if not isinstance(events, list):
        raise BadPayload("the page's data is not a list")
    for event in events:  # polling orders events by id: one it cannot read stops the page
        _id(_object(event, "a DM event").get("id"), "the event id")
    includes = page.get("includes", {})
    listed = includes.get("users") if isinstance(includes, dict) else None
    users = {
        user["id"]: user
        for user in (listed if isinstance(listed, list) else [])
        if isinstance(user, dict) and isinstance(user.get("id"), str)
    }
    meta = page.get("meta", {})
    token = meta.get("next_token") if isinstance(meta, dict) else None
    return events, users, token if isinstance(token, str) and token else None

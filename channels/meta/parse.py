"""Meta webhook notifications as the desk's inbound messages (pure: no network, no state).

A notification is `{"object": "page" | "instagram", "entry": [{"id", "time", "messaging":
[event, ...]}]}`: Messenger for the object `page`, Instagram DMs for `instagram`. Each event's
`timestamp` (else its entry's `time`, both in milliseconds) is when it was sent. Text messages,
quick-reply taps and postbacks (button presses) are customer messages; everything else — the
echoes of our own sends, deliveries, reads, reactions, edits, deleted or unsupported messages,
attachments without text, opt-ins, referrals and the standby events of another app — is
dropped.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from channels.base import InboundMessage
from channels.base.adapter import Inbound
from channels.base.errors import BadPayload
from channels.base.payload import read_json, unix_time

MESSENGER = "messenger"
INSTAGRAM = "instagram"
# The webhook `object` of each channel: one endpoint receives both.
OBJECTS = {MESSENGER: "page", INSTAGRAM: "instagram"}
# The postback payload to give Messenger's "Get started" button (and Instagram's ice breakers
# that open a conversation): the desk answers it with a greeting.
GET_STARTED = "GET_STARTED"

Notification = dict[str, Any]
# Page-, Instagram- and user-scoped ids are decimal strings; message ids are URL-safe text.
_ID = re.compile(r"[0-9]{1,32}")
_MID = re.compile(r"[\x21-\x7e]{1,240}")


def conversation_id(channel: str, user_id: str) -> str:
    """The desk's conversation with one customer: their page- or Instagram-scoped id."""
    return f"{channel}:{user_id}"


def user_id_of(channel: str, conversation: str) -> str:
    """The customer (PSID or IGSID) of one of `channel`'s conversation ids."""
    prefix = f"{channel}:"
    user_id = conversation.removeprefix(prefix)
    if user_id == conversation or not user_id:
        raise ValueError(f"{conversation!r} is not a {channel} conversation")
    return user_id


def delivery_id(channel: str, mid: str) -> str:
    """Meta redelivers a notification with the same message ids until it is answered 200."""
    return f"{channel}:{mid}"


def notification_of(body: bytes) -> Notification:
    """A webhook body as a notification; `BadPayload` when it is not one."""
    data = read_json(body, "the body")
    if not isinstance(data, dict):
        raise BadPayload("a notification is a JSON object")
    if not isinstance(data.get("object"), str):
        raise BadPayload("a notification needs an object")
    entries = data.get("entry")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BadPayload("a notification's entry is a list of objects")
    return data


def _field(container: dict[str, Any], key: str, kind: type, where: str) -> Any:
    """`container[key]` if it is a `kind`, None if absent; a wrong type is a `BadPayload`."""
    value = container.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise BadPayload(f"{where}.{key} is not a {kind.__name__}")
    return value


def _id(value: str | None, what: str, pattern: re.Pattern[str] = _ID) -> str:
    """An id as Meta writes them; `BadPayload` for anything else (it would name a conversation
    or a delivery)."""
    if value is None or not pattern.fullmatch(value):
        raise BadPayload(f"{what} is not a Meta id")
    return value


def _sender(event: dict[str, Any]) -> str:
    sender = _field(event, "sender", dict, "messaging")
    return _id(_field(sender or {}, "id", str, "messaging.sender"), "messaging.sender.id")


def _message(message: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """(text for the bot, mid, metadata) of a customer's message, None for what is dropped."""
    if message.get("is_echo"):  # what the page or account sent, from the desk or its inbox
        return None
    text = _field(message, "text", str, "message")
    if not text:  # attachments, stickers, likes, deleted and unsupported messages
        return None
    mid = _id(_field(message, "mid", str, "message"), "message.mid", _MID)
    quick_reply = _field(message, "quick_reply", dict, "message")
    payload = _field(quick_reply or {}, "payload", str, "message.quick_reply")
    if payload:  # a quick reply's title is what the customer saw; its payload is for the bot
        return payload, mid, {"button_title": text}
    return text, mid, {}


def _postback(postback: dict[str, Any], fallback_id: str) -> tuple[str, str, dict[str, Any]]:
    """(payload, mid, metadata) of a button press. Postbacks of old API versions have no mid:
    the sender and time identify them instead, the same in each redelivery."""
    payload = _field(postback, "payload", str, "postback")
    if not payload:
        raise BadPayload("a postback needs a payload")
    given = _field(postback, "mid", str, "postback")
    mid = _id(given, "postback.mid", _MID) if given else fallback_id
    extra: dict[str, Any] = {"button_title": _field(postback, "title", str, "postback") or ""}
    if payload == GET_STARTED:
        extra["start"] = True
    return payload, mid, extra


def _event(
    channel: str, account: str, event: dict[str, Any], entry_time: int | None
) -> Inbound | None:
    message = _field(event, "message", dict, "messaging")
    postback = _field(event, "postback", dict, "messaging")
    if message is None and postback is None:  # delivery, read, reaction, edit, optin, ...
        return None
    sender = _sender(event)
    if sender == account:  # our own page or account, e.g. a message sent from its inbox
        return None
    timestamp = _field(event, "timestamp", int, "messaging")
    if message is not None:
        found = _message(message)
        if found is None:
            return None
        text, mid, extra = found
    else:
        text, mid, extra = _postback(postback, f"postback:{sender}:{timestamp}")
    # The page (or Instagram account) written to is ours, not the customer's: `page_id`, never
    # `account_id`, which names a customer account to the desk.
    metadata: dict[str, Any] = {"external_user_id": sender, "page_id": account, "mid": mid}
    if timestamp is not None:
        metadata["timestamp"] = timestamp
    sent = timestamp if timestamp is not None else entry_time
    return Inbound(
        message=InboundMessage(
            conversation_id=conversation_id(channel, sender),
            channel=channel,
            text=text,
            metadata=metadata | extra,
        ),
        delivery_id=delivery_id(channel, mid),
        sent_at=_sent_at(sent),
    )


def _sent_at(milliseconds: int | None) -> datetime | None:
    """When an event was sent: its `timestamp`, else its entry's `time` (both in ms)."""
    return unix_time(milliseconds, "a timestamp", milliseconds=True) if milliseconds else None


def inbound(
    notification: Notification, channel: str, account_id: str | None = None
) -> list[Inbound]:
    """The customer messages of `channel` in a notification, in order; [] for another object.

    `account_id` (the page or Instagram account of the desk) restricts them to that account's
    entries, when one app serves several; a message whose sender is the account is dropped.
    """
    if notification["object"] != OBJECTS[channel]:
        return []
    items: list[Inbound] = []
    for entry in notification["entry"]:
        account = _id(_field(entry, "id", str, "entry"), "entry.id")
        if account_id is not None and account != account_id:
            continue
        # "standby" holds events another app has the conversation for; "changes" are
        # comments and mentions: neither is ours to answer.
        events = _field(entry, "messaging", list, "entry") or []
        if not all(isinstance(event, dict) for event in events):
            raise BadPayload("entry.messaging is a list of objects")
        entry_time = _field(entry, "time", int, "entry")
        items.extend(
            item for event in events if (item := _event(channel, account, event, entry_time))
        )
    return items

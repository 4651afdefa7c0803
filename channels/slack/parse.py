"""Slack's Events API and interactivity payloads as the desk's inbound messages (pure).

The desk answers people in two places, and a conversation id says where its replies go:

- a direct message with the app (`message` events with `channel_type: "im"`): the DM is one
  conversation, `slack:<team>:<channel>`, answered at its top level; a thread the customer opens
  inside the DM is a conversation of its own, `slack:<team>:<channel>:<thread_ts>`;
- a mention of the app in a channel (`app_mention`, or a `message` event that mentions it): the
  thread is the conversation, `slack:<team>:<channel>:<thread_ts or ts>`, so a mention at the top
  of a channel starts a thread and every reply goes into it.

An app subscribed to both `app_mention` and `message.channels` receives a mention twice, with two
event ids. Both carry the same message, so the delivery id is the message's identity,
`slack:<team>:<channel>:<ts>`, which Slack's retries of either event (same `event_id`) share too.
Edits, deletions, joins, reactions and the messages of bots (this app's own included) give nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from channels.base import InboundMessage
from channels.base.adapter import Inbound
from channels.base.errors import BadPayload
from channels.base.payload import read_json

CHANNEL = "slack"
_PREFIX = f"{CHANNEL}:"
# What people write: a plain message, one with a file, a thread reply also sent to the channel.
# Every other subtype is an edit, a deletion, a join, a bot's post or another system message.
_PERSON_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})
# Conversations shared by several people, where only a mention is meant for the desk.
_SHARED = frozenset({"channel", "group", "mpim"})
# Slack's markup in message text: <@U…>, <#C…|name>, <!here>, <https://…|label>.
_TOKEN = re.compile(r"<([^<>]*)>")
_LANG = re.compile(r"([a-z]{2})(?:[-_][a-z0-9-]*)?")
# Slack's ids (T… teams, C…/D…/G… conversations, U…/W… users) and message timestamps: what
# names a conversation or a delivery must be one of these, never any text.
_ID = re.compile(r"[A-Z0-9]{1,32}")
_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}")
_TRIGGER = re.compile(r"[0-9A-Za-z.]{1,128}")


@dataclass(frozen=True, slots=True)
class Place:
    """Where a conversation lives: a Slack conversation (DM or channel) of a workspace, and the
    thread in it that replies go into (None: the top level of a DM)."""

    team: str
    channel: str
    thread_ts: str | None = None


def conversation_id(place: Place) -> str:
    """The desk's conversation for a place in Slack."""
    thread = f":{place.thread_ts}" if place.thread_ts else ""
    return f"{_PREFIX}{place.team}:{place.channel}{thread}"


def place_of(conversation: str) -> Place:
    """The place in Slack of one of our conversation ids."""
    parts = conversation.removeprefix(_PREFIX).split(":")
    if not conversation.startswith(_PREFIX) or len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"{conversation!r} is not a Slack conversation")
    return Place(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


def message_delivery_id(team: str, channel: str, ts: str) -> str:
    """A message's identity: the same for its `app_mention` and `message` events and their
    retries (a `ts` is unique within a channel)."""
    return f"{_PREFIX}{team}:{channel}:{ts}"


def press_delivery_id(team: str, trigger_id: str) -> str:
    """A button press's identity (Slack does not resend interactions; this is for safety)."""
    return f"{_PREFIX}{team}:press:{trigger_id}"


def lang_of(locale: str | None) -> str | None:
    """The language of a Slack locale (`es-ES` → `es`), as a hint for replies."""
    match = _LANG.fullmatch((locale or "").lower())
    return match.group(1) if match else None


def json_object(data: str | bytes, what: str) -> dict[str, Any]:
    """`data` as a JSON object; `BadPayload` when it is not one."""
    value = read_json(data, what)
    if not isinstance(value, dict):
        raise BadPayload(f"{what} is not a JSON object")
    return value


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _required(data: Mapping[str, Any], key: str, what: str) -> str:
    value = _text(data, key)
    if value is None:
        raise BadPayload(f"{what} needs a string {key}")
    return value


def _matching(data: Mapping[str, Any], key: str, what: str, pattern: re.Pattern[str] = _ID) -> str:
    """A required id (or timestamp) of Slack's form; `BadPayload` for anything else."""
    value = _required(data, key, what)
    if not pattern.fullmatch(value):
        raise BadPayload(f"{what}'s {key} is not one of Slack's")
    return value


def _thread(data: Mapping[str, Any], what: str) -> str | None:
    """An optional `thread_ts`, of Slack's form when given."""
    return _matching(data, "thread_ts", what, _TS) if _text(data, "thread_ts") else None


def _object(data: Mapping[str, Any], key: str, what: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise BadPayload(f"{what} needs an object {key}")
    return value


def challenge(envelope: Mapping[str, Any]) -> str | None:
    """The challenge to send back when Slack checks the events URL (`url_verification`)."""
    if envelope.get("type") != "url_verification":
        return None
    return _required(envelope, "challenge", "a url_verification")


def _mention(bot_user: str) -> re.Pattern[str]:
    """The app's mention, with the blanks before it. A match starts only where a run of
    blanks does: otherwise every blank of a long run would start a scan to its end (40 000
    spaces, Slack's longest message, took seconds)."""
    return re.compile(rf"(?<![ \t])[ \t]*<@{re.escape(bot_user)}(?:\|[^<>]*)?>")


def _readable(token: re.Match[str]) -> str:
    target, _, label = token.group(1).partition("|")
    if target.startswith(("@", "#")):  # <@U0123>, <#C0123|general>
        return target[0] + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S0123|@support>, <!date^…|fallback>
        return label or "@" + target[1:].partition("^")[0]
    if not label:  # <https://imageko.com/help>
        return target
    # Slack links what was typed (`imageko.com` → <http://imageko.com|imageko.com>): keep that.
    return label if target.endswith(label) else f"{label} ({target})"


def plain_text(text: str, bot_user: str | None) -> str:
    """A message's text as the customer wrote it: without the app's mention, with Slack's
    markup for people, channels and links made readable and its escapes undone."""
    if bot_user:
        text = _mention(bot_user).sub("", text)
    text = _TOKEN.sub(_readable, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def _authorized_user(envelope: Mapping[str, Any]) -> str | None:
    """The bot user the event was delivered for (Slack lists one installation)."""
    authorizations = envelope.get("authorizations")
    if isinstance(authorizations, list) and authorizations and isinstance(authorizations[0], dict):
        return _text(authorizations[0], "user_id")
    return None


def _by_a_person(event: Mapping[str, Any], bot_user: str | None) -> bool:
    """Whether a message was written by a person: not a bot (nor this app's own bot user), and
    not an edit, a deletion, a join or another system message."""
    user = _text(event, "user")
    subtype = event.get("subtype")
    return (
        (subtype is None or isinstance(subtype, str))
        and subtype in _PERSON_SUBTYPES
        and not event.get("bot_id")
        and not event.get("hidden")
        and user is not None
        and user != bot_user
    )


def inbound(envelope: Mapping[str, Any], bot_user: str | None = None) -> list[Inbound]:
    """The customer message an Events API delivery carries, if any. `bot_user` is the app's bot
    user (from auth.test); when it is not known, the one the event was delivered for."""
    if envelope.get("type") != "event_callback":
        return []
    team = _matching(envelope, "team_id", "an event_callback")
    event = _object(envelope, "event", "an event_callback")
    bot_user = bot_user or _authorized_user(envelope)
    kind = event.get("type")
    if kind not in ("message", "app_mention") or not _by_a_person(event, bot_user):
        return []
    what = f"a {kind} event"
    channel = _matching(event, "channel", what)
    ts = _matching(event, "ts", what, _TS)
    thread_ts = _thread(event, what)
    user = _matching(event, "user", what)
    raw = _text(event, "text") or ""
    channel_type = _text(event, "channel_type")
    if kind == "message" and channel_type == "im":
        place = Place(team, channel, thread_ts)
    elif (
        # A DM's messages all come as `message.im` events: a mention there is the same message.
        (kind == "app_mention" and not channel.startswith("D"))
        or (
            channel_type in _SHARED
            and bot_user is not None
            and _mention(bot_user).search(raw) is not None
        )
    ):
        place = Place(team, channel, thread_ts or ts)
    else:
        return []
    text = plain_text(raw, bot_user)
    if not text:
        return []
    return [
        Inbound(
            message=InboundMessage(
                conversation_id=conversation_id(place),
                channel=CHANNEL,
                text=text,
                metadata={"external_user_id": user, "ts": ts},
            ),
            delivery_id=message_delivery_id(team, channel, ts),
        )
    ]


def interaction_of(body: bytes) -> dict[str, Any]:
    """An interactivity request's payload, which Slack posts form-encoded as `payload=<JSON>`."""
    try:
        fields = parse_qs(body.decode(), strict_parsing=True)
    except ValueError as exc:  # also invalid UTF-8
        raise BadPayload(f"the body is not a form: {exc}") from exc
    payloads = fields.get("payload", [])
    if len(payloads) != 1:
        raise BadPayload("an interaction is one form field, payload")
    return json_object(payloads[0], "the payload")


def press(payload: Mapping[str, Any]) -> list[Inbound]:
    """The button a customer pressed under one of the desk's messages, as a message with the
    button's value as its text. Presses in modals or the app's Home tab, other interactions
    and buttons without a value (links, like the console's in hand-off notices) give nothing."""
    if payload.get("type") != "block_actions":
        return []
    what = "a block_actions payload"
    container = _object(payload, "container", what)
    if container.get("type") != "message":
        return []
    actions = payload.get("actions")
    if not isinstance(actions, list):
        raise BadPayload(f"{what} needs a list of actions")
    values = [
        action["value"]
        for action in actions
        if isinstance(action, dict) and action.get("type") == "button" and _text(action, "value")
    ]
    if not values:
        return []
    team = _matching(_object(payload, "team", what), "id", what)
    user = _object(payload, "user", what)
    message = payload.get("message")
    # The message with the buttons is in the conversation's thread (none: a DM's top level).
    thread_ts = _thread(message, what) if isinstance(message, dict) else None
    place = Place(team, _matching(container, "channel_id", what), thread_ts)
    metadata: dict[str, Any] = {"external_user_id": _matching(user, "id", what)}
    if username := _text(user, "username"):
        metadata["username"] = username
    return [
        Inbound(
            message=InboundMessage(
                conversation_id=conversation_id(place),
                channel=CHANNEL,
                text=values[0],  # one press is one action
                metadata=metadata,
            ),
            delivery_id=press_delivery_id(team, _matching(payload, "trigger_id", what, _TRIGGER)),
        )
    ]

"""A local Slack Web API for tests: a real HTTP server on 127.0.0.1 (aiohttp) that answers
`/api/<method>` like slack.com/api (auth.test, chat.postMessage, users.info), checks the bearer
token and Block Kit limits as Slack does, records every call, and fails on demand.
Also genuine Events API and interactivity payloads, signed the way Slack signs them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.fakes.server import FakePlatform

TOKEN = "xoxb-7000000001-8000000002-TESTTOKENslackDESKabcdef"
SIGNING_SECRET = "8f742231b10e8888abcd99fedcba85a5"
VERIFICATION_TOKEN = "Jhj5dZrVaK7ZwHHjRyZWjbDl"  # deprecated, still sent in every payload
TEAM = "T0IMAGEKO1"
APP = "A0DESKAPP1"
BOT_USER = "U0DESKBOT1"
BOT_ID = "B0DESKBOT1"
CUSTOMER = "U0LUCIA001"
OTHER_USER = "U0MARC0001"
DM = "D0LUCIA001"  # the customer's direct message with the app
HELP = "C0HELP0001"  # #help, a public channel the app is in
AGENTS = "C0AGENTS01"  # #support-handoffs, the team's channel
CHANNELS = {DM: "im", HELP: "channel", AGENTS: "channel"}
USERS: dict[str, dict[str, Any]] = {
    CUSTOMER: {
        "name": "lucia.gomez",
        "real_name": "Lucía Gómez",
        "display_name": "Lucía",
        "tz": "Europe/Madrid",
        "locale": "es-ES",
    },
    OTHER_USER: {
        "name": "marc",
        "real_name": "Marc Dubois",
        "display_name": "",
        "tz": "Europe/Paris",
        "locale": "fr-FR",
    },
}

# Slack's limits, as its API enforces them.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_HEADER_TEXT = 150
MAX_URL = 3000
MAX_ALT_TEXT = 2000
MAX_MESSAGE_TEXT = 40000


@dataclass
class Call:
    """One request the fake received: the method, its parameters (query, form or JSON) and
    what it answered."""

    method: str
    params: dict[str, Any]
    status: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether Slack would have done it (`"ok": true`)."""
        return self.status == 200 and self.error is None


class _Refused(Exception):
    def __init__(self, error: str, status: int = 200) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text_object(value: Any, limit: int, *, plain_only: bool = False) -> str:
    """A composition text object's text; `invalid_blocks` when Slack would refuse it."""
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if not isinstance(value, dict) or value.get("type") not in kinds:
        raise _Refused("invalid_blocks")
    text = value.get("text")
    if not isinstance(text, str) or not text or len(text) > limit:
        raise _Refused("invalid_blocks")
    return text


def _check_block(block: Any) -> None:
    if not isinstance(block, dict):
        raise _Refused("invalid_blocks")
    match block.get("type"):
        case "section":
            fields = block.get("fields") or []
            if "text" in block:
                _text_object(block["text"], MAX_SECTION_TEXT)
            elif not fields:
                raise _Refused("invalid_blocks")
            if len(fields) > MAX_FIELDS:
                raise _Refused("invalid_blocks")
            for field in fields:
                _text_object(field, MAX_FIELD_TEXT)
        case "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 0 < len(elements) <= MAX_ELEMENTS:
                raise _Refused("invalid_blocks")
            for element in elements:
                if not isinstance(element, dict) or element.get("type") != "button":
                    raise _Refused("invalid_blocks")
                _text_object(element.get("text"), MAX_BUTTON_TEXT, plain_only=True)
                if len(str(element.get("value", ""))) > MAX_BUTTON_VALUE:
                    raise _Refused("invalid_blocks")
                if len(str(element.get("url", ""))) > MAX_URL:
                    raise _Refused("invalid_blocks")
        case "image":
            url, alt = block.get("image_url"), block.get("alt_text")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise _Refused("invalid_blocks")
            if len(url) > MAX_URL or not isinstance(alt, str) or not 0 < len(alt) <= MAX_ALT_TEXT:
                raise _Refused("invalid_blocks")
        case "header":
            _text_object(block.get("text"), MAX_HEADER_TEXT, plain_only=True)
        case _:
            raise _Refused("invalid_blocks")


def _check_message(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The blocks of a chat.postMessage, checked as Slack checks them."""
    if params.get("channel") not in CHANNELS:
        raise _Refused("channel_not_found")
    blocks = params.get("blocks") or []
    if isinstance(blocks, str):  # form-encoded calls carry blocks as JSON text
        blocks = json.loads(blocks)
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        raise _Refused("invalid_blocks")
    for block in blocks:
        _check_block(block)
    action_ids = [
        e.get("action_id") for b in blocks if b["type"] == "actions" for e in b["elements"]
    ]
    if len(action_ids) != len(set(action_ids)):
        raise _Refused("invalid_blocks")
    text = params.get("text")
    if not blocks and not (isinstance(text, str) and text.strip()):
        raise _Refused("no_text")
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        raise _Refused("msg_too_long")
    return blocks


class FakeSlack(FakePlatform):
    """Slack's Web API for `tokens`; use as `async with FakeSlack() as fake:` and point
    `AsyncWebClient(token, base_url=fake.base_url)` at it."""

    def __init__(self, tokens: tuple[str, ...] = (TOKEN,)) -> None:
        self.tokens = frozenset(tokens)
        self.calls: list[Call] = []
        self._served = 0
        # call number: (HTTP status, retry_after, Slack error)
        self._failures: dict[int, tuple[int, int, str | None]] = {}
        self._delays: dict[str, float] = {}
        self._next_ts = 1764160000

    @property
    def base_url(self) -> str:
        """What `AsyncWebClient(base_url=...)` takes: the method name is appended."""
        return f"http://127.0.0.1:{self.port}/api/"

    def fail_next(
        self, count: int, status: int = 429, *, retry_after: int = 1, after: int = 0
    ) -> None:
        """Answer `count` calls with HTTP `status`, starting `after` calls from now: 429 is
        Slack's rate limit (`Retry-After` header), 5xx its gateway's error page."""
        for n in range(count):
            self._failures[self._served + after + n] = (status, retry_after, None)

    def refuse_next(self, error: str, *, count: int = 1, after: int = 0) -> None:
        """Answer `count` calls with `{"ok": false, "error": error}` and HTTP 200, as Slack
        refuses a call it understood (`channel_not_found`, `internal_error`, ...)."""
        for n in range(count):
            self._failures[self._served + after + n] = (200, 0, error)

    def delay(self, method: str, seconds: float) -> None:
        """Answer every call of `method` only after `seconds`."""
        self._delays[method] = seconds

    def sent(self) -> list[Call]:
        """The messages Slack posted, in order."""
        return [c for c in self.of("chat.postMessage") if c.ok]

    def of(self, method: str) -> list[Call]:
        """Every call of `method`, accepted or not."""
        return [c for c in self.calls if c.method == method]

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._endpoint)

    async def _endpoint(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params |= await request.json()
        elif request.can_read_body:
            params |= {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        call = Call(method, params)
        self.calls.append(call)
        self._served += 1
        failure = self._failures.pop(self._served - 1, None)
        await asyncio.sleep(self._delays.get(method, 0))
        try:
            if failure is not None and failure[0] != 200:
                return self._failing(call, *failure[:2])
            authorization = request.headers.get("Authorization", "")
            token = authorization.removeprefix("Bearer ") or params.get("token")
            if not token:
                raise _Refused("not_authed")
            if token not in self.tokens:
                raise _Refused("invalid_auth")
            if failure is not None:
                raise _Refused(str(failure[2]))
            result = self._answer(method, params)
        except _Refused as refused:
            call.status, call.error = refused.status, refused.error
            return web.json_response({"ok": False, "error": refused.error}, status=refused.status)
        call.status = 200
        return web.json_response({"ok": True, **result}, headers={"X-OAuth-Scopes": _SCOPES})

    def _failing(self, call: Call, status: int, retry_after: int) -> web.Response:
        call.status = status
        if status == 429:
            call.error = "ratelimited"
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        if status >= 500:  # Slack's edge answers an outage with an HTML page
            call.error = "outage"
            return web.Response(
                text=f"<html><body><h1>{status} Server Error</h1></body></html>",
                status=status,
                content_type="text/html",
            )
        call.error = "invalid_request"
        return web.json_response({"ok": False, "error": "invalid_request"}, status=status)

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        match method:
            case "auth.test":
                return {
                    "url": "https://imageko.slack.com/",
                    "team": "imageko",
                    "user": "desk",
                    "team_id": TEAM,
                    "user_id": BOT_USER,
                    "bot_id": BOT_ID,
                    "is_enterprise_install": False,
                }
            case "chat.postMessage":
                return self._post(params)
            case "users.info":
                return {"user": _user(str(params.get("user")), params.get("include_locale"))}
            case _:
                raise _Refused("unknown_method", status=404)

    def _post(self, params: dict[str, Any]) -> dict[str, Any]:
        blocks = _check_message(params)
        self._next_ts += 1
        ts = f"{self._next_ts}.000100"
        message: dict[str, Any] = {
            "user": BOT_USER,
            "type": "message",
            "ts": ts,
            "bot_id": BOT_ID,
            "app_id": APP,
            "text": params.get("text", ""),
            "team": TEAM,
            "bot_profile": {"id": BOT_ID, "app_id": APP, "name": "desk", "team_id": TEAM},
        }
        if blocks:
            message["blocks"] = blocks
        if params.get("thread_ts"):
            message |= {"thread_ts": params["thread_ts"], "parent_user_id": CUSTOMER}
        return {"channel": params["channel"], "ts": ts, "message": message}


_SCOPES = "app_mentions:read,channels:history,chat:write,im:history,users:read"


def _user(user_id: str, include_locale: Any) -> dict[str, Any]:
    """A users.info `user`, with the locale only when asked (`include_locale`)."""
    known = USERS.get(user_id)
    if known is None:
        raise _Refused("user_not_found")
    user: dict[str, Any] = {
        "id": user_id,
        "team_id": TEAM,
        "name": known["name"],
        "deleted": False,
        "real_name": known["real_name"],
        "tz": known["tz"],
        "is_bot": False,
        "is_app_user": False,
        "updated": 1764100000,
        "profile": {
            "real_name": known["real_name"],
            "display_name": known["display_name"],
            "real_name_normalized": known["real_name"],
            "display_name_normalized": known["display_name"],
            "team": TEAM,
        },
    }
    if str(include_locale) in ("1", "true"):
        user["locale"] = known["locale"]
    return user


def delivered_text(call: Call) -> str:
    """What a posted message shows as text: its sections' text (its `text` without blocks),
    unescaped as Slack's clients show it."""
    blocks = call.params.get("blocks") or []
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    shown = "\n".join(sections) if blocks else str(call.params.get("text", ""))
    return _unescape(shown)


# Genuine payloads: the shapes of the Events API and of interactivity requests.


def sign(
    body: bytes,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    content_type: str = "application/json",
    retry: int | None = None,
) -> dict[str, str]:
    """The headers Slack sends `body` with: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>`
    under the app's signing secret; `retry` adds Slack's retry headers."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    headers = {
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return headers


def body_of(payload: dict[str, Any]) -> bytes:
    """A payload as Slack posts it to the events URL: compact JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def form_of(payload: dict[str, Any]) -> bytes:
    """An interactivity payload as Slack posts it: form-encoded `payload=<JSON>`."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()


def ts_of(n: int) -> str:
    """The `ts` of the `n`th message of the tests: unique within a channel, as Slack's are."""
    return f"{1764150000 + n}.{n % 1000000:06d}"


def envelope(event: dict[str, Any], n: int, *, team: str = TEAM) -> dict[str, Any]:
    """An event_callback as Slack delivers event number `n` (its `event_id`)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team,
        "context_team_id": team,
        "context_enterprise_id": None,
        "api_app_id": APP,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev0{n:09d}",
        "event_time": 1764150000 + n,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team,
                "user_id": BOT_USER,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-eyJldCI6Im1lc3NhZ2UiLCJ0aWQiOiJUMElNQUdFS08xIn0{n}",
    }


def _rich_text(text: str, mention: str | None = None) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = [{"type": "user", "user_id": mention}] if mention else []
    elements.append({"type": "text", "text": text})
    return [
        {
            "type": "rich_text",
            "block_id": "x7Tq",
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]


def message_event(
    text: str,
    n: int,
    *,
    channel: str = DM,
    user: str = CUSTOMER,
    thread_ts: str | None = None,
    kind: str = "message",
    mentions: bool = False,
) -> dict[str, Any]:
    """A person's message `n`: in the DM (`message.im`) or in a channel (`message.channels`),
    or as `app_mention` (`kind`). A mention's text starts with `<@BOT_USER>`."""
    mentions = mentions or kind == "app_mention"
    event: dict[str, Any] = {
        "user": user,
        "type": kind,
        "ts": ts_of(n),
        "client_msg_id": f"5d0e7f1c-3b9a-4c2e-9a57-{n:012d}",
        "text": f"<@{BOT_USER}> {text}" if mentions else text,
        "team": TEAM,
        "blocks": _rich_text(f" {text}" if mentions else text, BOT_USER if mentions else None),
        "channel": channel,
        "event_ts": ts_of(n),
    }
    if thread_ts is not None:
        event |= {"thread_ts": thread_ts, "parent_user_id": user}
    if kind == "message":
        event["channel_type"] = CHANNELS.get(channel, "channel")
    return event


def dm(text: str, n: int, **kwargs: Any) -> dict[str, Any]:
    """The customer writes `text` to the app in their DM: Slack's delivery of event `n`."""
    return envelope(message_event(text, n, **kwargs), n)


def mention(
    text: str, n: int, *, thread_ts: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The customer mentions the app in #help: Slack delivers it twice to an app subscribed to
    `app_mention` and `message.channels`, as two events of the same message."""
    app_mention, message = (
        message_event(text, n, channel=HELP, thread_ts=thread_ts, kind=kind, mentions=True)
        for kind in ("app_mention", "message")
    )
    return envelope(app_mention, n), envelope(message, n + 500000)


def url_verification(challenge: str) -> dict[str, Any]:
    """Slack's check of the events URL when it is saved in the app's settings."""
    return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}


def block_actions(
    value: str | None,
    *,
    channel: str = DM,
    thread_ts: str | None = None,
    user: str = CUSTOMER,
    n: int = 1,
    url: str | None = None,
) -> dict[str, Any]:
    """A person presses a button of the app's message (in the DM, or in a thread): what Slack
    posts to the interactivity URL. A link button (`url`) has no value."""
    action: dict[str, Any] = {
        "action_id": "reply_0",
        "block_id": "Zk3w",
        "text": {"type": "plain_text", "text": "Sí", "emoji": True},
        "type": "button",
        "action_ts": f"{1764155000 + n}.{n:06d}",
    }
    if value is not None:
        action["value"] = value
    if url is not None:
        action["url"] = url
    message: dict[str, Any] = {
        "user": BOT_USER,
        "type": "message",
        "ts": "1764160001.000100",
        "bot_id": BOT_ID,
        "app_id": APP,
        "text": "¿Te ha servido esta respuesta?",
        "team": TEAM,
        "blocks": [],
    }
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": channel,
        "is_ephemeral": False,
    }
    if thread_ts is not None:
        message |= {"thread_ts": thread_ts, "parent_user_id": user}
        container["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": {
            "id": user,
            "username": USERS[user]["name"],
            "name": USERS[user]["name"],
            "team_id": TEAM,
        },
        "api_app_id": APP,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": f"8123456789012.7000000001.{n:032x}",
        "team": {"id": TEAM, "domain": "imageko"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage" if channel == DM else "help"},
        "message": message,
        "state": {"values": {}},
        "response_url": f"https://hooks.slack.com/actions/{TEAM}/8123456789012/Abc{n}",
        "actions": [action],
    }


def unsupported_events(first: int = 900) -> dict[str, dict[str, Any]]:
    """Deliveries that carry no customer message for the desk, by what they are."""
    n = iter(range(first, first + 100))
    own = message_event("Tu ticket es el IMG-000042.", next(n), user=BOT_USER)
    own |= {"bot_id": BOT_ID, "app_id": APP}
    other_bot = message_event("Deploy finished", next(n), user="U0CIBOT001")
    other_bot |= {"bot_id": "B0CIBOT001"}
    legacy_bot = message_event("Build #42 passed", next(n), user="U0CIBOT001")
    legacy_bot |= {"subtype": "bot_message", "bot_id": "B0CIBOT001", "username": "ci"}
    legacy_bot.pop("user")
    edited = message_event("", next(n))
    edited |= {
        "subtype": "message_changed",
        "hidden": True,
        "message": message_event("me cobraron dos veces (editado)", 1) | {"edited": {}},
        "previous_message": message_event("me cobraron dos veces", 1),
    }
    edited.pop("user")
    deleted = message_event("", next(n))
    deleted |= {"subtype": "message_deleted", "hidden": True, "deleted_ts": ts_of(1)}
    deleted.pop("user")
    joined = message_event(f"<@{CUSTOMER}> has joined the channel", next(n), channel=HELP)
    joined |= {"subtype": "channel_join", "inviter": OTHER_USER}
    topic = f"Ask <@{BOT_USER}> about uploads"
    topic_set = message_event(
        f"<@{OTHER_USER}> set the channel topic: {topic}", next(n), channel=HELP, user=OTHER_USER
    )
    topic_set |= {"subtype": "channel_topic", "topic": topic}
    n_reaction = next(n)
    reaction = {
        "type": "reaction_added",
        "user": CUSTOMER,
        "reaction": "thumbsup",
        "item_user": BOT_USER,
        "item": {"type": "message", "channel": DM, "ts": "1764160001.000100"},
        "event_ts": ts_of(n_reaction),
    }
    n_member = next(n)
    member_joined = {
        "type": "member_joined_channel",
        "user": CUSTOMER,
        "channel": HELP,
        "channel_type": "C",
        "team": TEAM,
        "event_ts": ts_of(n_member),
    }
    n_home = next(n)
    home = {
        "type": "app_home_opened",
        "user": CUSTOMER,
        "channel": DM,
        "tab": "messages",
        "event_ts": ts_of(n_home),
    }
    events: dict[str, dict[str, Any]] = {
        "own_reply": own,
        "other_bot": other_bot,
        "bot_message": legacy_bot,
        "message_changed": edited,
        "message_deleted": deleted,
        "channel_join": joined,
        "channel_topic": topic_set,  # it mentions the app, yet nobody asked anything
        "channel_chatter": message_event("¿alguien sabe subir imágenes?", next(n), channel=HELP),
        "thread_chatter": message_event(
            "gracias!", next(n), channel=HELP, thread_ts=ts_of(1), user=OTHER_USER
        ),
        "file_without_text": message_event("", next(n)) | {"subtype": "file_share"},
        "reaction_added": reaction,
        "member_joined_channel": member_joined,
        "app_home_opened": home,
    }
    deliveries = {
        kind: envelope(event, first + i) for i, (kind, event) in enumerate(events.items())
    }
    deliveries["app_rate_limited"] = {
        "token": VERIFICATION_TOKEN,
        "type": "app_rate_limited",
        "team_id": TEAM,
        "minute_rate_limited": 1764150000,
        "api_app_id": APP,
    }
    deliveries["url_verification"] = url_verification(
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    )
    return deliveries

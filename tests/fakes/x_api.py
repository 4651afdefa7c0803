"""A local X API for tests: a real HTTP server on 127.0.0.1 (aiohttp) that answers the v2 calls
the desk makes (users/me, sending a DM, listing DM events) like api.twitter.com, checks each
call's OAuth 1.0a signature over the public URL, records every call, and fails on demand.
Also genuine Account Activity webhook bodies, signed the way X signs them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from aiohttp import web
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature

from tests.fakes.server import FakePlatform

PUBLIC_ORIGIN = "https://api.twitter.com"  # what tweepy calls, and signs for
CONSUMER_KEY = "xvz1evFS4wEEPTGEFPHBog"
CONSUMER_SECRET = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"
BOT: dict[str, Any] = {
    "id": "1580000000000000001",
    "name": "imageko support",
    "screen_name": "imageko_support",
}
# X's OAuth 1.0a access tokens start with the id of the account they act for.
ACCESS_TOKEN = f"{BOT['id']}-NRqGxh4lQnSf2Ye0mWbzKj7pL1cV9tRdE3uHsAaB"
ACCESS_TOKEN_SECRET = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
CUSTOMER: dict[str, Any] = {"id": "3805104374", "name": "Lucía Gómez", "screen_name": "luciag"}
# Another account subscribed to the same webhook (one app can serve several).
OTHER_ACCOUNT: dict[str, Any] = {"id": "1590000000000000002", "name": "Otra", "screen_name": "otra"}
MAX_TEXT = 10_000
_FIRST_EVENT_ID = 1_860_000_000_000_000_000


@dataclass
class Call:
    """One request the fake received: method, path, query, JSON body, whether its OAuth 1.0a
    signature was right, and the status it answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    signed: bool
    status: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the fake accepted it."""
        return self.status is not None and 200 <= self.status < 300


def _problem(status: int, detail: str | None = None, **extra: Any) -> web.Response:
    """An error as the v2 API answers it: an RFC 7807 problem object."""
    title = HTTPStatus(status).phrase
    body = {"title": title, "detail": detail or title, "type": "about:blank", "status": status}
    return web.json_response(body | extra, status=status)


def _invalid(parameter: str, value: Any, message: str) -> web.Response:
    return web.json_response(
        {
            "errors": [{"parameters": {parameter: [value]}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
        status=400,
    )


class FakeX(FakePlatform):
    """The X API for the account `BOT`; use as `async with FakeX() as fake:` and point the
    adapter's `api_url` at `fake.base_url`."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.events: list[dict[str, Any]] = []  # the account's DM events (v2 shape), any order
        self.users: dict[str, dict[str, Any]] = {u["id"]: u for u in (BOT, CUSTOMER)}
        self.refuse_dms_to: set[str] = set()  # users who do not accept DMs from the account
        self._served = 0
        self._failures: dict[int, tuple[int, int | None]] = {}  # call number: (status, reset)
        self._event_id = _FIRST_EVENT_ID

    @property
    def base_url(self) -> str:
        """The origin that takes the place of https://api.twitter.com."""
        return f"http://127.0.0.1:{self.port}"

    def fail_next(
        self, count: int, status: int = 429, *, reset_in: int | None = 60, after: int = 0
    ) -> None:
        """Answer `count` calls with `status`, starting `after` calls from now; a 429 says in
        `x-rate-limit-reset` that the window resets in `reset_in` seconds (None: no header)."""
        for n in range(count):
            self._failures[self._served + after + n] = (status, reset_in)

    def next_event_id(self) -> str:
        """A new DM event id, above every earlier one, as X's ids grow with time."""
        self._event_id += 1
        return str(self._event_id)

    def receive(
        self,
        text: str,
        *,
        sender: dict[str, Any] = CUSTOMER,
        created_at: datetime | None = None,
        **fields: Any,
    ) -> str:
        """A DM `sender` writes to the account, as GET /2/dm_events will list it (`fields`
        replace the event's own); its id."""
        event_id = self.next_event_id()
        self.users[sender["id"]] = sender
        self.events.append(v2_event(event_id, text, sender=sender, created_at=created_at) | fields)
        return event_id

    def sent(self) -> list[Call]:
        """The DMs X accepted, in order."""
        return [c for c in self.calls if c.method == "POST" and c.ok]

    def of(self, method: str, path_start: str) -> list[Call]:
        """Every `method` call whose path starts with `path_start`, accepted or not."""
        return [c for c in self.calls if c.method == method and c.path.startswith(path_start)]

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/2/users/me", self._me)
        app.router.add_post("/2/dm_conversations/with/{participant_id}/messages", self._send)
        app.router.add_get("/2/dm_events", self._dm_events)
        app.middlewares.append(self._gate)

    @staticmethod
    def _signed(request: web.Request) -> bool:
        """Whether the OAuth 1.0a HMAC-SHA1 signature is right for the public URL, with the
        app's and the account's keys. A JSON body is not part of the signature."""
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith("OAuth "):
            return False
        uri = PUBLIC_ORIGIN + request.raw_path
        params = signature.collect_parameters(
            uri_query=request.rel_url.raw_query_string,
            headers={"Authorization": authorization},
            exclude_oauth_signature=False,
        )
        oauth = dict(params)
        if (oauth.get("oauth_consumer_key"), oauth.get("oauth_token")) != (
            CONSUMER_KEY,
            ACCESS_TOKEN,
        ):
            return False
        checked = OAuthRequest(uri, http_method=request.method)
        checked.signature = oauth.get("oauth_signature", "")
        checked.params = [(k, v) for k, v in params if k != "oauth_signature"]
        return bool(signature.verify_hmac_sha1(checked, CONSUMER_SECRET, ACCESS_TOKEN_SECRET))

    @web.middleware
    async def _gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Record the call, check its signature, then fail it on demand or answer it."""
        body = await request.json() if request.can_read_body else None
        call = Call(request.method, request.path, dict(request.query), body, self._signed(request))
        self.calls.append(call)
        self._served += 1
        failure = self._failures.pop(self._served - 1, None)
        reset: int | None = int(time.time()) + 900  # the endpoint's 15-minute window
        if not call.signed:
            response: web.StreamResponse = _problem(401, "Unauthorized")
        elif failure is not None:
            status, reset_in = failure
            response = _problem(status)
            if status == 429:
                reset = None if reset_in is None else int(time.time()) + reset_in
        else:
            response = await handler(request)
        if reset is not None:
            response.headers["x-rate-limit-limit"] = "200"
            response.headers["x-rate-limit-remaining"] = "0" if response.status == 429 else "199"
            response.headers["x-rate-limit-reset"] = str(reset)
        call.status = response.status
        return response

    async def _me(self, request: web.Request) -> web.Response:
        return web.json_response({"data": _v2_user(BOT)})

    async def _send(self, request: web.Request) -> web.Response:
        participant_id = request.match_info["participant_id"]
        body = await request.json()
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            return _invalid("text", text, "text is required when no attachments are given")
        if len(text) > MAX_TEXT:
            return _invalid("text", text[:20], f"text must be at most {MAX_TEXT} characters")
        if participant_id not in self.users:
            return _problem(404, f"Could not find user with id: [{participant_id}].")
        if participant_id in self.refuse_dms_to:
            return _problem(403, "You cannot send messages to this user.")
        event_id = self.next_event_id()
        event = v2_event(event_id, text, sender=BOT, recipient=self.users[participant_id])
        self.events.append(event)
        return web.json_response(
            {"data": {"dm_conversation_id": event["dm_conversation_id"], "dm_event_id": event_id}},
            status=201,
        )

    async def _dm_events(self, request: web.Request) -> web.Response:
        query = request.query
        kinds = query.get("event_types")
        events = sorted(self.events, key=lambda e: int(e["id"]), reverse=True)  # newest first
        events = [e for e in events if kinds is None or e["event_type"] == kinds]
        start = int(query.get("pagination_token", "0") or 0)
        size = int(query.get("max_results", "100"))
        if not 1 <= size <= 100:
            return _invalid("max_results", str(size), "max_results must be between 1 and 100")
        page = events[start : start + size]
        # X returns id, event_type and text by default; anything else only when asked.
        fields = {"id", "event_type", "text", *query.get("dm_event.fields", "").split(",")}
        data = [{k: v for k, v in e.items() if k in fields} for e in page]
        meta: dict[str, Any] = {"result_count": len(data)}
        if start + size < len(events):
            meta["next_token"] = str(start + size)
        if start:
            meta["previous_token"] = str(max(start - size, 0))
        answer: dict[str, Any] = {"meta": meta}
        if data:
            answer["data"] = data
        if "sender_id" in query.get("expansions", "").split(","):
            senders = sorted({e["sender_id"] for e in page if "sender_id" in e})
            answer["includes"] = {"users": [_v2_user(self.users[s]) for s in senders]}
        return web.json_response(answer)


def _v2_user(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "name": user["name"], "username": user["screen_name"]}


def _one_to_one(*user_ids: str) -> str:
    return "-".join(sorted(user_ids, key=int))


def v2_event(
    event_id: str,
    text: str,
    *,
    sender: dict[str, Any] = CUSTOMER,
    recipient: dict[str, Any] = BOT,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """A MessageCreate event as GET /2/dm_events returns it with every field."""
    created = created_at or datetime.now(UTC)
    return {
        "id": event_id,
        "event_type": "MessageCreate",
        "text": text,
        "sender_id": sender["id"],
        "dm_conversation_id": _one_to_one(sender["id"], recipient["id"]),
        "created_at": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


# Account Activity webhook bodies: the field names and shapes X sends.


def sign(body: bytes, secret: str = CONSUMER_SECRET) -> str:
    """`x-twitter-webhooks-signature` for `body`: base64 HMAC-SHA256 with the consumer secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def crc_response(crc_token: str, secret: str = CONSUMER_SECRET) -> dict[str, str]:
    """What X expects back from its challenge-response check."""
    return {"response_token": sign(crc_token.encode(), secret)}


def webhook_headers(body: bytes, secret: str = CONSUMER_SECRET) -> dict[str, str]:
    """The headers of X's webhook POSTs carrying `body`."""
    return {"Content-Type": "application/json", "x-twitter-webhooks-signature": sign(body, secret)}


def _v1_user(user: dict[str, Any]) -> dict[str, Any]:
    """A condensed v1.1 user, as in a webhook body's `users`."""
    return {
        "id": user["id"],
        "created_timestamp": "1476091912921",
        "name": user["name"],
        "screen_name": user["screen_name"],
        "protected": False,
        "verified": False,
        "followers_count": 120,
        "friends_count": 87,
        "statuses_count": 433,
        "profile_image_url": "http://pbs.twimg.com/profile_images/785412960797745152/wx_normal.jpg",
        "profile_image_url_https": (
            "https://pbs.twimg.com/profile_images/785412960797745152/wx_normal.jpg"
        ),
    }


def dm_event(
    event_id: str,
    text: str,
    *,
    sender: dict[str, Any] = CUSTOMER,
    recipient: dict[str, Any] = BOT,
    quick_reply_metadata: str | None = None,
    created: datetime | None = None,
) -> dict[str, Any]:
    """A v1.1 `message_create` DM event, as the webhook delivers it, created now (or at
    `created`)."""
    message_data: dict[str, Any] = {
        "text": text,
        "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
    }
    if quick_reply_metadata is not None:
        # The label the customer tapped is the text; the option's metadata comes alongside.
        message_data["quick_reply_response"] = {"type": "options", "metadata": quick_reply_metadata}
    return {
        "type": "message_create",
        "id": event_id,
        "created_timestamp": str(int((created.timestamp() if created else time.time()) * 1000)),
        "message_create": {
            "target": {"recipient_id": recipient["id"]},
            "sender_id": sender["id"],
            "source_app_id": "268278",
            "message_data": message_data,
        },
    }


def webhook_body(*events: dict[str, Any], for_user: dict[str, Any] = BOT) -> dict[str, Any]:
    """The webhook call delivering DM `events` to the subscription of `for_user`."""
    users: dict[str, Any] = {}
    for event in events:
        create = event["message_create"]
        for user_id in (create["sender_id"], create["target"]["recipient_id"]):
            known = next((u for u in (BOT, CUSTOMER) if u["id"] == user_id), None)
            users[user_id] = _v1_user(known or {"id": user_id, "name": "x", "screen_name": "x"})
    return {
        "for_user_id": for_user["id"],
        "direct_message_events": list(events),
        "apps": {
            "268278": {"id": "268278", "name": "Twitter Web Client", "url": "http://twitter.com"}
        },
        "users": users,
    }


def _tweet(text: str, user: dict[str, Any]) -> dict[str, Any]:
    return {
        "created_at": "Wed Nov 26 10:20:00 +0000 2025",
        "id": 1993600000000000001,
        "id_str": "1993600000000000001",
        "text": text,
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "truncated": False,
        "in_reply_to_status_id": None,
        "in_reply_to_user_id": None,
        "user": {
            "id": int(user["id"]),
            "id_str": user["id"],
            "name": user["name"],
            "screen_name": user["screen_name"],
        },
        "entities": {"hashtags": [], "urls": [], "user_mentions": [], "symbols": []},
        "lang": "es",
    }


def unsupported_bodies() -> dict[str, dict[str, Any]]:
    """Genuine webhook bodies that carry no customer DM for the desk, by what they are."""
    now_ms = str(int(time.time() * 1000))
    bot_id = BOT["id"]
    return {
        "mention": {
            "for_user_id": bot_id,
            "user_has_blocked": "false",
            "tweet_create_events": [_tweet("@imageko_support ¿hola?", CUSTOMER)],
        },
        "favorite": {
            "for_user_id": bot_id,
            "favorite_events": [
                {
                    "id": "a7ba59eab0bfcba386f7acedac279542",
                    "created_at": "Wed Nov 26 10:21:00 +0000 2025",
                    "timestamp_ms": 1764152460000,
                    "favorited_status": _tweet("New: faster uploads", BOT),
                    "user": _v1_user(CUSTOMER),
                }
            ],
        },
        "follow": {
            "for_user_id": bot_id,
            "follow_events": [
                {
                    "type": "follow",
                    "created_timestamp": now_ms,
                    "target": _v1_user(BOT),
                    "source": _v1_user(CUSTOMER),
                }
            ],
        },
        "typing": {
            "for_user_id": bot_id,
            "direct_message_indicate_typing_events": [
                {
                    "created_timestamp": now_ms,
                    "sender_id": CUSTOMER["id"],
                    "target": {"recipient_id": bot_id},
                }
            ],
            "users": {u["id"]: _v1_user(u) for u in (BOT, CUSTOMER)},
        },
        "mark_read": {
            "for_user_id": bot_id,
            "direct_message_mark_read_events": [
                {
                    "created_timestamp": now_ms,
                    "sender_id": CUSTOMER["id"],
                    "target": {"recipient_id": bot_id},
                    "last_read_event_id": "1859999999999999990",
                }
            ],
            "users": {u["id"]: _v1_user(u) for u in (BOT, CUSTOMER)},
        },
        "tweet_delete": {
            "for_user_id": bot_id,
            "tweet_delete_events": [
                {
                    "status": {"id": "1993600000000000001", "user_id": CUSTOMER["id"]},
                    "timestamp_ms": now_ms,
                }
            ],
        },
        "app_revoked": {
            "user_event": {
                "revoke": {
                    "date_time": "2025-11-26T10:22:00+00:00",
                    "target": {"app_id": "13090192"},
                    "source": {"user_id": CUSTOMER["id"]},
                }
            }
        },
        "own_dm_echo": webhook_body(
            dm_event("1859999999999999991", "¿Te ha servido?", sender=BOT, recipient=CUSTOMER)
        ),
        "other_account": webhook_body(
            dm_event("1859999999999999992", "hola", recipient=OTHER_ACCOUNT),
            for_user=OTHER_ACCOUNT,
        ),
        # The other account's copy of a DM it sent us: ours comes in our own delivery.
        "other_accounts_copy": webhook_body(
            dm_event("1859999999999999994", "hola", sender=OTHER_ACCOUNT),
            for_user=OTHER_ACCOUNT,
        ),
        "whitespace_only": webhook_body(dm_event("1859999999999999993", " \n ")),
    }


def ago(*, days: int = 0, hours: int = 0) -> datetime:
    """A moment that long before now."""
    return datetime.now(UTC) - timedelta(days=days, hours=hours)


def body_of(payload: dict[str, Any]) -> bytes:
    """A webhook payload as the bytes X posts."""
    return json.dumps(payload).encode()

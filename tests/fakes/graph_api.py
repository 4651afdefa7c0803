"""A local Graph API for tests: a real HTTP server on 127.0.0.1 (aiohttp) that answers the Send
API (`POST /v21.0/me/messages`) like graph.facebook.com — its validation, its error bodies, its
rate-limit headers — records every call and fails on demand. Also genuine webhook notifications
for Messenger and Instagram, serialised and signed the way Meta sends them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.server import FakePlatform

VERSION = "v21.0"
APP_SECRET = "6b1f0e4c9a2d47f3b8c5e1a0d9f27c64"
VERIFY_TOKEN = "imageko-meta-verify-3Jx9"
PAGE_TOKEN = "EAAJZBmFpT3QwBOZCNmXk4ZBqhT7pZAuGL5ZCxRmZCT3oZBQZDZD"
INSTAGRAM_TOKEN = "IGAAQx7ZBbn1ZBdBZAE9uYzBPRWFkTm9zR2xZAWXZAnVlZA3VZD"
PAGE_ID = "104729318573650"
INSTAGRAM_ACCOUNT_ID = "17841405822304914"
# The same customer, as each product scopes her: a page-scoped id and an Instagram-scoped id.
PSID = "6944385812290714"
IGSID = "1254836925872935"
OBJECT = {"messenger": "page", "instagram": "instagram"}
ACCOUNT = {"messenger": PAGE_ID, "instagram": INSTAGRAM_ACCOUNT_ID}
CUSTOMER = {"messenger": PSID, "instagram": IGSID}
# What Meta takes in one message: Messenger counts characters, Instagram bytes of UTF-8.
MAX_TEXT = {"messenger": 2000, "instagram": 1000}
MAX_QUICK_REPLIES = 13
MAX_TITLE = 20
MAX_PAYLOAD = 1000
_ERRORS = {
    2: "An unexpected error has occurred. Please retry your request later.",
    4: "(#4) Application request limit reached",
    10: "(#10) This message is sent outside of allowed window.",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    100: "(#100) Invalid parameter",
    190: "Invalid OAuth access token - Cannot parse access token",
    551: "(#551) This person isn't available right now.",
    613: "(#613) Calls to this api have exceeded the rate limit.",
}
_RATE_LIMITS = frozenset({4, 17, 32, 613})
# When the fake's notifications were sent, in ms: recently, well within the desk's 24 hours
# (each event adds its number, in seconds).
SENT_MS = (int(time.time()) - 3600) * 1000


@dataclass
class Call:
    """One request the fake received: the product its token belongs to (None for an unknown
    token), its decoded body, and the status it answered."""

    path: str
    product: str | None
    body: dict[str, Any]
    query: dict[str, str]
    authorization: str | None
    status: int = 0

    @property
    def ok(self) -> bool:
        """Whether the fake accepted it."""
        return self.status == 200


class _Refused(Exception):
    def __init__(self, status: int, code: int, message: str, subcode: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.subcode = status, code, message, subcode


def _invalid(message: str, subcode: int | None = None) -> _Refused:
    return _Refused(400, 100, f"(#100) {message}", subcode)


class FakeGraph(FakePlatform):
    """The Send API of one page (Messenger) and one Instagram account; use as
    `async with FakeGraph() as fake:` and point an httpx client's base URL at `fake.base_url`."""

    def __init__(
        self,
        tokens: Mapping[str, str] | None = None,
        customers: Mapping[str, str] | None = None,
    ) -> None:
        self.tokens = dict(tokens or {PAGE_TOKEN: "messenger", INSTAGRAM_TOKEN: "instagram"})
        self.customers = dict(customers or CUSTOMER)  # product: the one user who wrote to us
        self.unavailable: set[str] = set()  # users who blocked the page or deleted the account
        self.calls: list[Call] = []
        self._served = 0
        self._failures: dict[int, tuple[int, int | None, int]] = {}

    @property
    def base_url(self) -> str:
        """The Graph API root with its version, as the adapters take it."""
        return f"http://127.0.0.1:{self.port}/{VERSION}"

    def fail_next(
        self,
        count: int,
        status: int = 429,
        *,
        code: int | None = None,
        after: int = 0,
        regain_minutes: int = 1,
    ) -> None:
        """Answer `count` calls with `status`, starting `after` calls from now: 429 is Graph's
        rate limit (code 613, with the minutes to wait in `X-Business-Use-Case-Usage`), 500
        and 503 its outage (code 2, transient), 502 a gateway page that is not JSON, others
        the error `code` given (100 by default)."""
        for n in range(count):
            self._failures[self._served + after + n] = (status, code, regain_minutes)

    def sent(self, product: str | None = None) -> list[Call]:
        """The messages Meta accepted, in order; only `product`'s when given."""
        return [c for c in self.calls if c.ok and product in (None, c.product)]

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/{version}/{node}/messages", self._endpoint)

    async def _endpoint(self, request: web.Request) -> web.StreamResponse:
        authorization = request.headers.get("Authorization")
        # Graph also takes form fields holding JSON; the adapters send a JSON body.
        try:
            body = await request.json()
        except ValueError:
            body = None
        query = dict(request.query)
        params = body if isinstance(body, dict) else {}
        token = query.get("access_token") or params.get("access_token")
        if authorization and authorization.split(" ", 1)[0] in ("Bearer", "OAuth"):
            token = authorization.split(" ", 1)[1]
        product = self.tokens.get(str(token)) if token else None
        call = Call(request.path, product, params, query, authorization)
        self.calls.append(call)
        self._served += 1
        failure = self._failures.pop(self._served - 1, None)
        try:
            if failure is not None:
                return self._failure(call, *failure)
            if request.match_info["version"] != VERSION:
                raise _Refused(
                    400, 2500, f"Unknown path components: /{request.match_info['version']}"
                )
            if not token:
                raise _Refused(
                    400,
                    2500,
                    "An active access token must be used to query information about "
                    "the current user.",
                )
            if product is None:
                raise _Refused(400, 190, _ERRORS[190])
            if not isinstance(body, dict):
                raise _invalid("The request body must be a JSON object")
            result = self._send(product, body)
        except _Refused as refused:
            call.status = refused.status
            return web.json_response(
                self._error(refused.code, refused.message, refused.subcode), status=refused.status
            )
        call.status = 200
        return web.json_response(result)

    def _failure(
        self, call: Call, status: int, code: int | None, regain_minutes: int
    ) -> web.StreamResponse:
        call.status = status
        if status == 502:
            return web.Response(
                status=502,
                text="<html><body><h1>502 Bad Gateway</h1></body></html>",
                content_type="text/html",
            )
        if code is None:
            code = {429: 613, 500: 2, 503: 2}.get(status, 100)
        headers = {}
        if code in _RATE_LIMITS:
            usage = [
                {
                    "type": "messenger",
                    "call_count": 100,
                    "total_cputime": 31,
                    "total_time": 44,
                    "estimated_time_to_regain_access": regain_minutes,
                }
            ]
            headers["X-Business-Use-Case-Usage"] = json.dumps({PAGE_ID: usage})
        body = self._error(code, _ERRORS.get(code, _ERRORS[100]))
        if code == 2:
            body["error"]["is_transient"] = True
        return web.json_response(body, status=status, headers=headers)

    @staticmethod
    def _error(code: int, message: str, subcode: int | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
        if subcode is not None:
            error["error_subcode"] = subcode
        error["fbtrace_id"] = "AQ1e9XbW_zVqGk3pL7s2rTn"
        return {"error": error}

    def _send(self, product: str, body: dict[str, Any]) -> dict[str, Any]:
        recipient = body.get("recipient")
        if not isinstance(recipient, dict) or not isinstance(recipient.get("id"), str):
            raise _invalid("The parameter recipient is required")
        if body.get("messaging_type") not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            raise _invalid("Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
        message = body.get("message")
        if not isinstance(message, dict):
            raise _invalid("The parameter message is required")
        text, attachment = message.get("text"), message.get("attachment")
        if (text is None) == (attachment is None):
            raise _invalid("Exactly one of message[text] or message[attachment] must be set")
        if text is not None:
            self._check_text(product, text)
        else:
            self._check_image(attachment)
        self._check_quick_replies(message.get("quick_replies"))
        user_id = recipient["id"]
        if user_id != self.customers.get(product):
            raise _invalid("No matching user found", subcode=2018001)
        if user_id in self.unavailable:
            raise _Refused(400, 551, _ERRORS[551], subcode=1545041)
        return {"recipient_id": user_id, "message_id": f"m_{product[:2]}{len(self.calls):06d}"}

    @staticmethod
    def _check_text(product: str, text: Any) -> None:
        if not isinstance(text, str) or not text.strip():
            raise _invalid("Param message[text] must be a non-empty UTF-8 encoded string")
        size = len(text.encode()) if product == "instagram" else len(text)
        if size > MAX_TEXT[product]:
            raise _invalid(
                f"Length of param message[text] must be less than or equal to {MAX_TEXT[product]}"
            )

    @staticmethod
    def _check_image(attachment: Any) -> None:
        if not isinstance(attachment, dict) or attachment.get("type") != "image":
            raise _invalid("Param message[attachment][type] must be one of {image, ...}")
        payload = attachment.get("payload")
        if not isinstance(payload, dict):
            raise _invalid("The parameter message[attachment][payload] is required")
        url = payload.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise _invalid("Param message[attachment][payload][url] must be a valid URL")

    @staticmethod
    def _check_quick_replies(quick_replies: Any) -> None:
        if quick_replies is None:
            return
        if not isinstance(quick_replies, list) or len(quick_replies) > MAX_QUICK_REPLIES:
            raise _invalid("param message[quick_replies] must be an array of at most 13 items")
        for reply in quick_replies:
            if not isinstance(reply, dict) or reply.get("content_type") != "text":
                raise _invalid("param quick_replies[content_type] must be one of {text, ...}")
            title, payload = reply.get("title"), reply.get("payload")
            if not isinstance(title, str) or not 0 < len(title) <= MAX_TITLE:
                raise _invalid("param title must be a non-empty string of at most 20 characters")
            if not isinstance(payload, str | int) or not 0 < len(str(payload)) <= MAX_PAYLOAD:
                raise _invalid("param payload must be a string of at most 1000 characters")


# Genuine webhook notifications: the shapes of Meta's `messages`, `messaging_postbacks` and
# other messaging webhook fields.


def serialise(notification: dict[str, Any]) -> bytes:
    """A notification as Meta puts it on the wire: compact JSON, non-ASCII escaped as
    lowercase `\\uXXXX` and slashes as `\\/`. The signature is over exactly these bytes."""
    return json.dumps(notification, separators=(",", ":")).replace("/", "\\/").encode()


def signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    """The headers of Meta's webhook call carrying `body`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "User-Agent": "facebookexternalua",
        "X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
        "X-Hub-Signature-256": f"sha256={digest}",
    }


def mid(product: str, n: int) -> str:
    """A message id as each product writes them."""
    if product == "instagram":
        return f"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OjM0MD{n:08d}ZDZD"
    return f"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxq{n:08d}"


def _ms(n: int) -> int:
    return SENT_MS + n * 1000


def notification(
    product: str, *events: dict[str, Any], account: str | None = None
) -> dict[str, Any]:
    """One webhook call of `product` with `events` in one entry of `account` (ours by default)."""
    return {
        "object": OBJECT[product],
        "entry": [
            {
                "id": account or ACCOUNT[product],
                "time": _ms(len(events)),
                "messaging": list(events),
            }
        ],
    }


def _event(
    product: str, n: int, sender: str | None = None, sent_ms: int | None = None, **kind: Any
) -> dict[str, Any]:
    return {
        "sender": {"id": sender or CUSTOMER[product]},
        "recipient": {"id": ACCOUNT[product]},
        "timestamp": _ms(n) if sent_ms is None else sent_ms,
        **kind,
    }


def text_event(
    product: str,
    n: int,
    text: str,
    *,
    quick_reply: str | None = None,
    sender: str | None = None,
    sent_ms: int | None = None,
) -> dict[str, Any]:
    """The customer writes `text` (or taps the quick reply titled `text` with its payload),
    at `sent_ms` (Unix time in milliseconds) when given."""
    message: dict[str, Any] = {"mid": mid(product, n), "text": text}
    if quick_reply is not None:
        message["quick_reply"] = {"payload": quick_reply}
    return _event(product, n, sender, sent_ms, message=message)


def postback_event(
    product: str, n: int, payload: str, title: str, *, with_mid: bool = True
) -> dict[str, Any]:
    """The customer presses a button (a template's, the persistent menu's, Get Started)."""
    postback: dict[str, Any] = {"title": title, "payload": payload}
    if with_mid:
        postback = {"mid": mid(product, n)} | postback
    return _event(product, n, postback=postback)


def text_notification(product: str, n: int, text: str, **options: Any) -> dict[str, Any]:
    """A notification with one customer message."""
    return notification(product, text_event(product, n, text, **options))


def unsupported_notifications(product: str, first: int = 900) -> dict[str, dict[str, Any]]:
    """Notifications that carry no customer text for the desk, by what they are."""
    account, customer = ACCOUNT[product], CUSTOMER[product]
    n = first
    image = "https://scontent.xx.fbcdn.net/v/t1.15752-9/4719_n.png?_nc_cat=1&oh=03_Q7cD1"
    events: dict[str, dict[str, Any]] = {
        "echo": {
            "sender": {"id": account},
            "recipient": {"id": customer},
            "timestamp": _ms(n),
            "message": {
                "mid": mid(product, n),
                "is_echo": True,
                "app_id": 1517449038294627,
                "text": "¿Te ha servido esta respuesta?",
            },
        },
        "delivery": _event(
            product, n + 1, delivery={"mids": [mid(product, n)], "watermark": _ms(n + 1)}
        ),
        "read": _event(
            product,
            n + 2,
            read={"mid": mid(product, n)} if product == "instagram" else {"watermark": _ms(n)},
        ),
        "reaction": _event(
            product,
            n + 3,
            reaction={"mid": mid(product, n), "action": "react", "reaction": "love", "emoji": "❤"},
        ),
        "image": _event(
            product,
            n + 4,
            message={
                "mid": mid(product, n + 4),
                "attachments": [{"type": "image", "payload": {"url": image}}],
            },
        ),
        "sticker": _event(
            product,
            n + 5,
            message={
                "mid": mid(product, n + 5),
                "sticker_id": 369239263222822,
                "attachments": [
                    {"type": "image", "payload": {"url": image, "sticker_id": 369239263222822}}
                ],
            },
        ),
        "edit": _event(
            product,
            n + 6,
            message_edit={"mid": mid(product, n), "text": "me cobraron dos veces", "num_edit": 1},
        ),
        "referral": _event(
            product,
            n + 7,
            referral={"ref": "helpcentre", "source": "SHORTLINK", "type": "OPEN_THREAD"},
        ),
        "own_account": _event(
            product, n + 8, sender=account, message={"mid": mid(product, n + 8), "text": "hola"}
        ),
    }
    if product == "instagram":
        events |= {
            "deleted": _event(
                product, n + 10, message={"mid": mid(product, n), "is_deleted": True}
            ),
            "unsupported": _event(
                product, n + 11, message={"mid": mid(product, n + 11), "is_unsupported": True}
            ),
            "story_mention": _event(
                product,
                n + 12,
                message={
                    "mid": mid(product, n + 12),
                    "attachments": [{"type": "story_mention", "payload": {"url": image}}],
                },
            ),
        }
    else:
        events["optin"] = {  # the checkbox plugin: no sender yet, only a user_ref
            "recipient": {"id": account},
            "timestamp": _ms(n + 10),
            "optin": {"ref": "checkout", "user_ref": "b7d3c1a0-ref"},
        }
    notifications = {kind: notification(product, event) for kind, event in events.items()}
    other = "instagram" if product == "messenger" else "messenger"
    notifications |= {
        "standby": {
            "object": OBJECT[product],
            "entry": [
                {"id": account, "time": _ms(n), "standby": [text_event(product, n + 20, "hola")]}
            ],
        },
        "changes": {
            "object": OBJECT[product],
            "entry": [
                {
                    "id": account,
                    "time": _ms(n),
                    "changes": [{"field": "feed", "value": {"item": "comment", "verb": "add"}}],
                }
            ],
        },
        "other_product": text_notification(other, n + 21, "hola"),
        "other_object": {
            "object": "permissions",
            "entry": [{"id": "10213", "time": _ms(n), "changed_fields": ["email"], "uid": "10213"}],
        },
        "other_account": notification(product, text_event(product, n + 22, "hola"), account="99"),
    }
    return notifications

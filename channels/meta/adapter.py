"""Messenger and Instagram adapters on httpx: webhook verification, parsing and the Send API.

Both products are one Meta app: the same signature (`X-Hub-Signature-256`), the same
notification shape and the same `POST /me/messages`. They differ in their webhook `object`,
their token and their text limit, so each is a small subclass of `MetaAdapter`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any, ClassVar

import httpx

from channels.base import OutboundMessage
from channels.base.adapter import ChannelAdapter, Inbound, header
from channels.base.errors import BadSignature, PlatformError
from channels.base.text import utf16_len
from channels.meta import parse
from channels.meta.parse import Notification
from channels.meta.render import SendMessage, render

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com/v21.0"
SIGNATURE_HEADER = "X-Hub-Signature-256"
_SIGNATURE_SCHEME = "sha256"
# Graph error codes (https://developers.facebook.com/docs/graph-api/guides/error-handling):
# rate limits of the app (4), the user (17), the page (32), a custom limit (613) and the
# business use cases of pages, Instagram and Messenger (80001, 80002, 80006) pass with time;
# so do unknown (1) and service (2) errors, Meta's own outages.
RATE_LIMITED = frozenset({4, 17, 32, 613, 80001, 80002, 80006})
TRANSIENT = frozenset({1, 2})
# A missing permission or a closed 24 h window (10), a customer who cannot be reached (551) and
# a bad or expired token (190) stay so, whatever the HTTP status said.
REFUSED = frozenset({10, 190, 551})
_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Meta's standard messaging window: a page may answer a message for 24 hours, so an older
# delivery could not be answered anyway; and Meta stops retrying long before (it disables a
# webhook that has failed for about 8 hours).
MAX_AGE = timedelta(hours=24)


def _retry_after(headers: httpx.Headers) -> float | None:
    """The wait Meta asks for: `Retry-After` in seconds, or the longest
    `estimated_time_to_regain_access` (minutes) of the business use case usage header."""
    retry_after = headers.get("retry-after", "")
    if retry_after.isdigit() and int(retry_after) > 0:
        return float(retry_after)
    try:
        usage: Any = json.loads(headers.get("x-business-use-case-usage", "{}"))
        minutes = max(
            (
                float(case.get("estimated_time_to_regain_access") or 0)
                for cases in usage.values()
                for case in cases
            ),
            default=0.0,
        )
    except (ValueError, TypeError, AttributeError):  # not the documented shape: no hint
        return None
    return minutes * 60 if minutes > 0 else None


def platform_error(response: httpx.Response) -> PlatformError:
    """A refused Send API call as the outbox reads it. Graph names the reason in its error
    `code`, more reliably than in the HTTP status (a rate limit usually comes as a 400)."""
    try:
        error: Any = response.json().get("error")
    except (ValueError, AttributeError):  # a proxy's HTML page, or JSON that is not an object
        error = None
    if not isinstance(error, dict):
        error = {}
    code = error.get("code")
    message = str(error.get("message") or response.reason_phrase or "no answer")
    text = f"Graph API {response.status_code}" + (f" (code {code})" if code else "")
    text += f": {message}"
    if code in RATE_LIMITED or response.status_code == 429:
        return PlatformError(
            text,
            status=response.status_code,
            retry_after=_retry_after(response.headers),
            retryable=True,
        )
    if code in REFUSED:
        return PlatformError(text, status=response.status_code, retryable=False)
    if code in TRANSIENT or error.get("is_transient") is True:
        return PlatformError(text, status=response.status_code, retryable=True)
    return PlatformError(text, status=response.status_code)


class MetaAdapter(ChannelAdapter[SendMessage]):
    """One Messenger page or Instagram account of one Meta app. `graph_url` is the Graph API
    with its version (tests point it at a fake); the adapter's httpx client is closed when the
    adapter is. `verify_token` answers the subscription handshake (None or empty: refused);
    `account_id` (the page or Instagram account id), when given, limits the webhook to that
    account's messages; a message sent more than `max_age` ago is dropped."""

    name: ClassVar[str]

    def __init__(
        self,
        *,
        access_token: str,
        app_secret: str,
        verify_token: str | None = None,
        account_id: str | None = None,
        graph_url: str = GRAPH_URL,
        max_age: timedelta = MAX_AGE,
    ) -> None:
        if not app_secret:
            raise ValueError("a Meta app secret is needed: Meta signs every webhook call with it")
        if not access_token:
            raise ValueError(f"a {self.name} access token is needed to send")
        self.client = httpx.AsyncClient(base_url=graph_url, timeout=_TIMEOUT)
        self.account_id = account_id or None
        self._token = access_token
        self._secret = app_secret.encode()
        self._verify_token = verify_token.encode() if verify_token else None
        self.max_age = max_age

    @property
    def webhook_object(self) -> str:
        """The webhook `object` of this channel's notifications."""
        return parse.OBJECTS[self.name]

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """`X-Hub-Signature-256` must be the HMAC-SHA256 of the raw body with the app secret,
        compared in constant time. Meta signs no timestamp, but the signed body holds each
        event's: a replay within `max_age` carries the same message ids, which the hub's
        de-duplication drops; an older one is dropped by its time."""
        given = header(headers, SIGNATURE_HEADER)
        if given is None:
            raise BadSignature(f"{SIGNATURE_HEADER} is missing")
        expected = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
        scheme, _, digest = given.partition("=")
        # Always compare, so a malformed header costs the same as a wrong one.
        matches = hmac.compare_digest(digest.lower().encode(), expected.encode())
        if scheme.lower() != _SIGNATURE_SCHEME or not matches:
            raise BadSignature(f"{SIGNATURE_HEADER} is wrong")

    def subscribe(self, mode: str | None, verify_token: str | None, challenge: str | None) -> str:
        """The answer to Meta's subscription handshake (`hub.mode`, `hub.verify_token`,
        `hub.challenge` of `GET /webhooks/meta`): the challenge, when the token is ours
        (compared in constant time); `BadSignature` otherwise."""
        if self._verify_token is None:
            raise BadSignature(f"no verify token is configured for {self.name}")
        given = (verify_token or "").encode()
        if not hmac.compare_digest(given, self._verify_token):
            raise BadSignature("hub.verify_token is wrong")
        if mode != "subscribe" or not challenge:
            raise BadSignature("not a subscription request")
        return challenge

    def parse(self, body: bytes) -> list[Inbound]:
        """See `channels.meta.parse.inbound`; another object's notification gives []."""
        return self.inbound(parse.notification_of(body))

    def inbound(self, notification: Notification) -> list[Inbound]:
        """The customer messages of this channel in an already decoded notification."""
        return parse.inbound(notification, self.name, self.account_id)

    def render(self, message: OutboundMessage) -> list[SendMessage]:
        """See `channels.meta.render.render`."""
        return render(message, self.name, self.max_text, self.text_length)

    async def call(self, request: SendMessage) -> None:
        """One `POST /me/messages`."""
        # The token goes in a header, not in `?access_token=`: httpx logs request URLs.
        try:
            response = await self.client.post(
                "me/messages",
                json=request.body(),
                headers={"Authorization": f"Bearer {self._token}"},
            )
        except httpx.TransportError as exc:  # unreachable, timed out, connection lost
            raise PlatformError(f"Graph API not reached: {exc!r}", status=None) from exc
        if response.is_error:
            raise platform_error(response)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.client.aclose()


class MessengerAdapter(MetaAdapter):
    """Messenger: a Facebook page's conversations, sent with the page access token. Its text
    limit is 2000 characters, counted here in UTF-16 units (as Meta's JavaScript clients do),
    which is never fewer than the characters."""

    name = parse.MESSENGER
    max_text = 2000

    def text_length(self, text: str) -> int:
        """UTF-16 code units: an emoji outside the BMP counts twice."""
        return utf16_len(text)


class InstagramAdapter(MetaAdapter):
    """Instagram DMs of a professional account, sent with its Instagram-scoped token (or the
    page token of the page it is linked to). Meta allows 1000 bytes of UTF-8 text."""

    name = parse.INSTAGRAM
    max_text = 1000

    def text_length(self, text: str) -> int:
        """UTF-8 bytes: an accented letter counts twice, most emoji four times."""
        return len(text.encode())


def messenger_adapter(
    page_token: str,
    app_secret: str,
    verify_token: str | None = None,
    *,
    page_id: str | None = None,
    graph_url: str = GRAPH_URL,
    max_age: timedelta = MAX_AGE,
) -> MessengerAdapter:
    """The Messenger adapter of a page: `page_token` (MESSENGER_PAGE_TOKEN), `app_secret`
    (META_APP_SECRET), `verify_token` (META_VERIFY_TOKEN), `page_id` (META_PAGE_ID),
    `graph_url` (META_GRAPH_URL, the Graph API with its version) and `max_age`
    (META_MAX_AGE_S)."""
    return MessengerAdapter(
        access_token=page_token,
        app_secret=app_secret,
        verify_token=verify_token,
        account_id=page_id,
        graph_url=graph_url,
        max_age=max_age,
    )


def instagram_adapter(
    token: str,
    app_secret: str,
    verify_token: str | None = None,
    *,
    account_id: str | None = None,
    graph_url: str = GRAPH_URL,
    max_age: timedelta = MAX_AGE,
) -> InstagramAdapter:
    """The Instagram adapter of a professional account: `token` (INSTAGRAM_TOKEN), `app_secret`
    (META_APP_SECRET), `verify_token` (META_VERIFY_TOKEN), `account_id`
    (INSTAGRAM_ACCOUNT_ID), `graph_url` (META_GRAPH_URL) and `max_age` (META_MAX_AGE_S)."""
    return InstagramAdapter(
        access_token=token,
        app_secret=app_secret,
        verify_token=verify_token,
        account_id=account_id,
        graph_url=graph_url,
        max_age=max_age,
    )

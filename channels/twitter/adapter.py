"""The X (Twitter) DM channel on tweepy's v2 `Client`: Account Activity webhook verification,
parsing, sending, and a polling loop over DM events for setups without the webhook.

tweepy's `Client` is synchronous (requests): its calls run in worker threads. It always calls
`https://api.twitter.com`; a requests transport adapter mounted on its session adds a timeout
(tweepy sets none) and, given an `api_url`, sends the same requests to another origin (a local
fake of the API in tests), still signed with OAuth 1.0a for the public URL.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

import requests
import tweepy  # type: ignore[import-untyped]  # no type hints: its objects are Any here
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

from channels.base import OutboundMessage
from channels.base.adapter import ChannelAdapter, Handle, Inbound, Seen, header
from channels.base.errors import BadPayload, BadSignature, PlatformError
from channels.base.polling import backoff, sleep, unless_stopped
from channels.twitter import parse
from channels.twitter.render import MAX_TEXT, SendDirectMessage, TwitterRequest, render

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
# X's challenge tokens: base64 text, never anything a webhook body could be (no braces, quotes).
CRC_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{1,256}")
# Where tweepy sends its calls; api.x.com too, should a tweepy release switch to it.
API_ORIGINS = ("https://api.twitter.com", "https://api.x.com")
_TIMEOUT_S = (5.0, 30.0)  # connect, read
_POLL_MAX_BACKOFF_S = 300.0
# What polling asks of GET /2/dm_events: enough to parse an event like a webhook delivery.
_DM_EVENT_FIELDS = ("id", "event_type", "text", "sender_id", "dm_conversation_id", "created_at")
_PAGE_SIZE = 100  # X's maximum
# X retries a webhook call for five minutes only, but polling after an outage reads older DMs;
# a day covers an outage someone notices and fixes. A replay within it is caught by its id.
MAX_AGE = timedelta(hours=24)


class _Transport(HTTPAdapter):
    """requests' HTTP transport with a default timeout and, optionally, another origin."""

    def __init__(self, origin: str | None) -> None:
        super().__init__()
        self._origin = origin

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> Response:
        if self._origin is not None and request.url is not None:
            for public in API_ORIGINS:
                if request.url.startswith(f"{public}/"):
                    request.url = self._origin + request.url.removeprefix(public)
            proxies = {}  # the environment's proxies were chosen for the public URL
        return super().send(
            request,
            stream=stream,
            timeout=timeout or _TIMEOUT_S,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )


def platform_error(error: Exception) -> PlatformError:
    """A tweepy or requests error as the outbox reads it: rate limits, X's 5xx and lost
    connections are worth retrying; a refused DM (the customer does not accept DMs from the
    account, 403), a bad request or bad credentials are not."""
    message = str(error).replace("\n", ": ") or type(error).__name__
    if isinstance(error, tweepy.TooManyRequests):
        reset = error.reset_time  # when the window resets, in Unix seconds
        wait = max(reset - time.time(), 1.0) if isinstance(reset, int) else None
        return PlatformError(message, status=429, retry_after=wait)
    if isinstance(error, tweepy.HTTPException):
        return PlatformError(message, status=int(error.response.status_code))
    return PlatformError(message, status=None)  # timeouts, refused connections


class TwitterAdapter(ChannelAdapter[TwitterRequest]):
    """The DMs of one X account (`bot_user_id`). `client` is a tweepy `Client` with the app's
    consumer key and secret and the account's access token and secret (OAuth 1.0a user
    context); the consumer secret also signs the webhook's calls. A DM created more than
    `max_age` ago is dropped."""

    name = parse.CHANNEL
    max_text = MAX_TEXT

    def __init__(
        self,
        client: Any,
        *,
        consumer_secret: str,
        bot_user_id: str,
        max_age: timedelta = MAX_AGE,
    ) -> None:
        if not consumer_secret:
            raise ValueError("the X consumer secret is empty")
        if not re.fullmatch(r"[0-9]{1,20}", bot_user_id):
            raise ValueError("the X bot user id is the account's numeric id")
        self.client = client
        self.bot_user_id = bot_user_id
        self._secret = consumer_secret.encode()
        self.max_age = max_age

    def _signature(self, data: bytes) -> str:
        digest = hmac.new(self._secret, data, hashlib.sha256).digest()
        return "sha256=" + base64.b64encode(digest).decode()

    def crc_response(self, crc_token: str) -> dict[str, str]:
        """The answer to X's challenge-response check (`GET ...?crc_token=`), which X makes
        when the webhook is registered and about hourly after: proof that we hold the
        consumer secret.

        The answer is an HMAC under the same secret that signs deliveries, so signing any text
        asked for would hand out valid signatures for forged bodies. X's tokens are short
        base64 strings; anything else (a JSON body, say) is refused with `BadPayload`."""
        if not CRC_TOKEN.fullmatch(crc_token):
            raise BadPayload("crc_token is not a challenge token")
        return {"response_token": self._signature(crc_token.encode())}

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """X signs each body with the consumer secret (`x-twitter-webhooks-signature`,
        base64 HMAC-SHA256), compared in constant time. X signs no timestamp, but the signed
        body holds each DM's `created_timestamp`: a replay within `max_age` carries its DM
        event ids again, which the hub's de-duplication drops; an older one its time."""
        given = header(headers, SIGNATURE_HEADER)
        if given is None:
            raise BadSignature(f"{SIGNATURE_HEADER} is missing")
        if not hmac.compare_digest(given.encode(), self._signature(body).encode()):
            raise BadSignature(f"{SIGNATURE_HEADER} is wrong")

    def parse(self, body: bytes) -> list[Inbound]:
        """See `channels.twitter.parse.webhook_inbound`."""
        return parse.webhook_inbound(body, self.bot_user_id)

    def render(self, message: OutboundMessage) -> list[TwitterRequest]:
        """See `channels.twitter.render.render`."""
        return render(message)

    async def call(self, request: SendDirectMessage) -> None:
        """One v2 DM."""
        try:
            await asyncio.to_thread(
                self.client.create_direct_message,
                participant_id=request.participant_id,
                text=request.text,
                user_auth=True,
            )
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise platform_error(exc) from exc

    def _new_events(
        self, after: int | None, since: datetime
    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        """The account's DM events with an id above `after` and created from `since` on,
        oldest first, and their senders by id. Blocking: run in a thread."""
        events: list[dict[str, Any]] = []
        users: dict[str, dict[str, Any]] = {}
        token: str | None = None
        while True:
            page = self.client.get_direct_message_events(
                dm_event_fields=list(_DM_EVENT_FIELDS),
                event_types="MessageCreate",
                expansions=["sender_id"],
                user_fields=["name", "username"],
                max_results=_PAGE_SIZE,
                pagination_token=token,
                user_auth=True,
            )
            page_events, page_users, token = parse.dm_events_page(page)
            users |= page_users
            for event in page_events:  # newest first: stop at the first one already dealt with
                created = parse.created_at(event)
                if (after is not None and int(event["id"]) <= after) or (
                    created is not None and created < since
                ):
                    return events[::-1], users
                events.append(event)
            if token is None:
                return events[::-1], users

    async def poll(
        self,
        handle: Handle,
        *,
        seen: Seen,
        stop_event: asyncio.Event,
        interval_s: float = 60.0,
        since: datetime | None = None,
    ) -> None:
        """Read the account's DMs from `GET /2/dm_events` every `interval_s` until `stop_event`
        is set, each new customer DM through the same parse path and de-duplication as the
        webhook, oldest first.

        DMs created before `since` are left alone: X keeps 30 days of them, which a first
        start must not answer. It defaults to now; after downtime pass when the hub stopped,
        `seen` drops what was already handled. A DM whose `handle` fails is fetched again on
        the next round; failures are retried with backoff (or the wait X asks for, on 429).
        """
        since = since or datetime.now(UTC)
        newest: int | None = None  # the last event dealt with; newer ones are new
        failures = 0
        while not stop_event.is_set():
            wait = interval_s
            try:
                fetched = await unless_stopped(
                    asyncio.to_thread(self._new_events, newest, since), stop_event
                )
                events, users = fetched or ([], {})
                for event in events:
                    try:
                        items = parse.polled_inbound(event, users, self.bot_user_id)
                    except BadPayload as exc:  # X's fault, and it would be the same next time
                        log.warning("X DM event %s skipped: %s", event["id"], exc)
                        items = []
                    await self.dispatch(items, handle, seen)
                    newest = int(event["id"])
                failures = 0
            except (tweepy.TweepyException, requests.RequestException) as exc:
                failures += 1
                wait = max(
                    platform_error(exc).retry_after or backoff(failures, _POLL_MAX_BACKOFF_S),
                    interval_s,
                )
                log.warning("X DM polling failed (%s); next try in %.0f s", exc, wait)
            except Exception:  # the loop outlives a failing handler; the DM comes again
                failures += 1
                wait = max(backoff(failures, _POLL_MAX_BACKOFF_S), interval_s)
                log.exception("an X DM was not handled; next try in %.0f s", wait)
            await sleep(wait, stop_event)

    async def __aenter__(self) -> Self:
        """Check the credentials and that they are the account `bot_user_id` (users/me): a
        wrong id would make polling answer the account's own DMs. An unreachable X does not
        stop the hub (sending retries through the outbox); rejected credentials do."""
        try:
            me = await asyncio.to_thread(self.client.get_me, user_auth=True)
        except tweepy.Unauthorized as exc:
            self.client.session.close()
            raise platform_error(exc) from exc
        except (tweepy.TweepyException, requests.RequestException) as exc:
            log.warning("X is not reachable at start-up: %s", exc)
            return self
        account = me.get("data", {}).get("id") if isinstance(me, dict) else None
        if account != self.bot_user_id:
            self.client.session.close()
            raise ValueError(
                f"the X access token is for the account {account}, not {self.bot_user_id}"
            )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.client.session.close()


def twitter_adapter(
    consumer_key: str,
    consumer_secret: str,
    access_token: str,
    access_token_secret: str,
    bot_user_id: str,
    *,
    api_url: str | None = None,
    max_age: timedelta = MAX_AGE,
) -> TwitterAdapter:
    """The adapter for the account `bot_user_id` (X_BOT_USER_ID), with the app's consumer key
    and secret (X_CONSUMER_KEY, X_CONSUMER_SECRET) and the account's access token and secret
    (X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET). `api_url` (X_API_URL) sends the API calls to
    another origin, such as a local fake of the API; `max_age` (X_MAX_AGE_S) bounds how old a
    DM may be."""
    origin = api_url.rstrip("/") if api_url else None
    if origin is not None and not re.fullmatch(r"https?://[^/?#\s]+", origin):
        raise ValueError(f"the X API URL is an origin like http://127.0.0.1:8081: {api_url!r}")
    client = tweepy.Client(
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        access_token=access_token,
        access_token_secret=access_token_secret,
        return_type=dict,  # X's own JSON, which the parse module reads
    )
    transport = _Transport(origin)
    for public in API_ORIGINS:
        client.session.mount(f"{public}/", transport)
    return TwitterAdapter(
        client, consumer_secret=consumer_secret, bot_user_id=bot_user_id, max_age=max_age
    )

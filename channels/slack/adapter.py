"""The Slack channel on slack_sdk's `AsyncWebClient`: request signatures, parsing, sending.

What the desk uses of Slack's SDKs is slack_sdk: its Web API client, its errors and its Block
Kit models. slack-bolt's `AsyncApp` is not used: it is a listener framework that answers Slack
itself (its own signature check and plain-text 401, acknowledgement before or after listeners,
the url challenge), with no body size limit, no de-duplication and no pure parse step, so the
desk's webhook contract (`verify`, `parse`, the hub's `seen` and `handle`, a 500 that makes Slack
retry) would have to work around it rather than through it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, Self

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from channels.base import OutboundMessage
from channels.base.adapter import ChannelAdapter, Inbound, header
from channels.base.errors import BadSignature, PlatformError
from channels.slack import parse
from channels.slack.render import MAX_TEXT, PostMessage, mrkdwn_length, render

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
MAX_AGE_S = 300  # Slack's advice: refuse a request signed more than five minutes away from now
_UNIX_TIME = re.compile(r"[0-9]{1,12}")
# Slack answers these with `ok: false` (and sometimes HTTP 200) when the fault is on its side.
_RETRYABLE = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# Errors of a token that cannot work: the hub must not start with it.
_BAD_TOKEN = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)
# Slack wants an answer to its webhook within 3 s: a profile that is slow to come is skipped.
_PROFILE_TIMEOUT_S = 1.0
_PROFILES_KEPT = 1024

SlackFailure = SlackClientError | aiohttp.ClientError | TimeoutError
_FAILURES = (SlackClientError, aiohttp.ClientError, TimeoutError)


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the token is (auth.test): the workspace, the app's bot user and its bot id."""

    team_id: str
    user_id: str
    bot_id: str | None


@dataclass(frozen=True, slots=True)
class Profile:
    """What the desk shows of a Slack user: their name and their language, if known."""

    name: str | None
    lang: str | None


def _error_code(exc: SlackFailure) -> str:
    """Slack's `error` of a refused call ("" when Slack did not answer one)."""
    data = exc.response.data if isinstance(exc, SlackApiError) else None
    return str(data.get("error", "")) if isinstance(data, dict) else ""


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    value = header({k: str(v) for k, v in headers.items()}, "Retry-After")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds > 0 else None


def platform_error(exc: SlackFailure) -> PlatformError:
    """A slack_sdk or connection error as the outbox reads it: rate limits, Slack's own faults,
    timeouts and lost connections are worth retrying; a refused call (`channel_not_found`,
    `invalid_blocks`, a revoked token) is not."""
    if isinstance(exc, SlackApiError):
        status = int(exc.response.status_code)
        error = _error_code(exc)
        return PlatformError(
            f"Slack refused {exc.response.api_url}: {error or f'HTTP {status}'}",
            status=status,
            retry_after=_retry_after(exc.response.headers) if status == 429 else None,
            retryable=status == 429 or status >= 500 or error in _RETRYABLE,
        )
    if isinstance(exc, SlackClientError):  # a message slack_sdk will not build or send
        return PlatformError(f"not a valid Slack call: {exc}", status=None, retryable=False)
    return PlatformError(f"Slack is not reachable: {exc!r}", status=None)


class SlackAdapter(ChannelAdapter[PostMessage]):
    """One Slack app in one workspace. `client` is injected (its `base_url` points tests at a
    fake Web API); without a `signing_secret` every webhook call is refused."""

    name = parse.CHANNEL
    max_text = MAX_TEXT

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        signing_secret: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.identity: BotIdentity | None = None
        self._secret = signing_secret.encode() if signing_secret else None
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._profiles: OrderedDict[str, Profile] = OrderedDict()

    def text_length(self, text: str) -> int:
        """Text is sent escaped, and measured in UTF-16 code units."""
        return mrkdwn_length(text)

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Slack signs `v0:<timestamp>:<body>` with the app's signing secret (HMAC-SHA256) and
        sends `v0=<hex>` in X-Slack-Signature; a timestamp more than 5 minutes off is a replay.

        Computed over the raw bytes and compared in constant time. slack_sdk's
        `SignatureVerifier` does the same on text: it raises on a body that is not UTF-8, a
        timestamp that is not a number or a signature that is not ASCII, so it is not used on
        what arrives unchecked; the tests hold the two to the same answers."""
        if self._secret is None:
            raise BadSignature("no Slack signing secret is configured")
        timestamp = header(headers, TIMESTAMP_HEADER)
        signature = header(headers, SIGNATURE_HEADER)
        if timestamp is None or signature is None:
            raise BadSignature(f"{SIGNATURE_HEADER} or {TIMESTAMP_HEADER} is missing")
        if not _UNIX_TIME.fullmatch(timestamp):
            raise BadSignature(f"{TIMESTAMP_HEADER} is not a Unix time")
        if abs(self._clock() - int(timestamp)) > MAX_AGE_S:
            raise BadSignature("the request was signed more than 5 minutes ago: a replay?")
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = b"v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest().encode()
        if not signature.isascii() or not hmac.compare_digest(signature.encode(), expected):
            raise BadSignature(f"{SIGNATURE_HEADER} is wrong")

    def _bot_user(self) -> str | None:
        return self.identity.user_id if self.identity else None

    def parse(self, body: bytes) -> list[Inbound]:
        """The customer message of an Events API delivery; see `channels.slack.parse.inbound`."""
        return parse.inbound(parse.json_object(body, "the body"), self._bot_user())

    def challenge(self, body: bytes) -> str | None:
        """What to answer Slack's check of the events URL (`url_verification`), if it is one."""
        return parse.challenge(parse.json_object(body, "the body"))

    def parse_interaction(self, body: bytes) -> list[Inbound]:
        """A button press; see `channels.slack.parse.press`."""
        return parse.press(parse.interaction_of(body))

    def render(self, message: OutboundMessage) -> list[PostMessage]:
        """See `channels.slack.render.render`."""
        return render(message)

    async def call(self, request: PostMessage) -> None:
        """One chat.postMessage."""
        await self.post(request)

    async def post(self, request: PostMessage) -> str:
        """One chat.postMessage; the `ts` of the message Slack posted. Raises `PlatformError`."""
        try:
            response = await self.client.chat_postMessage(
                channel=request.channel,
                text=request.text,
                blocks=list(request.blocks),
                thread_ts=request.thread_ts,
            )
        except _FAILURES as exc:
            raise platform_error(exc) from exc
        return str(response.get("ts", ""))

    async def profile(self, user_id: str) -> Profile | None:
        """A user's name and language (users.info, which needs the `users:read` scope), kept
        for their next messages while the hub runs; None when Slack does not say in time."""
        known = self._profiles.get(user_id)
        if known is not None:
            self._profiles.move_to_end(user_id)
            return known
        try:
            async with asyncio.timeout(_PROFILE_TIMEOUT_S):
                response = await self.client.users_info(user=user_id, include_locale=True)
        except _FAILURES as exc:
            log.warning("no Slack profile for %s: %s", user_id, platform_error(exc).message)
            return None
        user = response.get("user")
        if not isinstance(user, dict):
            return None
        details = user.get("profile")
        details = details if isinstance(details, dict) else {}
        names = (details.get("display_name"), details.get("real_name"), user.get("real_name"))
        locale = user.get("locale")
        found = Profile(
            name=next((n for n in names if isinstance(n, str) and n.strip()), None),
            lang=parse.lang_of(locale if isinstance(locale, str) else None),
        )
        self._profiles[user_id] = found
        if len(self._profiles) > _PROFILES_KEPT:
            self._profiles.popitem(last=False)
        return found

    async def received(self, item: Inbound) -> Inbound:
        """The author's name and language, from their Slack profile."""
        return await self.with_profile(item)

    async def with_profile(self, item: Inbound) -> Inbound:
        """`item` with its author's name and language when Slack tells them."""
        found = await self.profile(str(item.message.metadata["external_user_id"]))
        if found is None:
            return item
        message = item.message
        metadata = message.metadata | ({"name": found.name} if found.name else {})
        return replace(
            item, message=replace(message, lang=message.lang or found.lang, metadata=metadata)
        )

    async def __aenter__(self) -> Self:
        """Open one HTTP session for the client and learn who the token is (auth.test), so the
        app's own messages are recognised. An unreachable Slack does not stop the hub: sending
        retries through the outbox. A token Slack refuses does."""
        if self.client.session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.client.timeout)
            )
            self.client.session = self._session
        try:
            self.identity = await self._identity()
        except BaseException:
            await self._close()
            raise
        return self

    async def _identity(self) -> BotIdentity | None:
        try:
            response = await self.client.auth_test()
        except _FAILURES as exc:
            if _error_code(exc) in _BAD_TOKEN:
                raise platform_error(exc) from exc
            # Until a restart, the app's own user is read from each event's authorizations.
            log.warning(
                "Slack did not answer auth.test at start-up: %s", platform_error(exc).message
            )
            return None
        bot_id = response.get("bot_id")
        return BotIdentity(
            team_id=str(response.get("team_id", "")),
            user_id=str(response.get("user_id", "")),
            bot_id=bot_id if isinstance(bot_id, str) else None,
        )

    async def _close(self) -> None:
        if self._session is not None:
            self.client.session = None
            await self._session.close()
            self._session = None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._close()


def slack_adapter(
    token: str,
    signing_secret: str | None = None,
    *,
    base_url: str = "https://slack.com/api/",
) -> SlackAdapter:
    """The adapter for the app of the bot `token` (SLACK_BOT_TOKEN, `xoxb-…`); `signing_secret`
    (SLACK_SIGNING_SECRET) lets its webhooks in; `base_url` is SLACK_API_URL."""
    return SlackAdapter(
        AsyncWebClient(token=token, base_url=base_url), signing_secret=signing_secret
    )

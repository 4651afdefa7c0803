"""The Telegram channel on python-telegram-bot's `Bot`: webhook verification, parsing, sending,
and a long-polling loop for setups without a public URL."""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import Mapping
from datetime import timedelta
from types import TracebackType
from typing import Self

from telegram import Bot
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from channels.base import OutboundMessage
from channels.base.adapter import ChannelAdapter, Handle, Inbound, Seen, header
from channels.base.errors import BadSignature, PlatformError
from channels.base.polling import backoff, sleep, unless_stopped
from channels.base.text import utf16_len
from channels.telegram import parse
from channels.telegram.render import (
    MAX_TEXT,
    PARSE_MODE,
    SendMessage,
    SendPhoto,
    TelegramRequest,
    render,
)

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's rule for setWebhook's secret_token.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# The updates the desk reads; setWebhook and getUpdates ask only for these.
ALLOWED_UPDATES = ("message", "callback_query")
_POLL_MAX_BACKOFF_S = 60.0
# Telegram keeps an update it could not deliver for 24 hours at most: nothing genuine is older.
MAX_AGE = timedelta(hours=24)


def _seconds(value: int | timedelta) -> float:
    # PTB 22 gives an int, or a timedelta once PTB_TIMEDELTA is set (its next major version).
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def platform_error(error: TelegramError) -> PlatformError:
    """A PTB error as the outbox reads it: rate limits, timeouts, lost connections and 5xx
    answers are worth retrying; a refused request, a blocked bot or a bad token are not."""
    match error:
        case RetryAfter():
            return PlatformError(error.message, status=429, retry_after=_seconds(error.retry_after))
        case BadRequest():  # before NetworkError, its base class
            return PlatformError(error.message, status=400)
        case Forbidden():  # the customer blocked the bot
            return PlatformError(error.message, status=403)
        case InvalidToken():
            return PlatformError(error.message, status=401)
        case _:  # NetworkError, TimedOut, 5xx: PTB keeps no status for these
            return PlatformError(error.message, status=None)


class TelegramAdapter(ChannelAdapter[TelegramRequest]):
    """One Telegram bot. `bot` is injected (its `base_url` points tests at a fake Bot API);
    without a `webhook_secret` every webhook call is refused and only `poll` receives. A
    message sent more than `max_age` ago is dropped (button presses carry no time)."""

    name = parse.CHANNEL
    max_text = MAX_TEXT

    def __init__(
        self, bot: Bot, *, webhook_secret: str | None = None, max_age: timedelta = MAX_AGE
    ) -> None:
        if webhook_secret is not None and not _SECRET.fullmatch(webhook_secret):
            raise ValueError("a Telegram webhook secret is 1-256 of A-Z, a-z, 0-9, _ and -")
        self.bot = bot
        self.max_age = max_age
        self._secret = webhook_secret.encode() if webhook_secret else None

    def text_length(self, text: str) -> int:
        """Telegram counts UTF-16 code units."""
        return utf16_len(text)

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Telegram sends setWebhook's `secret_token` back in a header on every call; compared in
        constant time. Telegram signs no timestamp: a replayed update has the same update_id,
        which the hub's de-duplication drops, and a message's date, which `max_age` bounds."""
        if self._secret is None:
            raise BadSignature("no Telegram webhook secret is configured")
        given = header(headers, SECRET_HEADER)
        if given is None:
            raise BadSignature(f"{SECRET_HEADER} is missing")
        if not hmac.compare_digest(given.encode(), self._secret):
            raise BadSignature(f"{SECRET_HEADER} is wrong")

    def parse(self, body: bytes) -> list[Inbound]:
        """See `channels.telegram.parse.inbound`."""
        return parse.inbound(parse.update_of(body))

    def render(self, message: OutboundMessage) -> list[TelegramRequest]:
        """See `channels.telegram.render.render`."""
        return render(message)

    async def call(self, request: TelegramRequest) -> None:
        """sendMessage or sendPhoto."""
        try:
            match request:
                case SendMessage():
                    await self.bot.send_message(
                        request.chat_id,
                        request.text,
                        parse_mode=PARSE_MODE,
                        reply_markup=request.reply_markup,
                    )
                case SendPhoto():
                    await self.bot.send_photo(
                        request.chat_id,
                        request.photo,
                        caption=request.caption,
                        parse_mode=PARSE_MODE,
                        reply_markup=request.reply_markup,
                    )
        except TelegramError as exc:
            raise platform_error(exc) from exc

    async def received(self, item: Inbound) -> Inbound:
        """A button press is answered before the hub routes it."""
        await self.acknowledge(item)
        return item

    async def acknowledge(self, item: Inbound) -> None:
        """Answer a button press, which stops the spinner on the customer's button. Best effort:
        Telegram drops the spinner by itself after a while."""
        query_id = item.message.metadata.get("callback_query_id")
        if not isinstance(query_id, str):
            return
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as exc:
            log.warning("callback query %s not answered: %s", query_id, exc)

    async def poll(
        self, handle: Handle, *, seen: Seen, stop_event: asyncio.Event, long_poll_s: int = 30
    ) -> None:
        """Long-poll getUpdates until `stop_event` is set, each update through the same parse
        path as the webhook. Telegram refuses getUpdates while a webhook is set, so the webhook
        is deleted first (its pending updates are kept). An update is confirmed (the next
        offset) only once handled; failures are retried with backoff."""
        offset: int | None = None
        webhook_deleted = False
        failures = 0
        while not stop_event.is_set():
            try:
                if not webhook_deleted:
                    await unless_stopped(self.bot.delete_webhook(), stop_event)
                    webhook_deleted = True
                updates = await unless_stopped(
                    self.bot.get_updates(
                        offset=offset, timeout=long_poll_s, allowed_updates=ALLOWED_UPDATES
                    ),
                    stop_event,
                )
                for update in updates or ():
                    await self.dispatch(parse.inbound(update), handle, seen)
                    offset = update.update_id + 1
                failures = 0
            except TelegramError as exc:
                failures += 1
                wait = platform_error(exc).retry_after or backoff(failures, _POLL_MAX_BACKOFF_S)
                log.warning("Telegram polling failed (%s); next try in %.0f s", exc, wait)
                await sleep(wait, stop_event)
            except Exception:  # the loop outlives a failing handler; the update comes again
                failures += 1
                wait = backoff(failures, _POLL_MAX_BACKOFF_S)
                log.exception("a Telegram update was not handled; next try in %.0f s", wait)
                await sleep(wait, stop_event)

    async def register_webhook(self, url: str) -> None:
        """Ask Telegram to deliver to `url` (`https://<public host>/webhooks/telegram`) with
        the secret token and only the updates the desk reads."""
        if self._secret is None:
            raise ValueError("webhook mode needs a webhook secret")
        await self.bot.set_webhook(
            url, secret_token=self._secret.decode(), allowed_updates=ALLOWED_UPDATES
        )

    async def __aenter__(self) -> Self:
        """Open the bot's connections and check the token (getMe). An unreachable Telegram
        does not stop the hub: sending retries through the outbox. A rejected token does."""
        try:
            await self.bot.initialize()
        except InvalidToken:
            await self.bot.shutdown()
            raise
        except NetworkError as exc:
            log.warning("Telegram is not reachable at start-up: %s", exc)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.bot.shutdown()


def telegram_adapter(
    token: str,
    webhook_secret: str | None = None,
    *,
    base_url: str = "https://api.telegram.org/bot",
    max_age: timedelta = MAX_AGE,
) -> TelegramAdapter:
    """The adapter for the bot of `token` (TELEGRAM_BOT_TOKEN); `webhook_secret`
    (TELEGRAM_WEBHOOK_SECRET) enables webhook mode; `max_age` (TELEGRAM_MAX_AGE_S) bounds how
    old a message may be."""
    return TelegramAdapter(
        Bot(token, base_url=base_url), webhook_secret=webhook_secret, max_age=max_age
    )

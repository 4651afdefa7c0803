"""The contract every channel adapter fulfils: verify, parse, render, send.

The hub calls `verify` on the raw request before anything else, `parse` only on what passed,
and hands replies to `send` (through the outbox, which retries what `PlatformError.retryable`
allows). `parse` and `render` are pure, so they are tested on genuine payloads without a network.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar

from channels.base import InboundMessage, OutboundMessage
from channels.base.errors import PlatformError
from channels.base.payload import printable

log = logging.getLogger(__name__)
RequestT = TypeVar("RequestT")
# A reply in several parts that meets a short rate limit after its first part waits here: a
# retry of the whole reply by the outbox would repeat the parts already sent.
PART_RETRIES = 3
PART_MAX_WAIT_S = 5.0


@dataclass(frozen=True, slots=True)
class Inbound:
    """One customer message from a platform, with the platform's id for that delivery.

    A platform that retries a delivery sends the same `delivery_id` again: the hub processes
    each id once. Ids are prefixed with the channel name, so one store serves every channel,
    and are at most `MAX_DELIVERY_ID` characters. `sent_at` is when the platform says the
    customer sent it, None when its payload does not say.
    """

    message: InboundMessage
    delivery_id: str
    sent_at: datetime | None = None


MAX_DELIVERY_ID = 255


# Stores and processes one inbound message; the hub's router behind it.
Handle = Callable[[Inbound], Awaitable[None]]
# Records a delivery id and says whether it had been recorded before (e.g. Redis SET NX).
Seen = Callable[[str], Awaitable[bool]]


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's first value, whatever the case of its name in `headers`."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def _printable_value(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable(k): _printable_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable_value(v) for v in value]
    return value


def _printable(item: Inbound) -> Inbound:
    """`item` with no control character or lone surrogate in its text or metadata, which
    some platforms pass through from their clients and no database column takes (NUL)."""
    message = item.message
    cleaned = replace(
        message, text=printable(message.text), metadata=_printable_value(message.metadata)
    )
    return replace(item, message=cleaned)


class ChannelAdapter(ABC, Generic[RequestT]):
    """Translates between one platform and the desk's `InboundMessage` / `OutboundMessage`.

    `RequestT` is the platform's own form of an outgoing call, as `render` builds it. Use the
    adapter as an async context manager around its life in the hub, so it can open and close
    its connections.
    """

    name: ClassVar[str]
    max_text: ClassVar[int]  # the platform's longest message text, in `text_length` units
    # How long ago a delivery may have been sent, by the time its payload gives, to be taken:
    # an older one is a captured delivery replayed. None: the platform signs the time of each
    # call instead (Slack), and `verify` refuses a stale one.
    max_age: timedelta | None = None

    def text_length(self, text: str) -> int:
        """The length of `text` as the platform counts it against `max_text`."""
        return len(text)

    @abstractmethod
    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Check the platform's signature on a raw webhook call; raise `BadSignature` when it
        is missing, forged or stale. Called first, before anything is parsed or stored."""

    @abstractmethod
    def parse(self, body: bytes) -> list[Inbound]:
        """The customer messages in a verified webhook body; [] for updates the desk does not
        handle (stickers, edits, reactions, joins, the bot's own echoes). Raises `BadPayload`
        on malformed JSON or an unexpected shape."""

    @abstractmethod
    def render(self, message: OutboundMessage) -> list[RequestT]:
        """The platform calls that deliver `message`: text split at `max_text`, buttons as
        the platform's own, images. Pure."""

    @abstractmethod
    async def call(self, request: RequestT) -> None:
        """Make one platform call; raises `PlatformError` when the platform did not take it."""

    async def send(self, message: OutboundMessage) -> None:
        """Deliver `message`: each call `render` makes of it, in order. A failed first part
        leaves nothing sent, so it raises for the outbox to retry the whole; a later part waits
        out a short rate limit here instead. Raises `PlatformError`."""
        for part, request in enumerate(self.render(message)):
            for attempt in range(PART_RETRIES + 1):
                try:
                    await self.call(request)
                    break
                except PlatformError as exc:
                    wait = exc.retry_after or 2.0**attempt
                    first_or_final = part == 0 or attempt == PART_RETRIES
                    if first_or_final or not exc.retryable or wait > PART_MAX_WAIT_S:
                        raise
                    log.warning(
                        "%s part %d not sent (%s); again in %.0f s", self.name, part, exc, wait
                    )
                    await asyncio.sleep(wait)

    async def received(self, item: Inbound) -> Inbound:
        """What the adapter does with a new delivery before the hub gets it (answer a button
        press, look up the author); the item to hand on. Nothing by default."""
        return item

    def stale(self, item: Inbound) -> bool:
        """Whether the payload says `item` was sent longer than `max_age` ago."""
        if self.max_age is None or item.sent_at is None:
            return False
        return item.sent_at < datetime.now(UTC) - self.max_age

    async def dispatch(self, items: Iterable[Inbound], handle: Handle, seen: Seen) -> None:
        """Hand each item not `seen` before to `handle`, its text and metadata made
        `printable`. A stale item is dropped and logged, not refused: the call is still
        answered 2xx, or the platform would send it again and again. A failing `handle`
        propagates: the platform is not told the delivery arrived and sends it again (`seen`
        must then let it through, e.g. by forgetting the id when `handle` fails)."""
        for item in items:
            if self.stale(item):
                log.warning(
                    "%s delivery %s dropped: sent at %s, over %s ago (a replay?)",
                    self.name,
                    item.delivery_id,
                    item.sent_at,
                    self.max_age,
                )
                continue
            if not await seen(item.delivery_id):
                await handle(await self.received(_printable(item)))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

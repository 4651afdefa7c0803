"""Reading what a platform posts: strict JSON, times, and text fit to keep (pure).

A webhook body is authentic once its signature passed, not well-formed: these helpers turn
anything no platform sends (NaN, lone surrogates, absurd nesting or numbers, times out of
range) into a `BadPayload`, so the webhook answers a clear 400 before anything is stored.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from channels.base import hygiene
from channels.base.errors import BadPayload

# Deeper than any platform's payload (Slack's blocks, Telegram's replied-to messages reach
# about ten levels); what goes past it is built to exhaust a parser, not a delivery.
MAX_DEPTH = 64
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _no_lone_surrogates(value: Any) -> None:
    """Walk a decoded value (its depth already bounded) for strings that are not Unicode."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise BadPayload("a string holds a lone surrogate") from exc
        elif isinstance(item, dict):
            stack.extend((*item.keys(), *item.values()))
        elif isinstance(item, list):
            stack.extend(item)


def read_json(data: bytes | str, what: str) -> Any:
    """`data` decoded as strict JSON (the limits of `channels.base.hygiene.loads`, at
    `MAX_DEPTH`): UTF-8, no NaN or Infinity (nor a float that overflows to it), integers of
    64 bits at most, strings of valid Unicode. `BadPayload` otherwise. Control characters
    are kept: a platform passes them on from its clients, and `printable` takes them out."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = hygiene.loads(text, max_depth=MAX_DEPTH)
    except hygiene.Unclean as exc:
        raise BadPayload(f"{what} is refused: {exc}") from exc
    except (ValueError, RecursionError) as exc:  # also invalid UTF-8
        raise BadPayload(f"{what} is not JSON: {exc}") from exc
    _no_lone_surrogates(value)
    return value


def unix_time(value: int | float, what: str, *, milliseconds: bool = False) -> datetime:
    """A Unix time (in seconds, or milliseconds) as an aware datetime; `BadPayload` when it
    is not a time a platform could send (negative, or past the year 9999)."""
    seconds = value / 1000 if milliseconds else value
    try:
        if seconds < 0:
            raise ValueError("before 1970")
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise BadPayload(f"{what} is not a time: {value!r}") from exc


def printable(text: str) -> str:
    """`text` without control characters (NUL, escapes, C1 controls) — tab and line breaks
    stay — and with lone surrogates replaced: what is left can be stored anywhere."""
    text = _CONTROLS.sub("", text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text

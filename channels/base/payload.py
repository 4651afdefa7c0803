"""Reading what a platform posts: strict JSON, times, and text fit to keep (pure).

A webhook body is authentic once its signature passed, not well-formed: these helpers turn
anything no platform sends (NaN, lone surrogates, absurd nesting or numbers, times out of
range) into a `BadPayload`, so the webhook answers a clear 400 before anything is stored.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from channels.base.errors import BadPayload

# Deeper than any platform's payload (Slack's blocks, Telegram's replied-to messages reach
# about ten levels); what goes past it is built to exhaust a parser, not a delivery.
MAX_DEPTH = 64
# A 64-bit id has 20 digits; no platform sends a longer integer. Python refuses past 4300.
MAX_INT_DIGITS = 20
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):  # "1e400": valid JSON, but no number
        raise ValueError(f"{text[:20]} is out of range")
    return value


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(digits)} digits")
    return int(digits)


def _check(value: Any) -> None:
    """Walk a decoded value without recursion: bounded depth, no lone surrogates."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise BadPayload("a string holds a lone surrogate") from exc
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise BadPayload(f"nested deeper than {MAX_DEPTH} levels")
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)


def read_json(data: bytes | str, what: str) -> Any:
    """`data` decoded as strict JSON: UTF-8, no NaN or Infinity (nor a float that overflows
    to it), integers of at most 20 digits, strings of valid Unicode, at most `MAX_DEPTH`
    levels. `BadPayload` otherwise."""
    try:
        value = json.loads(
            data, parse_constant=_no_constant, parse_int=_bounded_int, parse_float=_finite_float
        )
    except (ValueError, RecursionError) as exc:  # also invalid UTF-8
        raise BadPayload(f"{what} is not JSON: {exc}") from exc
    _check(value)
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

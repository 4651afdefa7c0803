"""What outside input may contain before anything stores it (REST bodies, socket.io events):
no lone surrogates, no control characters but newlines and tabs, no NaN or infinities, no
numbers of absurd length, no nesting deeper than a few levels. Pure functions, no I/O."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from itertools import accumulate
from typing import Any

MAX_DEPTH = 10  # arrays/objects inside each other, counting the document itself
MAX_INT_DIGITS = 19  # what a signed 64-bit integer needs; JSON stores and JS clients agree
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Unicode's control characters (category Cc: C0, DEL, C1) but line breaks and tabs — CR too,
# as Windows clients and mail end lines with CRLF — and the UTF-16 surrogates (category Cs).
_UNCLEAN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class Unclean(ValueError):
    """Input refused before storage; `code` names the problem, `field` where it is."""

    def __init__(self, code: str, message: str, field: str = "value") -> None:
        super().__init__(message)
        self.code = code
        self.field = field


def nesting(text: str) -> int:
    """How deeply the JSON text's arrays and objects nest (brackets inside strings ignored)."""
    bare = _STRING.sub("", text)
    steps = [1 if char in "[{" else -1 for char in bare if char in "[]{}"]
    return max(accumulate(steps), default=0)


def _no_constant(name: str) -> Any:
    raise Unclean("not_finite", f"{name} is not a number JSON allows")


def _int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise Unclean("number_too_long", f"numbers are limited to {MAX_INT_DIGITS} digits")
    return int(digits)


def _float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise Unclean("not_finite", f"{literal[:20]} is out of range")
    return value


def loads(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text, refusing (`Unclean`) nesting past `max_depth`, NaN, infinities and
    huge numbers before they cost anything; malformed JSON raises `json.JSONDecodeError`.
    Strings are not checked here: `check_text`/`check_value` name the field at fault."""
    if nesting(text) > max_depth:
        raise Unclean("too_deep", f"JSON may nest at most {max_depth} levels")
    return json.loads(text, parse_constant=_no_constant, parse_int=_int, parse_float=_float)


def check_text(text: str, field: str = "text") -> None:
    """Refuse lone surrogates and control characters (other than line breaks and tabs)."""
    found = _UNCLEAN.search(text)
    if found is None:
        return
    char = found.group()
    if unicodedata.category(char) == "Cs":
        raise Unclean("lone_surrogate", f"{field} holds a lone UTF-16 surrogate", field)
    raise Unclean(
        "control_character", f"{field} holds a control character (U+{ord(char):04X})", field
    )


def check_value(value: Any, max_depth: int = MAX_DEPTH, field: str = "value") -> None:
    """Refuse a decoded JSON value that nests too deep, holds NaN, an infinity, a huge
    integer, or a string (or key) that `check_text` refuses."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                raise Unclean("too_deep", f"{field} may nest at most {max_depth} levels", field)
            if isinstance(item, dict):
                for key in item:
                    if not isinstance(key, str):
                        raise Unclean("bad_key", f"{field} has a key that is not a string", field)
                    check_text(key, field)
                pending.extend((v, depth + 1) for v in item.values())
            else:
                pending.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            check_text(item, field)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if item.bit_length() > 63:
                raise Unclean("number_too_long", f"{field} holds an integer beyond 64 bits", field)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise Unclean("not_finite", f"{field} holds NaN or an infinity", field)
        else:
            raise Unclean("bad_value", f"{field} holds a {type(item).__name__}", field)

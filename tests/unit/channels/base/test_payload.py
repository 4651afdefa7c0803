"""Reading platform payloads: strict JSON, times, and text fit to store."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.base.errors import BadPayload
from channels.base.payload import MAX_DEPTH, printable, read_json, unix_time

_FAST = settings(max_examples=300, deadline=None, derandomize=True, database=None)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"a": NaN}', "NaN"),
        (b'{"a": -Infinity}', "Infinity"),
        (b'{"a": 1e400}', "overflows to infinity"),
        (b'{"a": ' + b"1" * 20 + b"}", "past 64 bits"),
        (b'{"a": ' + b"1" * 5000 + b"}", "past Python's limit"),
        (b'{"a": "\\ud800"}', "a lone surrogate"),
        (b'{"\\udfff": 1}', "a lone surrogate in a key"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "too deep"),
        (b"[" * 20_000 + b"]" * 20_000, "past the recursion limit"),
        (b"\xff{}", "not UTF-8"),
    ],
)
def test_what_no_platform_sends_is_a_bad_payload(body: bytes, why: str) -> None:
    with pytest.raises(BadPayload):
        read_json(body, "the body")


def test_genuine_json_reads_as_json() -> None:
    body = '{"text": "Café 👩🏽‍💻 \\ud83d\\ude00", "id": 9223372036854775807, "x": [1.5, null]}'
    assert read_json(body.encode(), "the body") == json.loads(body)
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert read_json(nested, "the body") == json.loads(nested)


@_FAST
@given(st.binary(max_size=300))
def test_any_bytes_read_or_are_a_bad_payload(body: bytes) -> None:
    with contextlib.suppress(BadPayload):  # anything else fails the test
        read_json(body, "the body")


@_FAST
@given(st.text(st.characters(exclude_categories=()), max_size=60))
def test_printable_text_has_no_control_character_and_can_be_stored(text: str) -> None:
    kept = printable(text)
    kept.encode("utf-8")
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", kept)
    assert printable(kept) == kept
    # Nothing else is touched: letters, emoji, tabs and line breaks stay, in order.
    assert [c for c in text if c.isalnum()] == [c for c in kept if c.isalnum() and c != "\ufffd"]


def test_printable_keeps_line_breaks_and_surrogate_pairs() -> None:
    assert printable("a\tb\r\nc\x00d\x1b[0m\x85") == "a\tb\r\ncd[0m"
    assert printable("\ud83d\ude00 \ud800") == "😀 \ufffd"


def test_unix_times_in_and_out_of_range() -> None:
    assert unix_time(1764150000, "t") == datetime(2025, 11, 26, 9, 40, tzinfo=UTC)
    assert unix_time(1764150000123, "t", milliseconds=True).microsecond == 123000
    for value in (-1, 10**15, 2**63):
        with pytest.raises(BadPayload):
            unix_time(value, "t")

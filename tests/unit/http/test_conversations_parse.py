from __future__ import annotations

import json

import pytest

from bot.errors import BadRequest, DeskError, InvalidField, PayloadTooLarge
from bot.http.conversations import MAX_BODY_BYTES, parse_message

LIMIT = 4096


def _body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_a_valid_body_is_parsed() -> None:
    message = parse_message(_body(text="hi", lang="es", metadata={"plan": "free"}), LIMIT)
    assert (message.text, message.lang, message.metadata) == ("hi", "es", {"plan": "free"})


def test_lang_and_metadata_are_optional() -> None:
    message = parse_message(_body(text="hi"), LIMIT)
    assert (message.lang, message.metadata) == (None, {})


@pytest.mark.parametrize(
    ("raw", "error", "code"),
    [
        (b'{"text": ', BadRequest, "malformed_json"),
        (b"not json", BadRequest, "malformed_json"),
        (b'["hi"]', BadRequest, "malformed_json"),
        (b'{"text": "\xff\xfe"}', BadRequest, "invalid_utf8"),
        (b"{}", InvalidField, "missing_text"),
        (_body(text=""), InvalidField, "empty_text"),
        (_body(text="  \n\t "), InvalidField, "empty_text"),
        (_body(text=42), InvalidField, "invalid_field"),
        (_body(text="hi", lang="english"), InvalidField, "unsupported_lang"),
        (_body(text="hi", lang="xx"), InvalidField, "unsupported_lang"),  # only en/es/fr
        (_body(text="hi", lang="de"), InvalidField, "unsupported_lang"),
        (_body(text="nul\x00"), InvalidField, "control_character"),
        (_body(text="\ud800"), InvalidField, "lone_surrogate"),
        (_body(text="hi", metadata={"k": "\x1b"}), InvalidField, "control_character"),
        (_body(text="hi", metadata={"\x00": 1}), InvalidField, "control_character"),
        (b'{"text": "hi", "metadata": {"n": NaN}}', BadRequest, "not_finite"),
        (b'{"text": "hi", "metadata": {"n": -Infinity}}', BadRequest, "not_finite"),
        (b'{"text": "hi", "metadata": {"n": 1e999}}', BadRequest, "not_finite"),
        (b'{"text": "hi", "metadata": {"n": ' + b"7" * 5000 + b"}}", BadRequest, "number_too_long"),
        (
            b'{"text": "hi", "metadata": ' + b"[" * 20000 + b"]" * 20000 + b"}",
            BadRequest,
            "too_deep",
        ),
        (
            b'{"text": "hi", "metadata": {"a": ' + b"[" * 900 + b"]" * 900 + b"}}",
            BadRequest,
            "too_deep",
        ),
        (_body(text="hi", metadata="plan=free"), InvalidField, "invalid_field"),
        (_body(text="hi", colour="blue"), InvalidField, "invalid_field"),
    ],
)
def test_bad_bodies_are_named(raw: bytes, error: type[DeskError], code: str) -> None:
    with pytest.raises(error) as caught:
        parse_message(raw, LIMIT)
    assert caught.value.code == code
    assert 400 <= caught.value.status < 500


def test_text_limit_counts_utf8_bytes_not_characters() -> None:
    at_limit = "é" * (LIMIT // 2)  # two bytes each
    assert parse_message(_body(text=at_limit), LIMIT).text == at_limit
    with pytest.raises(PayloadTooLarge) as caught:
        parse_message(_body(text=at_limit + "a"), LIMIT)
    assert caught.value.code == "text_too_long"


def test_oversize_body_is_refused_before_parsing() -> None:
    raw = b"{" + b" " * MAX_BODY_BYTES + b"}"
    with pytest.raises(PayloadTooLarge) as caught:
        parse_message(raw, LIMIT)
    assert caught.value.code == "body_too_large"


def test_script_emoji_and_rtl_text_pass_unchanged() -> None:
    text = "<script>alert(1)</script> 🔥 مرحبا"
    assert parse_message(_body(text=text), LIMIT).text == text


def test_line_breaks_and_tabs_are_text_not_control_characters() -> None:
    text = "line one\nline two\r\n\tindented"
    assert parse_message(_body(text=text), LIMIT).text == text

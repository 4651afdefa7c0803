"""Rasa's socket.io protocol, both ways, as pure conversions."""

from __future__ import annotations

from typing import Any

import pytest

from channels.base import Button, OutboundMessage
from channels.webchat.protocol import BadEvent, bot_uttered, inbound, notice, session_request

LANGS = ("en", "es", "fr")


def test_a_first_visit_asks_for_no_session_and_a_returning_one_shows_its_token() -> None:
    assert session_request(None) == session_request({"session_id": None}) == (None, None)
    assert session_request("") == (None, None)
    assert session_request({"session_id": "webchat-1234abcd", "token": "t0k"}) == (
        "webchat-1234abcd",
        "t0k",
    )
    assert session_request("webchat-1234abcd") == ("webchat-1234abcd", None)  # no token: none
    assert session_request({"session_id": "webchat-1234abcd", "token": ["x"]}) == (
        "webchat-1234abcd",
        None,
    )


@pytest.mark.parametrize("bad", ["short", "../../../etc", "a" * 200, 42, {"session_id": ["x"]}])
def test_malformed_session_ids_are_refused(bad: Any) -> None:
    with pytest.raises(BadEvent) as refused:
        session_request(bad)
    assert refused.value.code == "bad_session"


def test_user_uttered_becomes_the_routers_message() -> None:
    message = inbound(
        {"message": "hola 👋", "session_id": "web-1234abcd", "customData": {"language": "es"}},
        "web-1234abcd",
        LANGS,
    )
    assert (message.conversation_id, message.channel, message.text, message.lang) == (
        "web-1234abcd",
        "webchat",
        "hola 👋",
        "es",
    )
    assert inbound({"message": "line 1\nline 2\t."}, "web-1234abcd", LANGS).lang is None


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("text", "bad_event"),
        ({"message": ""}, "empty_message"),
        ({"message": None}, "empty_message"),
        ({"message": "é" * 2049}, "too_long"),
        ({"message": "hi", "session_id": "web-someone-else"}, "foreign_session"),
        ({"message": "x", "metadata": {"lang": "klingon"}}, "unsupported_lang"),
        ({"message": "x", "customData": {"language": "de"}}, "unsupported_lang"),
        ({"message": "nul \x00 here"}, "control_character"),
        ({"message": "bell \x07"}, "control_character"),
        ({"message": "half \ud800 a pair"}, "lone_surrogate"),
        ({"message": "x", "metadata": {"page": "\x1b[31m"}}, "control_character"),
        ({"message": "x", "metadata": {"n": float("nan")}}, "not_finite"),
        ({"message": "x", "metadata": {"n": 10**40}}, "number_too_long"),
        ({"message": "x", "metadata": {"a": [[[[[[[[[1]]]]]]]]]}}, "too_deep"),
    ],
)
def test_bad_user_uttered(data: Any, code: str) -> None:
    with pytest.raises(BadEvent) as refused:
        inbound(data, "web-1234abcd", LANGS)
    assert refused.value.code == code


def test_replies_have_exactly_rasas_keys_plus_metadata() -> None:
    """Stock widgets decide a message's kind by its exact keys (metadata is stripped first)."""
    assert bot_uttered(OutboundMessage("c", "hi")) == {
        "text": "hi",
        "metadata": {"sender": "bot", "html": "<p>hi</p>\n"},
    }
    quick = bot_uttered(OutboundMessage("c", "pick", buttons=(Button("Yes", "/affirm"),)))
    assert quick["quick_replies"] == [
        {"content_type": "text", "title": "Yes", "payload": "/affirm"}
    ]
    assert set(quick) == {"text", "quick_replies", "metadata"}
    image = bot_uttered(OutboundMessage("c", image="https://x/y.png", sender="agent"))
    assert image == {
        "attachment": {"type": "image", "payload": {"src": "https://x/y.png"}},
        "metadata": {"sender": "agent"},
    }
    assert notice("slow down")["metadata"] == {"sender": "system"}


def test_a_reply_carries_its_markdown_as_sanitised_html() -> None:
    """The widget inserts `metadata.html` as it is: it must be safe as made here."""
    text = (
        "Open **Library**\n[Guide](https://imageko.com/help/en/x) "
        "<script>alert(1)</script> [x](javascript:alert(1))"
    )
    html = bot_uttered(OutboundMessage("c", text, sender="agent"))["metadata"]["html"]
    assert html.startswith("<p>Open <strong>Library</strong><br>\n<a href=")
    assert 'href="https://imageko.com/help/en/x"' in html
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html.replace("[x](javascript:alert(1))", "")
    assert "html" not in notice("slow down")["metadata"]  # the desk's notices are plain text

"""Rasa's socket.io protocol, both ways, as pure conversions."""

from __future__ import annotations

from typing import Any

import pytest

from channels.base import Button, OutboundMessage
from channels.webchat.protocol import BadEvent, bot_uttered, inbound, notice, session_id_of


def test_a_first_visit_gets_a_new_session_and_a_returning_one_keeps_it() -> None:
    fresh = {session_id_of(None), session_id_of({"session_id": None}), session_id_of("")}
    assert len(fresh) == 3
    assert all(len(s) == 32 for s in fresh)
    assert session_id_of({"session_id": "web-1234abcd"}) == "web-1234abcd"
    assert session_id_of("web-1234abcd") == "web-1234abcd"


@pytest.mark.parametrize("bad", ["short", "../../../etc", "a" * 200, 42, {"session_id": ["x"]}])
def test_malformed_session_ids_are_refused(bad: Any) -> None:
    with pytest.raises(BadEvent) as refused:
        session_id_of(bad)
    assert refused.value.code == "bad_session"


def test_user_uttered_becomes_the_routers_message() -> None:
    message = inbound(
        {"message": "hola 👋", "session_id": "web-1234abcd", "customData": {"language": "es"}},
        "web-1234abcd",
    )
    assert (message.conversation_id, message.channel, message.text, message.lang) == (
        "web-1234abcd",
        "webchat",
        "hola 👋",
        "es",
    )
    assert inbound({"message": "x", "metadata": {"lang": "klingon"}}, "web-1234abcd").lang is None


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("text", "bad_event"),
        ({"message": ""}, "empty_message"),
        ({"message": None}, "empty_message"),
        ({"message": "é" * 2049}, "too_long"),
        ({"message": "hi", "session_id": "web-someone-else"}, "foreign_session"),
    ],
)
def test_bad_user_uttered(data: Any, code: str) -> None:
    with pytest.raises(BadEvent) as refused:
        inbound(data, "web-1234abcd")
    assert refused.value.code == code


def test_replies_have_exactly_rasas_keys_plus_metadata() -> None:
    """Stock widgets decide a message's kind by its exact keys (metadata is stripped first)."""
    assert bot_uttered(OutboundMessage("c", "hi")) == {
        "text": "hi",
        "metadata": {"sender": "bot"},
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

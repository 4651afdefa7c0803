"""Meta notifications into the desk's messages: button presses, batches, ids, signatures over
the raw bytes, and shapes that are not Meta's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from channels.base.errors import BadPayload, BadSignature
from channels.meta.adapter import InstagramAdapter, MessengerAdapter, messenger_adapter
from channels.meta.parse import GET_STARTED
from tests.fakes.graph_api import (
    APP_SECRET,
    IGSID,
    PAGE_ID,
    PAGE_TOKEN,
    PSID,
    SENT_MS,
    mid,
    notification,
    postback_event,
    serialise,
    signed,
    text_event,
    text_notification,
)


def test_a_message_carries_who_wrote_where_and_when(messenger: MessengerAdapter) -> None:
    [item] = messenger.parse(serialise(text_notification("messenger", 3, "hola")))
    assert item.message.conversation_id == f"messenger:{PSID}"
    assert item.message.channel == "messenger"
    assert item.message.lang is None  # Meta does not say; the desk detects it from the text
    assert item.message.metadata == {
        "external_user_id": PSID,
        "page_id": PAGE_ID,
        "mid": mid("messenger", 3),
        "timestamp": SENT_MS + 3000,
    }
    assert item.delivery_id == f"messenger:{mid('messenger', 3)}"
    assert item.sent_at == datetime.fromtimestamp(SENT_MS / 1000 + 3, UTC)


def test_a_quick_reply_tap_is_its_payload(messenger: MessengerAdapter) -> None:
    body = serialise(text_notification("messenger", 4, "Sí", quick_reply="/affirm"))
    [item] = messenger.parse(body)
    assert item.message.text == "/affirm"
    assert item.message.metadata["button_title"] == "Sí"


def test_a_postback_is_its_payload(messenger: MessengerAdapter) -> None:
    body = serialise(notification("messenger", postback_event("messenger", 5, "/deny", "No")))
    [item] = messenger.parse(body)
    assert item.message.text == "/deny"
    assert item.message.metadata["button_title"] == "No"
    assert item.delivery_id == f"messenger:{mid('messenger', 5)}"
    assert "start" not in item.message.metadata


def test_get_started_is_marked_for_a_greeting(instagram: InstagramAdapter) -> None:
    event = postback_event("instagram", 6, GET_STARTED, "Get Started")
    [item] = instagram.parse(serialise(notification("instagram", event)))
    assert item.message.metadata["start"] is True
    assert item.message.conversation_id == f"instagram:{IGSID}"


def test_a_postback_without_mid_is_identified_by_sender_and_time(
    messenger: MessengerAdapter,
) -> None:
    def parse(n: int) -> str:
        event = postback_event("messenger", n, "/affirm", "Sí", with_mid=False)
        [item] = messenger.parse(serialise(notification("messenger", event)))
        return item.delivery_id

    assert parse(7) == parse(7) == f"messenger:postback:{PSID}:{SENT_MS + 7000}"
    assert parse(8) != parse(7)


def test_a_batch_gives_every_message_in_order(messenger: MessengerAdapter) -> None:
    first = text_notification("messenger", 10, "uno")
    second = notification(
        "messenger",
        text_event("messenger", 11, "dos"),
        postback_event("messenger", 12, "/tres", "Tres"),
        {"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "read": {"watermark": 1}},
    )
    batch = {"object": "page", "entry": first["entry"] + second["entry"]}
    items = messenger.parse(serialise(batch))
    assert [i.message.text for i in items] == ["uno", "dos", "/tres"]
    assert len({i.delivery_id for i in items}) == 3


def test_without_a_page_id_every_page_is_served_but_never_its_own_messages() -> None:
    adapter = messenger_adapter(PAGE_TOKEN, APP_SECRET)  # nothing is sent
    other = notification("messenger", text_event("messenger", 13, "hola"), account="99")
    assert [i.message.metadata["page_id"] for i in adapter.parse(serialise(other))] == ["99"]
    own = notification("messenger", text_event("messenger", 14, "hola", sender="99"), account="99")
    assert adapter.parse(serialise(own)) == []


def test_each_adapter_reads_only_its_own_object() -> None:
    adapter = messenger_adapter(PAGE_TOKEN, APP_SECRET)  # any page: only the object filters
    assert adapter.parse(serialise(text_notification("instagram", 15, "hola"))) == []
    assert len(adapter.parse(serialise(text_notification("messenger", 15, "hola")))) == 1


def test_escaped_unicode_and_slashes_read_as_written(messenger: MessengerAdapter) -> None:
    text = "¿Cómo subo https://imageko.com/a.png? 👩🏽‍💻"
    body = serialise(text_notification("messenger", 15, text))
    assert b"\\u00bfC\\u00f3mo" in body  # as Meta sends it
    assert b"https:\\/\\/imageko.com" in body
    messenger.verify(signed(body), body)
    [item] = messenger.parse(body)
    assert item.message.text == text


def test_the_signature_is_over_the_raw_bytes(messenger: MessengerAdapter) -> None:
    body = serialise(text_notification("messenger", 16, "¿Cómo?"))
    # The same JSON written another way (as a framework's re-serialisation would) is refused.
    rewritten = json.dumps(json.loads(body), ensure_ascii=False).encode()
    with pytest.raises(BadSignature):
        messenger.verify(signed(body), rewritten)


@pytest.mark.parametrize(
    "headers",
    [
        {"x-hub-signature-256": "{signature}"},  # header names in any case
        {"X-Hub-Signature-256": "{signature_upper}"},  # hex digits in any case
    ],
)
def test_a_genuine_signature_is_accepted_however_written(
    messenger: MessengerAdapter, headers: dict[str, str]
) -> None:
    body = serialise(text_notification("messenger", 17, "hola"))
    signature = signed(body)["X-Hub-Signature-256"]
    upper = "sha256=" + signature.removeprefix("sha256=").upper()
    filled = {
        name: value.format(signature=signature, signature_upper=upper)
        for name, value in headers.items()
    }
    messenger.verify(filled, body)


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=", "sha1={sha1}", "{hex}", "sha512={hex}", "sha256={hex}0", "sha256=ü{hex}"],
)
def test_anything_but_the_sha256_signature_is_refused(
    messenger: MessengerAdapter, signature: str
) -> None:
    body = serialise(text_notification("messenger", 18, "hola"))
    genuine = signed(body)
    hex_digest = genuine["X-Hub-Signature-256"].removeprefix("sha256=")
    sha1 = genuine["X-Hub-Signature"].removeprefix("sha1=")
    headers = {"X-Hub-Signature-256": signature.format(hex=hex_digest, sha1=sha1)}
    with pytest.raises(BadSignature):
        messenger.verify(headers, body)
    with pytest.raises(BadSignature):  # the old SHA-1 header alone is not enough
        messenger.verify({"X-Hub-Signature": genuine["X-Hub-Signature"]}, body)


def _with(event: dict[str, Any]) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": 1, "messaging": [event]}]}


_SENDER = {"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "timestamp": 1}


@pytest.mark.parametrize(
    "data",
    [
        {"entry": []},
        {"object": 1, "entry": []},
        {"object": "page"},
        {"object": "page", "entry": {}},
        {"object": "page", "entry": ["x"]},
        {"object": "page", "entry": [{"time": 1, "messaging": []}]},
        {"object": "page", "entry": [{"id": 104729318573650, "messaging": []}]},
        {"object": "page", "entry": [{"id": PAGE_ID, "messaging": {}}]},
        {"object": "page", "entry": [{"id": PAGE_ID, "messaging": ["x"]}]},
        _with({"message": {"mid": "m_1", "text": "hola"}}),
        _with({"sender": {"id": 6944385812290714}, "message": {"mid": "m_1", "text": "hola"}}),
        _with(_SENDER | {"message": "hola"}),
        _with(_SENDER | {"message": {"mid": "m_1", "text": 5}}),
        _with(_SENDER | {"message": {"text": "hola"}}),
        _with(_SENDER | {"message": {"mid": "m_1", "text": "Sí", "quick_reply": "/affirm"}}),
        _with(_SENDER | {"postback": {"mid": "m_1", "title": "Sí"}}),
        _with(_SENDER | {"timestamp": "yesterday", "message": {"mid": "m_1", "text": "hola"}}),
    ],
)
def test_a_wrong_shape_is_a_bad_payload(messenger: MessengerAdapter, data: dict[str, Any]) -> None:
    with pytest.raises(BadPayload):
        messenger.parse(json.dumps(data).encode())

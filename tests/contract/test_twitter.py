"""The X (Twitter) DM adapter: the channel contract against a local X API, plus what only X has
(the CRC check, quick-reply responses, options as text, image links, the account check)."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from channels.base import Button, OutboundMessage
from channels.base.errors import BadPayload, BadSignature, PlatformError
from channels.twitter.adapter import TwitterAdapter, twitter_adapter
from channels.twitter.render import MAX_TEXT, SendDirectMessage
from tests.contract.adapter_contract import BUTTONS, TEXT, AdapterContract, Sent
from tests.fakes.x_api import (
    ACCESS_TOKEN,
    ACCESS_TOKEN_SECRET,
    BOT,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    CUSTOMER,
    FakeX,
    body_of,
    crc_response,
    dm_event,
    sign,
    unsupported_bodies,
    webhook_body,
    webhook_headers,
)

CHAT = f"twitter:{CUSTOMER['id']}"
_LINK = re.compile(r"https?://\S+")


def event_id(delivery: int) -> str:
    return str(1_850_000_000_000_000_000 + delivery)


def build(api_url: str, **overrides: str) -> TwitterAdapter:
    """An adapter on tweepy for the fake's app and account, with `overrides` of its settings."""
    settings = {
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "access_token": ACCESS_TOKEN,
        "access_token_secret": ACCESS_TOKEN_SECRET,
        "bot_user_id": BOT["id"],
    } | overrides
    return twitter_adapter(**settings, api_url=api_url)


@pytest.fixture
async def platform() -> AsyncIterator[FakeX]:
    async with FakeX() as fake:
        yield fake


@pytest.fixture
async def adapter(platform: FakeX) -> AsyncIterator[TwitterAdapter]:
    async with build(platform.base_url) as adapter:
        yield adapter


class TestTwitter(AdapterContract[FakeX]):
    """X signs each webhook body with the consumer secret but no time of the call: each DM's
    `created_timestamp`, in the signed body, bounds a replay; within the window its DM event
    id stops it."""

    def payload(self, text: str, delivery: int) -> bytes:
        return body_of(webhook_body(dm_event(event_id(delivery), text)))

    def written_at(self, text: str, delivery: int, at: datetime) -> bytes | None:
        return body_of(webhook_body(dm_event(event_id(delivery), text, created=at)))

    def sign(self, body: bytes) -> dict[str, str]:
        return webhook_headers(body)

    def forge(self, body: bytes) -> dict[str, str]:
        return webhook_headers(body, secret=CONSUMER_SECRET[:-1] + "X")

    def stale(self, body: bytes) -> dict[str, str] | None:
        return None

    def unsupported(self) -> dict[str, bytes]:
        return {kind: body_of(payload) for kind, payload in unsupported_bodies().items()}

    def recipient(self) -> str:
        return CHAT

    def delivered(self, platform: FakeX) -> list[Sent]:
        """An image goes as a DM that is only its link (see channels.twitter.render)."""
        texts = [str(call.body["text"]) for call in platform.sent()]
        return [Sent(image=text) if _LINK.fullmatch(text) else Sent(text=text) for text in texts]

    def fail_next(self, platform: FakeX, count: int, status: int) -> None:
        platform.fail_next(count, status)

    async def test_send_buttons_as_the_platforms_own(
        self, adapter: TwitterAdapter, platform: FakeX
    ) -> None:
        """X's v2 DMs have no quick replies (v1.1's went with v1.1 DMs): the options are lines
        under the text, which the customer answers by writing one."""
        await adapter.send(OutboundMessage(self.recipient(), text=TEXT, buttons=BUTTONS))
        assert self.delivered(platform) == [Sent(text=f"{TEXT}\n\n• Sí\n• No")]


# Inbound: what only X has


def parse(adapter: TwitterAdapter, payload: dict[str, Any]) -> list[Any]:
    body = body_of(payload)
    adapter.verify(webhook_headers(body), body)
    return adapter.parse(body)


def test_the_customer_is_named_and_the_event_kept(adapter: TwitterAdapter) -> None:
    [item] = parse(adapter, webhook_body(dm_event("1850000000000000041", "hola")))
    assert item.message.metadata == {
        "external_user_id": CUSTOMER["id"],
        "name": "Lucía Gómez",
        "username": "luciag",
        "dm_event_id": "1850000000000000041",
    }
    assert item.message.lang is None  # X tells nothing of the customer's language
    assert item.delivery_id == "twitter:1850000000000000041"


def test_a_quick_reply_response_is_its_payload(adapter: TwitterAdapter) -> None:
    payload = webhook_body(dm_event("1850000000000000042", "Sí", quick_reply_metadata="/affirm"))
    [item] = parse(adapter, payload)
    assert item.message.text == "/affirm"
    assert item.message.metadata["quick_reply_label"] == "Sí"


def test_several_dms_in_one_delivery_are_each_a_message(adapter: TwitterAdapter) -> None:
    payload = webhook_body(
        dm_event("1850000000000000043", "hola"),
        dm_event("1850000000000000044", "¿Te ha servido?", sender=BOT, recipient=CUSTOMER),
        dm_event("1850000000000000045", "me cobraron dos veces"),
    )
    items = parse(adapter, payload)
    assert [i.message.text for i in items] == ["hola", "me cobraron dos veces"]
    assert [i.delivery_id for i in items] == [
        "twitter:1850000000000000043",
        "twitter:1850000000000000045",
    ]


def _broken(change: str) -> dict[str, Any]:
    payload = webhook_body(dm_event("1850000000000000046", "hola"))
    event = payload["direct_message_events"][0]
    match change:
        case "no for_user_id":
            del payload["for_user_id"]
        case "events not a list":
            payload["direct_message_events"] = event
        case "event not an object":
            payload["direct_message_events"] = ["hola"]
        case "no sender":
            del event["message_create"]["sender_id"]
        case "numeric id":
            event["id"] = 1850000000000000046
        case "id not a number":
            event["id"] = "../1"
        case "text not a string":
            event["message_create"]["message_data"]["text"] = ["hola"]
        case "no target":
            del event["message_create"]["target"]
    return payload


@pytest.mark.parametrize(
    "change",
    [
        "no for_user_id",
        "events not a list",
        "event not an object",
        "no sender",
        "numeric id",
        "id not a number",
        "text not a string",
        "no target",
    ],
)
def test_a_wrong_event_shape_is_a_bad_payload(adapter: TwitterAdapter, change: str) -> None:
    with pytest.raises(BadPayload):
        parse(adapter, _broken(change))


def test_the_signature_header_is_found_whatever_its_case(adapter: TwitterAdapter) -> None:
    body = b'{"for_user_id": "1"}'
    adapter.verify({"X-Twitter-Webhooks-Signature": sign(body)}, body)
    for wrong in (sign(body).removeprefix("sha256="), sign(body + b" "), "ü" + sign(body)):
        with pytest.raises(BadSignature):
            adapter.verify({"X-Twitter-Webhooks-Signature": wrong}, body)


def test_the_crc_check_is_answered_with_the_consumer_secret(adapter: TwitterAdapter) -> None:
    token = "Mjk0Yzc1OGYtNjk3OS00ZjY5LWI4NjEtNzE0YzRkNjQ5ZTQ1"
    assert adapter.crc_response(token) == crc_response(token)
    assert adapter.crc_response(token) != crc_response(token, secret="another secret")


# Outbound: what only X has


def test_the_limit_is_10000_characters(adapter: TwitterAdapter) -> None:
    text = "🙂" * 25_000  # X counts characters, not UTF-16 units
    parts = adapter.render(OutboundMessage(CHAT, text=text))
    assert [len(p.text) for p in parts] == [MAX_TEXT, MAX_TEXT, 5_000]
    assert {p.participant_id for p in parts} == {CUSTOMER["id"]}


def test_options_that_do_not_fit_go_in_a_dm_of_their_own(adapter: TwitterAdapter) -> None:
    text = "palabra " * 1249  # 9991 characters once stripped
    [text_dm, options_dm] = adapter.render(OutboundMessage(CHAT, text=text, buttons=BUTTONS))
    assert text_dm.text == text.strip()
    assert options_dm.text == "• Sí\n• No"
    [alone] = adapter.render(OutboundMessage(CHAT, buttons=BUTTONS))
    assert alone.text == "• Sí\n• No"


def test_the_image_link_comes_first_and_a_custom_payload_is_left_out(
    adapter: TwitterAdapter,
) -> None:
    image = "https://imageko.com/help/img/upload-settings.png"
    message = OutboundMessage(
        CHAT, text=TEXT, image=image, buttons=(Button("Sí", "/affirm"),), custom={"x": 1}
    )
    assert adapter.render(message) == [
        SendDirectMessage(CUSTOMER["id"], image),
        SendDirectMessage(CUSTOMER["id"], f"{TEXT}\n\n• Sí"),
    ]
    assert adapter.render(OutboundMessage(CHAT, custom={"x": 1})) == []


@pytest.mark.parametrize("conversation", ["telegram:3805104374", "twitter:", "twitter:../1"])
def test_only_an_x_conversation_can_be_rendered(adapter: TwitterAdapter, conversation: str) -> None:
    with pytest.raises(ValueError, match="not an X conversation"):
        adapter.render(OutboundMessage(conversation, text=TEXT))


async def test_every_call_is_signed_for_the_public_url(
    adapter: TwitterAdapter, platform: FakeX
) -> None:
    await adapter.send(OutboundMessage(CHAT, text=TEXT))
    [me, dm] = platform.calls
    assert (me.method, me.path, me.signed) == ("GET", "/2/users/me", True)
    assert (dm.path, dm.body, dm.signed) == (
        f"/2/dm_conversations/with/{CUSTOMER['id']}/messages",
        {"text": TEXT},
        True,
    )


async def test_a_customer_who_refuses_dms_is_not_retried(
    adapter: TwitterAdapter, platform: FakeX
) -> None:
    platform.refuse_dms_to.add(CUSTOMER["id"])
    with pytest.raises(PlatformError) as failed:
        await adapter.send(OutboundMessage(CHAT, text=TEXT))
    assert (failed.value.status, failed.value.retryable) == (403, False)
    assert "You cannot send messages to this user." in failed.value.message


async def test_a_rate_limit_without_a_reset_time_is_still_retried(
    adapter: TwitterAdapter, platform: FakeX
) -> None:
    platform.fail_next(1, 429, reset_in=None)
    with pytest.raises(PlatformError) as failed:
        await adapter.send(OutboundMessage(CHAT, text=TEXT))
    assert (failed.value.status, failed.value.retryable) == (429, True)
    assert failed.value.retry_after is None  # the outbox's own backoff applies


async def test_the_wait_is_until_the_rate_limit_window_resets(
    adapter: TwitterAdapter, platform: FakeX
) -> None:
    platform.fail_next(1, 429, reset_in=600)
    with pytest.raises(PlatformError) as failed:
        await adapter.send(OutboundMessage(CHAT, text=TEXT))
    assert failed.value.retry_after is not None
    assert 598 <= failed.value.retry_after <= 600


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def test_x_out_of_reach_is_retried_later(caplog: pytest.LogCaptureFixture) -> None:
    async with build(closed_port()) as adapter:  # the hub starts all the same
        with pytest.raises(PlatformError) as failed:
            await adapter.send(OutboundMessage(CHAT, text=TEXT))
    assert (failed.value.status, failed.value.retryable) == (None, True)
    assert "X is not reachable at start-up" in caplog.text


async def test_rejected_credentials_stop_the_start_and_are_not_retried(platform: FakeX) -> None:
    with pytest.raises(PlatformError) as failed:
        async with build(platform.base_url, access_token_secret="revoked"):
            pass
    assert (failed.value.status, failed.value.retryable) == (401, False)
    adapter = build(platform.base_url, access_token_secret="revoked")
    with pytest.raises(PlatformError) as refused:
        await adapter.send(OutboundMessage(CHAT, text=TEXT))
    await adapter.__aexit__(None, None, None)
    assert (refused.value.status, refused.value.retryable) == (401, False)
    assert [c.signed for c in platform.calls] == [False, False]
    assert platform.sent() == []


async def test_a_bot_user_id_of_another_account_stops_the_start(platform: FakeX) -> None:
    # Polling would take the account's own DMs for a customer's and answer them.
    with pytest.raises(ValueError, match="not 3805104374"):
        async with build(platform.base_url, bot_user_id=CUSTOMER["id"]):
            pass


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("api_url", "127.0.0.1:8081"),
        ("api_url", "http://127.0.0.1:8081/2"),
        ("bot_user_id", "imageko_support"),
        ("consumer_secret", ""),
    ],
)
def test_wrong_settings_are_refused_at_once(setting: str, value: str) -> None:
    settings: dict[str, Any] = {
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "access_token": ACCESS_TOKEN,
        "access_token_secret": ACCESS_TOKEN_SECRET,
        "bot_user_id": BOT["id"],
        "api_url": None,
    } | {setting: value}
    with pytest.raises(ValueError, match="X"):
        twitter_adapter(**settings)


async def test_a_short_failure_in_the_middle_of_a_reply_is_waited_out(
    adapter: TwitterAdapter, platform: FakeX
) -> None:
    # Retrying the whole reply later would repeat the parts already sent.
    text = "\n\n".join(["palabra " * 1200] * 3)  # 3 × 9600 characters: three DMs
    platform.fail_next(1, 503, after=1)  # the first DM goes, the second fails once
    started = time.monotonic()
    await adapter.send(OutboundMessage(CHAT, text=text))
    assert [c.status for c in platform.of("POST", "/2/")] == [201, 503, 201, 201]
    assert [c.body["text"] for c in platform.sent()] == [p.strip() for p in text.split("\n\n")]
    assert time.monotonic() - started >= 1.0


async def test_a_long_rate_limit_in_the_middle_of_a_reply_goes_back_to_the_outbox(
    adapter: TwitterAdapter, platform: FakeX
) -> None:
    text = "\n\n".join(["palabra " * 1200] * 2)
    platform.fail_next(1, 429, reset_in=900, after=1)
    with pytest.raises(PlatformError) as failed:
        await adapter.send(OutboundMessage(CHAT, text=text))
    assert failed.value.retry_after is not None
    assert failed.value.retry_after > 800
    assert len(platform.sent()) == 1

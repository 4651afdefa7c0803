"""The Slack adapter: the channel contract against a local Web API, plus what only Slack has
(signed timestamps, mentions delivered twice, threads, Block Kit, the app's own identity)."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from channels.base import Button, OutboundMessage
from channels.base.errors import BadPayload, BadSignature, PlatformError
from channels.base.formats import slack_escape
from channels.slack import parse
from channels.slack.adapter import MAX_AGE_S, SlackAdapter, slack_adapter
from channels.slack.render import MAX_BUTTONS, PostMessage
from tests.contract.adapter_contract import IMAGE, TEXT, AdapterContract, Sent
from tests.fakes.slack_api import (
    BOT_ID,
    BOT_USER,
    CUSTOMER,
    DM,
    HELP,
    SIGNING_SECRET,
    TEAM,
    TOKEN,
    Call,
    FakeSlack,
    block_actions,
    body_of,
    delivered_text,
    dm,
    envelope,
    form_of,
    mention,
    message_event,
    sign,
    ts_of,
    unsupported_events,
)

CONVERSATION = f"slack:{TEAM}:{DM}"


@pytest.fixture
async def platform() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def adapter(platform: FakeSlack) -> AsyncIterator[SlackAdapter]:
    async with slack_adapter(TOKEN, SIGNING_SECRET, base_url=platform.base_url) as adapter:
        yield adapter


def sent(call: Call) -> Sent:
    """A posted message in the desk's terms: its text, buttons and image as Slack shows them."""
    blocks = call.params.get("blocks") or []
    images = [b["image_url"] for b in blocks if b["type"] == "image"]
    return Sent(
        text=delivered_text(call),
        buttons=tuple(
            Button(e["text"]["text"], e["value"])
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
        ),
        image=images[0] if images else None,
    )


class TestSlack(AdapterContract[FakeSlack]):
    """Slack signs the timestamp with the body: a replay more than 5 minutes later is stale."""

    def payload(self, text: str, delivery: int) -> bytes:
        return body_of(dm(text, delivery))

    def sign(self, body: bytes) -> dict[str, str]:
        return sign(body)

    def forge(self, body: bytes) -> dict[str, str]:
        return sign(body, secret="0" * len(SIGNING_SECRET))

    def stale(self, body: bytes) -> dict[str, str] | None:
        return sign(body, timestamp=int(time.time()) - 6 * 60)

    def written_at(self, text: str, delivery: int, at: datetime) -> bytes | None:
        return None  # the signed time of the call bounds replays; Slack re-signs its retries

    def unsupported(self) -> dict[str, bytes]:
        return {kind: body_of(delivery) for kind, delivery in unsupported_events().items()}

    def recipient(self) -> str:
        return CONVERSATION

    def delivered(self, platform: FakeSlack) -> list[Sent]:
        return [sent(call) for call in platform.sent()]

    def fail_next(self, platform: FakeSlack, count: int, status: int) -> None:
        platform.fail_next(count, status)


# Signatures


def test_what_slack_sdk_accepts_is_accepted(adapter: SlackAdapter) -> None:
    body = body_of(dm("¿Cómo subo una imagen? & <ok>", 1))
    headers = sign(body)
    assert SignatureVerifier(SIGNING_SECRET).is_valid_request(body, headers)
    adapter.verify(headers, body)
    forged = sign(body, secret="x" * 32)
    assert not SignatureVerifier(SIGNING_SECRET).is_valid_request(body, forged)
    with pytest.raises(BadSignature):
        adapter.verify(forged, body)


@pytest.mark.parametrize(
    ("age", "accepted"), [(0, True), (MAX_AGE_S, True), (MAX_AGE_S + 1, False), (-301, False)]
)
def test_a_signature_is_good_for_five_minutes_either_way(age: int, accepted: bool) -> None:
    now = 1764150000.0
    adapter = SlackAdapter(
        AsyncWebClient(token=TOKEN), signing_secret=SIGNING_SECRET, clock=lambda: now
    )
    body = body_of(dm("hola", 2))
    headers = sign(body, timestamp=int(now) - age)
    if accepted:
        adapter.verify(headers, body)
    else:
        with pytest.raises(BadSignature, match="5 minutes"):
            adapter.verify(headers, body)


@pytest.mark.parametrize(
    "change",
    [
        {"X-Slack-Request-Timestamp": "yesterday"},
        {"X-Slack-Request-Timestamp": "9" * 5000},  # no giant int() on what anyone can send
        {"X-Slack-Request-Timestamp": "١٧٦٤١٥٠٠٠٠"},  # digits, but not ASCII ones
        {"X-Slack-Signature": "v0=é" + "0" * 63},
        {"X-Slack-Signature": ""},
    ],
)
def test_a_garbled_signature_is_refused_not_an_error(
    adapter: SlackAdapter, change: dict[str, str]
) -> None:
    body = body_of(dm("hola", 3))
    with pytest.raises(BadSignature):
        adapter.verify(sign(body) | change, body)


def test_the_signature_covers_the_body_and_the_timestamp(adapter: SlackAdapter) -> None:
    body = body_of(dm("hola", 4))
    headers = sign(body)
    with pytest.raises(BadSignature):
        adapter.verify(headers, body_of(dm("adiós", 4)))
    later = str(int(headers["X-Slack-Request-Timestamp"]) + 1)
    with pytest.raises(BadSignature):
        adapter.verify(headers | {"X-Slack-Request-Timestamp": later}, body)


def test_header_names_are_matched_whatever_their_case(adapter: SlackAdapter) -> None:
    body = body_of(dm("hola", 5))
    adapter.verify({k.lower(): v for k, v in sign(body).items()}, body)


def test_without_a_signing_secret_every_call_is_refused(platform: FakeSlack) -> None:
    adapter = slack_adapter(TOKEN, base_url=platform.base_url)
    body = body_of(dm("hola", 6))
    with pytest.raises(BadSignature, match="no Slack signing secret"):
        adapter.verify(sign(body), body)


# Inbound: what only Slack has


def test_a_dm_is_one_conversation_answered_at_its_top_level(adapter: SlackAdapter) -> None:
    [item] = adapter.parse(body_of(dm("me cobraron dos veces", 10)))
    assert item.message.conversation_id == CONVERSATION
    assert item.delivery_id == f"slack:{TEAM}:{DM}:{ts_of(10)}"
    assert item.message.metadata == {"external_user_id": CUSTOMER, "ts": ts_of(10)}
    assert parse.place_of(item.message.conversation_id) == parse.Place(TEAM, DM)


def test_a_thread_in_a_dm_is_its_own_conversation(adapter: SlackAdapter) -> None:
    [item] = adapter.parse(body_of(dm("y otra cosa", 11, thread_ts=ts_of(3))))
    assert item.message.conversation_id == f"{CONVERSATION}:{ts_of(3)}"


def test_a_mention_delivered_twice_is_one_message_in_its_thread(adapter: SlackAdapter) -> None:
    as_mention, as_message = mention("¿cómo subo imágenes?", 12)
    [first] = adapter.parse(body_of(as_mention))
    [second] = adapter.parse(body_of(as_message))
    assert as_mention["event_id"] != as_message["event_id"]
    assert first == second  # the same id: the hub handles it once
    assert first.message.text == "¿cómo subo imágenes?"
    # At the top of #help: the mention starts the thread the replies go into.
    assert first.message.conversation_id == f"slack:{TEAM}:{HELP}:{ts_of(12)}"


def test_a_mention_inside_a_thread_is_that_threads_conversation(adapter: SlackAdapter) -> None:
    for delivery in mention("sigue sin funcionar", 13, thread_ts=ts_of(12)):
        [item] = adapter.parse(body_of(delivery))
        assert item.message.conversation_id == f"slack:{TEAM}:{HELP}:{ts_of(12)}"
        assert item.delivery_id == f"slack:{TEAM}:{HELP}:{ts_of(13)}"


def test_the_text_of_a_message_with_a_file_is_a_message(adapter: SlackAdapter) -> None:
    with_file = dm("esta es la captura del error", 18)
    with_file["event"] |= {
        "subtype": "file_share",
        "files": [{"id": "F0CAPTURE1", "name": "captura.png", "mimetype": "image/png"}],
    }
    [item] = adapter.parse(body_of(with_file))
    assert item.message.text == "esta es la captura del error"


def test_a_mention_in_a_dm_comes_as_its_message_event(adapter: SlackAdapter) -> None:
    as_mention = envelope(message_event("hola", 14, kind="app_mention"), 14)
    assert adapter.parse(body_of(as_mention)) == []
    [item] = adapter.parse(body_of(dm(f"<@{BOT_USER}> hola", 14)))
    assert item.message.text == "hola"


def test_the_apps_own_user_is_known_from_auth_test(
    adapter: SlackAdapter, platform: FakeSlack
) -> None:
    assert adapter.identity is not None
    assert (adapter.identity.user_id, adapter.identity.bot_id) == (BOT_USER, BOT_ID)
    assert adapter.identity.team_id == TEAM
    assert len(platform.of("auth.test")) == 1
    # Even without a bot_id (as the legacy `as_user` posts had), its own messages are dropped.
    own = envelope(message_event("Tu ticket es el IMG-000042.", 15, user=BOT_USER), 15)
    own.pop("authorizations")
    assert adapter.parse(body_of(own)) == []


def test_before_auth_test_the_bot_user_is_the_events_authorization() -> None:
    [as_mention, as_message] = mention("hola", 16)
    [item] = parse.inbound(as_message, None)
    assert item.message.text == "hola"
    as_message.pop("authorizations")
    as_mention.pop("authorizations")
    assert parse.inbound(as_message, None) == []  # whom would it mention?
    [item] = parse.inbound(as_mention, None)  # an app_mention says so itself
    assert item.message.text == f"@{BOT_USER} hola"


@pytest.mark.parametrize(
    "delivery",
    [
        {"type": "event_callback", "event": {"type": "message"}},
        {"type": "event_callback", "team_id": TEAM},
        {"type": "event_callback", "team_id": TEAM, "event": "hola"},
        {"type": "event_callback", "team_id": TEAM, "event": {"type": "message", "user": "U1"}},
    ],
)
def test_a_wrong_event_shape_is_a_bad_payload(
    adapter: SlackAdapter, delivery: dict[str, Any]
) -> None:
    with pytest.raises(BadPayload):
        adapter.parse(body_of(delivery))


def test_the_url_check_is_answered_with_its_challenge(adapter: SlackAdapter) -> None:
    body = body_of({"token": "t", "challenge": "3eZbrw1aB", "type": "url_verification"})
    assert adapter.parse(body) == []
    assert adapter.challenge(body) == "3eZbrw1aB"
    assert adapter.challenge(body_of(dm("hola", 17))) is None
    with pytest.raises(BadPayload):
        adapter.challenge(body_of({"type": "url_verification"}))


# Button presses (interactivity)


def test_a_button_press_in_a_dm_is_its_value(adapter: SlackAdapter) -> None:
    [item] = adapter.parse_interaction(form_of(block_actions("/affirm", n=20)))
    assert item.message.text == "/affirm"
    assert item.message.conversation_id == CONVERSATION
    assert item.message.metadata == {"external_user_id": CUSTOMER, "username": "lucia.gomez"}
    assert item.delivery_id.startswith(f"slack:{TEAM}:press:")
    [again] = adapter.parse_interaction(form_of(block_actions("/affirm", n=21)))
    assert again.delivery_id != item.delivery_id  # a second press is a second answer


def test_a_button_press_in_a_thread_belongs_to_the_thread(adapter: SlackAdapter) -> None:
    payload = block_actions("/deny", channel=HELP, thread_ts=ts_of(12), n=22)
    [item] = adapter.parse_interaction(form_of(payload))
    assert item.message.conversation_id == f"slack:{TEAM}:{HELP}:{ts_of(12)}"


def test_presses_that_are_not_a_customers_answer_give_nothing(adapter: SlackAdapter) -> None:
    link = block_actions(None, url="https://desk.example.com/console/tickets/IMG-000042")
    in_a_modal = block_actions("/affirm") | {"container": {"type": "view", "view_id": "V0123"}}
    submission = {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": CUSTOMER}}
    for payload in (link, in_a_modal, submission):
        assert adapter.parse_interaction(form_of(payload)) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{not a form",
        b'{"type":"block_actions"}',
        b"payload=%7Bnot+json",
        b"payload=%5B%5D",
        b"payload=1&payload=2",
        b"token=abc",
        b"payload=\xff",
        form_of({"type": "block_actions", "container": {"type": "message"}, "actions": "x"}),
        form_of(block_actions("/affirm") | {"team": None}),
    ],
)
def test_a_malformed_interaction_is_a_bad_payload(adapter: SlackAdapter, body: bytes) -> None:
    with pytest.raises(BadPayload):
        adapter.parse_interaction(body)


# Outbound: what only Slack has


def blocks_of(request: PostMessage) -> list[dict[str, Any]]:
    return [block.to_dict() for block in request.blocks]


def test_replies_to_a_mention_go_into_its_thread(adapter: SlackAdapter) -> None:
    thread = f"slack:{TEAM}:{HELP}:{ts_of(12)}"
    [request] = adapter.render(OutboundMessage(thread, text=TEXT))
    assert (request.channel, request.thread_ts) == (HELP, ts_of(12))
    [in_dm] = adapter.render(OutboundMessage(CONVERSATION, text=TEXT))
    assert (in_dm.channel, in_dm.thread_ts) == (DM, None)


@pytest.mark.parametrize("conversation", ["telegram:111", "slack:T1", "slack:T1::1.2", "slack:"])
def test_another_channels_conversation_is_not_rendered(
    adapter: SlackAdapter, conversation: str
) -> None:
    with pytest.raises(ValueError, match="not a Slack conversation"):
        adapter.render(OutboundMessage(conversation, text=TEXT))


async def test_text_is_shown_as_written_not_as_markup(
    adapter: SlackAdapter, platform: FakeSlack
) -> None:
    """Slack's own markup in a reply stays text: no mention, no link disguised as another. An
    address in angle brackets is a Markdown autolink: a link showing the whole address."""
    text = "<!channel> mira <https://evil.example|imageko.com> & 1 < 2"
    [request] = adapter.render(OutboundMessage(CONVERSATION, text=text))
    assert request.text == (
        "&lt;!channel&gt; mira "
        "<https://evil.example%7Cimageko.com|https://evil.example|imageko.com> &amp; 1 &lt; 2"
    )
    assert blocks_of(request)[0]["text"] == {"type": "mrkdwn", "text": request.text}


async def test_the_limit_counts_the_escapes(adapter: SlackAdapter, platform: FakeSlack) -> None:
    assert adapter.text_length("a & b") == len("a &amp; b")
    text = "Q&A <3 " * 1000  # 7000 characters, 14000 once escaped
    await adapter.send(OutboundMessage(CONVERSATION, text=text))
    parts = [delivered_text(c) for c in platform.sent()]
    assert len(parts) == 5
    assert all(len(slack_escape(part)) <= 3000 for part in parts)
    assert " ".join(parts).split() == text.split()


def test_many_buttons_fill_several_actions_blocks(adapter: SlackAdapter) -> None:
    buttons = tuple(Button(f"Artículo {n}", f"/kb_pick{n}") for n in range(30))
    [request] = adapter.render(OutboundMessage(CONVERSATION, text=TEXT, buttons=buttons))
    section, *actions = blocks_of(request)
    assert section["type"] == "section"
    assert [len(a["elements"]) for a in actions] == [MAX_BUTTONS, 5]
    action_ids = [e["action_id"] for a in actions for e in a["elements"]]
    assert len(set(action_ids)) == 30


async def test_long_titles_and_payloads_fit_slacks_limits(
    adapter: SlackAdapter, platform: FakeSlack
) -> None:
    long_title = "Cómo cambiar la configuración de subida de imágenes " * 3
    long_payload = '/kb_pick{"article_id":"' + "x" * 2000 + '"}'
    buttons = (Button(long_title, "/kb_pick"), Button("Subir imágenes", long_payload))
    await adapter.send(OutboundMessage(CONVERSATION, text=TEXT, buttons=buttons))
    [call] = platform.sent()
    [first, second] = sent(call).buttons
    assert len(first.title) <= 75
    assert first.title.endswith("…")
    assert long_title.startswith(first.title[:-1])
    assert second == Button("Subir imágenes", "Subir imágenes")


async def test_buttons_or_an_image_alone_have_a_fallback_text(
    adapter: SlackAdapter, platform: FakeSlack
) -> None:
    await adapter.send(OutboundMessage(CONVERSATION, buttons=(Button("Sí", "/affirm"),)))
    await adapter.send(OutboundMessage(CONVERSATION, image=IMAGE))
    first, second = platform.sent()
    assert (first.params["text"], second.params["text"]) == ("Sí", "upload-settings.png")
    assert sent(first) == Sent(buttons=(Button("Sí", "/affirm"),))
    assert sent(second) == Sent(image=IMAGE)
    [image] = second.params["blocks"]
    assert image["alt_text"] == "upload-settings.png"


@pytest.mark.parametrize(
    ("url", "alt"),
    [
        ("https://imageko.com/img/mi%20captura.png?size=2", "mi captura.png"),
        ("https://cdn.imageko.com/", "image"),
    ],
)
def test_an_images_alternative_text_is_its_file_name(
    adapter: SlackAdapter, url: str, alt: str
) -> None:
    [request] = adapter.render(OutboundMessage(CONVERSATION, text=TEXT, image=url))
    _, image = blocks_of(request)
    assert image == {"type": "image", "image_url": url, "alt_text": alt}


async def test_a_reply_to_a_mention_is_posted_in_the_thread(
    adapter: SlackAdapter, platform: FakeSlack
) -> None:
    thread = f"slack:{TEAM}:{HELP}:{ts_of(12)}"
    await adapter.send(OutboundMessage(thread, text=TEXT, buttons=(Button("Sí", "/affirm"),)))
    await adapter.send(OutboundMessage(CONVERSATION, text=TEXT))
    in_thread, in_dm = platform.sent()
    assert (in_thread.params["channel"], in_thread.params["thread_ts"]) == (HELP, ts_of(12))
    assert in_dm.params["channel"] == DM
    assert "thread_ts" not in in_dm.params


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        ("channel_not_found", False),
        ("not_in_channel", False),
        ("is_archived", False),
        ("invalid_auth", False),
        ("internal_error", True),
        ("service_unavailable", True),
    ],
)
async def test_slacks_refusals_say_whether_to_retry(
    adapter: SlackAdapter, platform: FakeSlack, error: str, retryable: bool
) -> None:
    platform.refuse_next(error)
    with pytest.raises(PlatformError, match=error) as failed:
        await adapter.send(OutboundMessage(CONVERSATION, text=TEXT))
    assert failed.value.retryable is retryable
    assert failed.value.status == 200  # Slack says it in the body
    assert platform.sent() == []


async def test_an_unknown_channel_is_refused_by_slack(
    adapter: SlackAdapter, platform: FakeSlack
) -> None:
    with pytest.raises(PlatformError, match="channel_not_found") as failed:
        await adapter.send(OutboundMessage(f"slack:{TEAM}:D0NOBODY01", text=TEXT))
    assert not failed.value.retryable


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_unreachable_slack_is_retried_later(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{closed_port()}/api/"
    with caplog.at_level(logging.WARNING, logger="channels.slack.adapter"):
        async with slack_adapter(TOKEN, SIGNING_SECRET, base_url=url) as adapter:
            assert adapter.identity is None  # the hub starts all the same
            with pytest.raises(PlatformError) as failed:
                await adapter.send(OutboundMessage(CONVERSATION, text=TEXT))
    assert failed.value.status is None
    assert failed.value.retryable
    assert "did not answer auth.test at start-up" in caplog.text


async def test_a_token_slack_refuses_stops_the_start(platform: FakeSlack) -> None:
    adapter = slack_adapter("xoxb-revoked", SIGNING_SECRET, base_url=platform.base_url)
    with pytest.raises(PlatformError, match="invalid_auth") as failed:
        async with adapter:
            pytest.fail("opened with a token Slack refuses")
    assert not failed.value.retryable
    assert adapter.client.session is None  # its HTTP session was closed


async def test_one_http_session_serves_the_adapters_life(platform: FakeSlack) -> None:
    async with slack_adapter(TOKEN, SIGNING_SECRET, base_url=platform.base_url) as adapter:
        session = adapter.client.session
        assert session is not None
        await adapter.send(OutboundMessage(CONVERSATION, text=TEXT))
        assert adapter.client.session is session
    assert session.closed
    assert adapter.client.session is None


async def test_a_short_rate_limit_in_the_middle_of_a_reply_is_waited_out(
    adapter: SlackAdapter, platform: FakeSlack
) -> None:
    # Retrying the whole reply later would repeat the parts already sent.
    text = "\n\n".join(["palabra " * 350] * 3)  # 3 × 2800: three messages
    platform.fail_next(1, 429, retry_after=1, after=1)
    started = time.monotonic()
    await adapter.send(OutboundMessage(CONVERSATION, text=text))
    assert [c.status for c in platform.of("chat.postMessage")] == [200, 429, 200, 200]
    assert [delivered_text(c) for c in platform.sent()] == [p.strip() for p in text.split("\n\n")]
    assert time.monotonic() - started >= 1.0


async def test_a_long_rate_limit_in_the_middle_of_a_reply_goes_back_to_the_outbox(
    adapter: SlackAdapter, platform: FakeSlack
) -> None:
    text = "\n\n".join(["palabra " * 350] * 2)
    platform.fail_next(1, 429, retry_after=30, after=1)
    with pytest.raises(PlatformError) as failed:
        await adapter.send(OutboundMessage(CONVERSATION, text=text))
    assert failed.value.retry_after == 30
    assert len(platform.sent()) == 1


# Profiles: the customer's name and language


async def test_a_message_gets_its_authors_name_and_language(
    adapter: SlackAdapter, platform: FakeSlack
) -> None:
    [item] = adapter.parse(body_of(dm("hola", 30)))
    enriched = await adapter.with_profile(item)
    assert enriched.message.metadata["name"] == "Lucía"
    assert enriched.message.lang == "es"
    assert enriched.message.metadata["external_user_id"] == CUSTOMER
    [again] = adapter.parse(body_of(dm("¿sigues ahí?", 31)))
    assert (await adapter.with_profile(again)).message.lang == "es"
    [call] = platform.of("users.info")  # kept for the next messages
    assert call.params == {"user": CUSTOMER, "include_locale": "1"}


async def test_a_profile_without_a_display_name_gives_the_real_name(
    adapter: SlackAdapter,
) -> None:
    found = await adapter.profile("U0MARC0001")
    assert found is not None
    assert (found.name, found.lang) == ("Marc Dubois", "fr")


async def test_without_a_profile_the_message_goes_on_as_it_is(
    adapter: SlackAdapter, platform: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    [item] = adapter.parse(body_of(dm("hola", 32, user="U0UNKNOWN1")))
    with caplog.at_level(logging.WARNING, logger="channels.slack.adapter"):
        assert await adapter.with_profile(item) == item
    assert "user_not_found" in caplog.text
    platform.refuse_next("missing_scope")  # an app installed without users:read
    assert await adapter.profile(CUSTOMER) is None
    assert (await adapter.profile(CUSTOMER)) is not None  # a failure is not kept


async def test_a_slow_profile_is_not_waited_for(adapter: SlackAdapter, platform: FakeSlack) -> None:
    platform.delay("users.info", 3)
    [item] = adapter.parse(body_of(dm("hola", 33)))
    started = time.monotonic()
    assert await asyncio.wait_for(adapter.with_profile(item), 2.5) == item
    assert time.monotonic() - started < 1.5  # Slack waits 3 s for the webhook's answer

"""The Telegram adapter: the channel contract against a local Bot API, plus what only Telegram
has (/start, button presses, the secret token, UTF-16 limits)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from channels.base import Button, OutboundMessage
from channels.base.adapter import Inbound
from channels.base.errors import BadPayload, BadSignature, PlatformError
from channels.base.text import utf16_len
from channels.telegram.adapter import TelegramAdapter, platform_error, telegram_adapter
from channels.telegram.render import KEYBOARD_ONLY_TEXT, SendMessage, SendPhoto
from tests.contract.adapter_contract import TEXT, AdapterContract, Sent
from tests.fakes.telegram_api import (
    CUSTOMER,
    SECRET,
    TOKEN,
    FakeTelegram,
    callback_update,
    text_update,
    unsupported_updates,
    webhook_headers,
)

CHAT = f"telegram:{CUSTOMER['id']}"


def body_of(update: dict[str, Any]) -> bytes:
    return json.dumps(update).encode()


@pytest.fixture
async def platform() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def adapter(
    platform: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TelegramAdapter]:
    # PTB's coming behaviour (retry_after as a timedelta), without its deprecation warnings.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with telegram_adapter(TOKEN, SECRET, base_url=platform.base_url) as adapter:
        yield adapter


class TestTelegram(AdapterContract[FakeTelegram]):
    """Telegram signs nothing: setWebhook's secret token comes back in a header on every call,
    with no timestamp. A message carries its date, which bounds a replay; a button press
    carries none (`untimed`): its update_id alone stops a replay."""

    def payload(self, text: str, delivery: int) -> bytes:
        return body_of(text_update(delivery, text))

    def written_at(self, text: str, delivery: int, at: datetime) -> bytes | None:
        return body_of(text_update(delivery, text, date=int(at.timestamp())))

    def untimed(self) -> dict[str, bytes]:
        # The date inside a callback query is that of the bot's message with the button,
        # which may be days old: the press itself has no time.
        return {"a button press": body_of(callback_update(5, "/affirm"))}

    def sign(self, body: bytes) -> dict[str, str]:
        return webhook_headers()

    def forge(self, body: bytes) -> dict[str, str]:
        return webhook_headers(SECRET[:-1] + "X")

    def stale(self, body: bytes) -> dict[str, str] | None:
        return None

    def unsupported(self) -> dict[str, bytes]:
        return {kind: body_of(update) for kind, update in unsupported_updates().items()}

    def recipient(self) -> str:
        return CHAT

    def delivered(self, platform: FakeTelegram) -> list[Sent]:
        return [
            Sent(
                text=str(call.params.get("text") or call.params.get("caption") or ""),
                buttons=tuple(
                    Button(b["text"], b["callback_data"])
                    for row in call.params.get("reply_markup", {}).get("inline_keyboard", [])
                    for b in row
                ),
                image=call.params.get("photo"),
            )
            for call in platform.sent()
        ]

    def fail_next(self, platform: FakeTelegram, count: int, status: int) -> None:
        platform.fail_next(count, status)


# Inbound: what only Telegram has


def parse(adapter: TelegramAdapter, update: dict[str, Any]) -> list[Inbound]:
    return adapter.parse(body_of(update))


def test_start_is_marked_for_a_greeting_in_the_customers_language(
    adapter: TelegramAdapter,
) -> None:
    [item] = parse(adapter, text_update(41, "/start"))
    assert item.message.text == "/start"
    assert item.message.metadata["start"] is True
    assert item.message.lang == "es"
    assert item.message.metadata["external_user_id"] == str(CUSTOMER["id"])
    assert item.message.metadata["name"] == "Lucía Gómez"
    assert item.delivery_id == "telegram:41"
    [deep_link] = parse(adapter, text_update(42, "/start ref-helpcentre"))
    assert deep_link.message.metadata["start"] is True
    [other] = parse(adapter, text_update(43, "/starting over"))
    assert "start" not in other.message.metadata


@pytest.mark.parametrize(
    ("code", "lang"), [("es", "es"), ("pt-br", "pt"), ("en-US", "en"), ("", None), ("x", None)]
)
def test_the_language_is_the_customers_app_language(
    adapter: TelegramAdapter, code: str, lang: str | None
) -> None:
    [item] = parse(adapter, text_update(44, "hola", user=CUSTOMER | {"language_code": code}))
    assert item.message.lang == lang


def test_a_button_press_is_its_payload(adapter: TelegramAdapter) -> None:
    [item] = parse(adapter, callback_update(45, "/affirm"))
    assert item.message.text == "/affirm"
    assert item.message.conversation_id == CHAT
    assert item.message.metadata["callback_query_id"] == "478234561234567890"
    assert "start" not in item.message.metadata


async def test_a_button_press_is_answered(adapter: TelegramAdapter, platform: FakeTelegram) -> None:
    [item] = parse(adapter, callback_update(46, "/deny"))
    await adapter.acknowledge(item)
    [text_item] = parse(adapter, text_update(47, "hola"))
    await adapter.acknowledge(text_item)  # nothing to answer
    [answer] = platform.of("answerCallbackQuery")
    assert answer.params["callback_query_id"] == item.message.metadata["callback_query_id"]


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": "1", "message": {}},
        {"message": {"message_id": 1}},
        {"update_id": True},
        {"update_id": 5, "message": "hola"},
        {"update_id": 5, "message": {"message_id": 1, "date": "yesterday"}},
    ],
)
def test_a_wrong_update_shape_is_a_bad_payload(
    adapter: TelegramAdapter, update: dict[str, Any]
) -> None:
    with pytest.raises(BadPayload):
        parse(adapter, update)


def test_without_a_secret_every_webhook_call_is_refused() -> None:
    adapter = telegram_adapter(TOKEN, None)  # polling only; nothing is sent
    with pytest.raises(BadSignature):
        adapter.verify(webhook_headers(""), b"{}")


@pytest.mark.parametrize("secret", ["", "with space", "ü" * 4, "x" * 257])
def test_a_secret_telegram_would_refuse_is_refused_at_once(secret: str) -> None:
    with pytest.raises(ValueError, match="webhook secret"):
        telegram_adapter(TOKEN, secret)


def test_the_secret_header_is_found_whatever_its_case(adapter: TelegramAdapter) -> None:
    adapter.verify({"x-telegram-bot-api-secret-token": SECRET}, b"{}")
    with pytest.raises(BadSignature):
        adapter.verify({"x-telegram-bot-api-secret-token": "ü" + SECRET}, b"{}")


# Outbound: what only Telegram has


@pytest.mark.parametrize(
    ("error", "status", "retryable"),
    [
        (BadRequest("Bad Request: chat not found"), 400, False),
        (Forbidden("Forbidden: bot was blocked by the user"), 403, False),
        (InvalidToken(), 401, False),
        (TimedOut(), None, True),
        (NetworkError("Bad Gateway"), None, True),
    ],
)
def test_ptb_errors_say_whether_to_retry(
    error: TelegramError, status: int | None, retryable: bool
) -> None:
    mapped = platform_error(error)
    assert (mapped.status, mapped.retryable, mapped.retry_after) == (status, retryable, None)


def test_a_rate_limit_says_how_long_to_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
    with pytest.warns(PTBDeprecationWarning):  # PTB 22 still gives whole seconds by default
        assert platform_error(RetryAfter(3)).retry_after == 3.0
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    mapped = platform_error(RetryAfter(timedelta(seconds=2.5)))
    assert (mapped.status, mapped.retryable, mapped.retry_after) == (429, True, 2.5)


def test_the_limit_is_counted_in_utf16_units(adapter: TelegramAdapter) -> None:
    text = "🙂" * 3000  # 3000 characters, 6000 UTF-16 units
    parts = adapter.render(OutboundMessage(CHAT, text=text))
    assert [utf16_len(p.text) for p in parts if isinstance(p, SendMessage)] == [4096, 1904]


def test_buttons_without_text_still_carry_a_keyboard(adapter: TelegramAdapter) -> None:
    [request] = adapter.render(OutboundMessage(CHAT, buttons=(Button("Sí", "/affirm"),)))
    assert isinstance(request, SendMessage)
    assert request.text == KEYBOARD_ONLY_TEXT
    assert request.reply_markup is not None


def test_an_image_with_a_long_text_sends_the_text_apart(adapter: TelegramAdapter) -> None:
    image = "https://imageko.com/img/a.png"
    long = "word " * 300  # over the 1024-unit caption limit
    photo, text = adapter.render(
        OutboundMessage(CHAT, text=long, image=image, buttons=(Button("Sí", "/affirm"),))
    )
    assert photo == SendPhoto(CUSTOMER["id"], image)
    assert isinstance(text, SendMessage)
    assert text.reply_markup is not None  # the keyboard goes under the text it answers


async def test_a_payload_over_64_bytes_presses_as_its_title(
    adapter: TelegramAdapter, platform: FakeTelegram
) -> None:
    long_payload = '/kb_pick{"article_id":"' + "x" * 60 + '"}'
    buttons = (Button("Subir imágenes", long_payload), Button("ñ" * 40, long_payload))
    await adapter.send(OutboundMessage(CHAT, text=TEXT, buttons=buttons))
    [call] = platform.sent()
    data = [row[0]["callback_data"] for row in call.params["reply_markup"]["inline_keyboard"]]
    assert data == ["Subir imágenes", "ñ" * 32]


async def test_a_short_rate_limit_in_the_middle_of_a_reply_is_waited_out(
    adapter: TelegramAdapter, platform: FakeTelegram
) -> None:
    # Retrying the whole reply later would repeat the parts already sent.
    text = "\n\n".join(["palabra " * 450] * 3)  # 3 × 3600 units: three messages
    platform.fail_next(1, 429, retry_after=1, after=1)
    started = time.monotonic()
    await adapter.send(OutboundMessage(CHAT, text=text))
    assert [c.status for c in platform.of("sendMessage")] == [200, 429, 200, 200]
    assert [c.params["text"] for c in platform.sent()] == [p.strip() for p in text.split("\n\n")]
    assert time.monotonic() - started >= 1.0


async def test_a_long_rate_limit_in_the_middle_of_a_reply_goes_back_to_the_outbox(
    adapter: TelegramAdapter, platform: FakeTelegram
) -> None:
    text = "\n\n".join(["palabra " * 450] * 2)
    platform.fail_next(1, 429, retry_after=30, after=1)
    with pytest.raises(PlatformError) as failed:
        await adapter.send(OutboundMessage(CHAT, text=text))
    assert failed.value.retry_after == 30
    assert len(platform.sent()) == 1


async def test_text_goes_as_telegram_html_with_what_is_written_escaped(
    adapter: TelegramAdapter, platform: FakeTelegram
) -> None:
    text = "Open **Library** <script>alert(1)</script> & [x](javascript:alert(1))"
    await adapter.send(OutboundMessage(CHAT, text=text))
    await adapter.send(OutboundMessage(CHAT, text="**Library**", image="https://imageko.com/a.png"))
    message, photo = platform.sent()
    assert message.params["parse_mode"] == photo.params["parse_mode"] == "HTML"
    assert message.params["text"] == (
        "Open <b>Library</b> &lt;script&gt;alert(1)&lt;/script&gt; &amp; [x](javascript:alert(1))"
    )
    assert photo.params["caption"] == "<b>Library</b>"

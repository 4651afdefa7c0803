"""POST /webhooks/telegram on a FastAPI app: size, then secret, then parsing, then each update
once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from channels.telegram.adapter import TelegramAdapter
from channels.telegram.webhook import telegram_router
from tests.fakes.desk import Desk
from tests.fakes.telegram_api import (
    SECRET,
    FakeTelegram,
    callback_update,
    text_update,
    unsupported_updates,
    webhook_headers,
)
from tests.unit.channels.webhooks import assert_oversize_refused, webhook_client

URL = "/webhooks/telegram"


@pytest.fixture
async def hub(adapter: TelegramAdapter, desk: Desk) -> AsyncIterator[httpx.AsyncClient]:
    async with webhook_client(telegram_router(adapter, desk.handle, desk.seen)) as client:
        yield client


async def post(
    hub: httpx.AsyncClient, update: dict[str, Any], secret: str = SECRET
) -> httpx.Response:
    return await hub.post(URL, content=json.dumps(update), headers=webhook_headers(secret))


async def test_a_message_is_handled(hub: httpx.AsyncClient, desk: Desk) -> None:
    response = await post(hub, text_update(10, "me cobraron dos veces"))
    assert response.status_code == 200
    assert desk.texts() == ["me cobraron dos veces"]
    assert desk.handled[0].message.conversation_id == "telegram:111222333"


@pytest.mark.parametrize("secret", ["wrong-secret", "", SECRET + "x"])
async def test_a_forged_secret_is_refused_and_nothing_is_handled(
    hub: httpx.AsyncClient, desk: Desk, secret: str
) -> None:
    response = await post(hub, text_update(11, "hola"), secret=secret)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert response.json()["error"]["message"]
    assert desk.handled == []
    assert desk.ids == set()  # refused before de-duplication: a forgery cannot burn an id


async def test_a_missing_secret_is_refused(hub: httpx.AsyncClient, desk: Desk) -> None:
    response = await hub.post(URL, content=json.dumps(text_update(12, "hola")))
    assert response.status_code == 401
    assert desk.handled == []


async def test_an_oversize_body_is_refused_before_it_is_read(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    await assert_oversize_refused(hub, URL, b'{"update_id": 13, ', lambda _: webhook_headers())
    assert desk.handled == []


async def test_malformed_json_is_a_bad_request(hub: httpx.AsyncClient, desk: Desk) -> None:
    response = await hub.post(
        URL, content=b'{"update_id": 14, "message": ', headers=webhook_headers()
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_payload"
    assert desk.handled == []


async def test_a_redelivered_update_is_handled_once(hub: httpx.AsyncClient, desk: Desk) -> None:
    update = text_update(15, "¿dónde está mi factura?")
    first, again = await post(hub, update), await post(hub, update)
    assert (first.status_code, again.status_code) == (200, 200)
    assert desk.texts() == ["¿dónde está mi factura?"]


async def test_unsupported_updates_are_answered_and_dropped(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    for update in unsupported_updates().values():
        assert (await post(hub, update)).status_code == 200
    assert desk.handled == []


async def test_a_button_press_is_handled_and_answered(
    hub: httpx.AsyncClient, desk: Desk, platform: FakeTelegram
) -> None:
    assert (await post(hub, callback_update(16, "/affirm"))).status_code == 200
    assert desk.texts() == ["/affirm"]
    [answer] = platform.of("answerCallbackQuery")
    assert answer.ok


async def test_a_failing_handler_is_a_500_and_the_resend_is_handled(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    desk.fail_next_handle = True
    update = text_update(17, "hola")
    assert (await post(hub, update)).status_code == 500  # Telegram sends it again
    assert (await post(hub, update)).status_code == 200
    assert desk.texts() == ["hola"]


async def test_the_webhook_is_registered_with_its_secret_and_updates(
    adapter: TelegramAdapter, platform: FakeTelegram
) -> None:
    await adapter.register_webhook("https://desk.example.com/webhooks/telegram")
    [call] = platform.of("setWebhook")
    assert call.params == {
        "url": "https://desk.example.com/webhooks/telegram",
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
    }

"""Telegram end to end: the real desk (Rasa, hub, embedded Redis) with its Telegram channel
pointed at a local fake of the Bot API; updates arrive signed on the webhook as Telegram sends
them, and what the desk says comes out through python-telegram-bot onto the fake."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import AGENT_TOKEN, RunningDesk, greeting
from tests.fakes.telegram_api import (
    CUSTOMER,
    SECRET,
    TOKEN,
    FakeTelegram,
    text_update,
    webhook_headers,
)
from tests.fakes.threaded import served

pytestmark = pytest.mark.e2e
WAIT_S = 30


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    with served(FakeTelegram()) as fake:
        yield fake


@pytest.fixture(scope="module")
def desk_env(telegram: FakeTelegram) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_URL": telegram.base_url,
    }


def _post(desk: RunningDesk, update: dict[str, Any]) -> None:
    answered = httpx.post(
        f"{desk.url}/webhooks/telegram",
        content=json.dumps(update),
        headers=webhook_headers(),
        timeout=WAIT_S,
    )
    assert answered.status_code == 200, answered.text


def _said(telegram: FakeTelegram, since: int, contains: str) -> str:
    """The first text Telegram accepted after the first `since` messages that contains ..."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        for call in telegram.sent()[since:]:
            if contains in call.params.get("text", ""):
                return str(call.params["text"])
        time.sleep(0.1)
    texts = [c.params.get("text") for c in telegram.sent()[since:]]
    raise AssertionError(f"Telegram never got {contains!r}; it got {texts}")


def test_a_telegram_customer_is_greeted_handed_to_a_person_and_answered(
    desk: RunningDesk, telegram: FakeTelegram
) -> None:
    _post(desk, text_update(1, "/start"))
    hello = greeting("es")  # the customer's Telegram speaks Spanish
    assert _said(telegram, 0, hello) == hello
    assert telegram.sent()[0].params["chat_id"] == str(CUSTOMER["id"])

    before = len(telegram.sent())
    _post(desk, text_update(2, "quiero hablar con una persona, por favor"))
    ack = _said(telegram, before, "IMG-")
    number = next(word.rstrip(".,:") for word in ack.split() if word.startswith("IMG-"))

    agent = {"Authorization": f"Bearer {AGENT_TOKEN}", "X-Agent-Id": "sam"}
    url = f"{desk.url}/api/v1/tickets/{number}"
    assert httpx.post(f"{url}/claim", headers=agent, timeout=10).status_code == 200
    reply = httpx.post(f"{url}/reply", json={"text": "Hola, soy Sam."}, headers=agent, timeout=10)
    assert reply.status_code == 200, reply.text
    _said(telegram, before, "Hola, soy Sam.")

    _post(desk, text_update(2, "quiero hablar con una persona, por favor"))  # a Telegram retry
    _post(desk, text_update(3, "gracias"))
    transcript = httpx.get(url, headers=agent, timeout=10).json()["transcript"]
    customer_lines = [m["text"] for m in transcript if m["direction"] == "inbound"]
    assert customer_lines.count("quiero hablar con una persona, por favor") == 1
    assert customer_lines[-1] == "gracias"  # on the ticket; the bot stays quiet

"""Messaging channels end to end: the real desk (Rasa, hub, embedded Redis) with each platform
pointed at a local fake of its API. Webhook calls arrive signed as each platform signs them,
and what the desk says comes out through each SDK's own HTTP code onto the fakes: the bot
answers, a request for a person opens a ticket, and the agent's reply reaches the customer."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import greeting
from tests.e2e.desk import RunningDesk
from tests.fakes import graph_api as meta
from tests.fakes import slack_api as sl
from tests.fakes import telegram_api as tg
from tests.fakes import x_api as xf
from tests.fakes.threaded import served

pytestmark = pytest.mark.e2e
WAIT_S = 30
HUMAN_ES = "quiero hablar con una persona, por favor"


@pytest.fixture(scope="module")
def telegram() -> Iterator[tg.FakeTelegram]:
    with served(tg.FakeTelegram()) as fake:
        yield fake


@pytest.fixture(scope="module")
def x() -> Iterator[xf.FakeX]:
    with served(xf.FakeX()) as fake:
        yield fake


@pytest.fixture(scope="module")
def graph() -> Iterator[meta.FakeGraph]:
    with served(meta.FakeGraph()) as fake:
        yield fake


@pytest.fixture(scope="module")
def slack() -> Iterator[sl.FakeSlack]:
    with served(sl.FakeSlack()) as fake:
        yield fake


@pytest.fixture(scope="module")
def desk_env(
    telegram: tg.FakeTelegram, x: xf.FakeX, graph: meta.FakeGraph, slack: sl.FakeSlack
) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": sl.TOKEN,
        "SLACK_SIGNING_SECRET": sl.SIGNING_SECRET,
        "SLACK_API_URL": slack.base_url,
        "SLACK_HANDOFF_CHANNEL": sl.AGENTS,
        "META_APP_SECRET": meta.APP_SECRET,
        "META_VERIFY_TOKEN": meta.VERIFY_TOKEN,
        "MESSENGER_PAGE_TOKEN": meta.PAGE_TOKEN,
        "INSTAGRAM_TOKEN": meta.INSTAGRAM_TOKEN,
        "META_PAGE_ID": meta.PAGE_ID,
        "INSTAGRAM_ACCOUNT_ID": meta.INSTAGRAM_ACCOUNT_ID,
        "META_GRAPH_URL": graph.base_url,
        "TELEGRAM_BOT_TOKEN": tg.TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": tg.SECRET,
        "TELEGRAM_API_URL": telegram.base_url,
        "X_CONSUMER_KEY": xf.CONSUMER_KEY,
        "X_CONSUMER_SECRET": xf.CONSUMER_SECRET,
        "X_ACCESS_TOKEN": xf.ACCESS_TOKEN,
        "X_ACCESS_TOKEN_SECRET": xf.ACCESS_TOKEN_SECRET,
        "X_BOT_USER_ID": xf.BOT["id"],
        "X_API_URL": x.base_url,
    }


def _post(desk: RunningDesk, path: str, body: bytes, headers: dict[str, str]) -> None:
    answered = httpx.post(f"{desk.url}{path}", content=body, headers=headers, timeout=WAIT_S)
    assert answered.status_code == 200, answered.text


def _waited(texts: Callable[[], list[str]], since: int, contains: str) -> str:
    """The first text the platform accepted after the first `since` that contains ..."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        for text in texts()[since:]:
            if contains in text:
                return text
        time.sleep(0.1)
    raise AssertionError(f"never got {contains!r}; got {texts()[since:]}")


def _agent_answers(desk: RunningDesk, ack: str, text: str) -> str:
    number = next(word.rstrip(".,:") for word in ack.split() if word.startswith("IMG-"))
    agent = desk.agent("sam")
    url = f"{desk.url}/api/v1/tickets/{number}"
    assert httpx.post(f"{url}/claim", headers=agent, timeout=10).status_code == 200
    reply = httpx.post(f"{url}/reply", json={"text": text}, headers=agent, timeout=10)
    assert reply.status_code == 200, reply.text
    return url


def _customer_lines(desk: RunningDesk, url: str) -> list[str]:
    agent = desk.agent("sam")
    transcript = httpx.get(url, headers=agent, timeout=10).json()["transcript"]
    return [m["text"] for m in transcript if m["direction"] == "inbound"]


def test_telegram(desk: RunningDesk, telegram: tg.FakeTelegram) -> None:
    def texts() -> list[str]:
        return [str(c.params.get("text", "")) for c in telegram.sent()]

    def update(payload: dict[str, Any]) -> None:
        _post(desk, "/webhooks/telegram", json.dumps(payload).encode(), tg.webhook_headers())

    update(tg.text_update(1, "/start"))
    hello = greeting("es")  # the customer's Telegram speaks Spanish
    assert _waited(texts, 0, hello) == hello
    assert telegram.sent()[0].params["chat_id"] == str(tg.CUSTOMER["id"])
    before = len(texts())
    update(tg.text_update(2, HUMAN_ES))
    ack = _waited(texts, before, "IMG-")
    url = _agent_answers(desk, ack, "Hola, soy Sam.")
    _waited(texts, before, "Hola, soy Sam.")
    update(tg.text_update(2, HUMAN_ES))  # Telegram delivers it again
    update(tg.text_update(3, "gracias"))
    lines = _customer_lines(desk, url)
    assert lines.count(HUMAN_ES) == 1
    assert lines[-1] == "gracias"  # on the ticket; the bot stays quiet


def test_x_direct_messages(desk: RunningDesk, x: xf.FakeX) -> None:
    def texts() -> list[str]:
        return [str(c.body.get("text", "")) for c in x.sent()]

    def dm(text: str, sender: dict[str, Any] = xf.CUSTOMER) -> None:
        body = xf.body_of(xf.webhook_body(xf.dm_event(x.next_event_id(), text, sender=sender)))
        _post(desk, "/webhooks/twitter", body, xf.webhook_headers(body))

    crc = httpx.get(f"{desk.url}/webhooks/twitter", params={"crc_token": "abc"}, timeout=10)
    assert crc.json() == xf.crc_response("abc")
    dm("Hi there!")
    assert _waited(texts, 0, greeting("en")) == greeting("en")
    assert x.sent()[0].path == f"/2/dm_conversations/with/{xf.CUSTOMER['id']}/messages"
    dm("an echo of our own DM", sender=xf.BOT)  # X sends the account's own DMs back: dropped
    before = len(texts())
    dm("I want to talk to a human")
    ack = _waited(texts, before, "IMG-")
    url = _agent_answers(desk, ack, "Hello, Sam here.")
    _waited(texts, before, "Hello, Sam here.")
    assert "an echo of our own DM" not in _customer_lines(desk, url)


@pytest.mark.parametrize("product", ["messenger", "instagram"])
def test_messenger_and_instagram(desk: RunningDesk, graph: meta.FakeGraph, product: str) -> None:
    def texts() -> list[str]:
        return [str(c.body["message"].get("text", "")) for c in graph.sent(product)]

    def send(n: int, text: str) -> None:
        body = meta.serialise(meta.text_notification(product, n, text))
        _post(desk, "/webhooks/meta", body, meta.signed(body))

    handshake = httpx.get(
        f"{desk.url}/webhooks/meta",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": meta.VERIFY_TOKEN,
            "hub.challenge": "42",
        },
        timeout=10,
    )
    assert handshake.text == "42"
    send(1, "Bonjour !")
    assert _waited(texts, 0, greeting("fr")) == greeting("fr")
    assert graph.sent(product)[0].body["recipient"] == {"id": meta.CUSTOMER[product]}
    before = len(texts())
    send(2, "I want to talk to a human")
    send(2, "I want to talk to a human")  # Meta delivers it again
    ack = _waited(texts, before, "IMG-")
    url = _agent_answers(desk, ack, "Hello, Sam here.")
    _waited(texts, before, "Hello, Sam here.")
    assert _customer_lines(desk, url).count("I want to talk to a human") == 1


def test_slack(desk: RunningDesk, slack: sl.FakeSlack) -> None:
    def posted(channel: str) -> list[sl.Call]:
        return [c for c in slack.of("chat.postMessage") if c.ok and c.params["channel"] == channel]

    def texts() -> list[str]:
        return [sl.delivered_text(c) for c in posted(sl.DM)]

    def event(payload: dict[str, Any], retry: int | None = None) -> None:
        body = sl.body_of(payload)
        _post(desk, "/webhooks/slack/events", body, sl.sign(body, retry=retry))

    challenge = sl.body_of(
        sl.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    )
    answered = httpx.post(
        f"{desk.url}/webhooks/slack/events",
        content=challenge,
        headers=sl.sign(challenge),
        timeout=10,
    )
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in answered.text
    event(sl.dm("hola", 1))
    hello = greeting("es")  # the customer's Slack locale is Spanish
    assert _waited(texts, 0, hello) == hello
    before = len(texts())
    event(sl.dm(HUMAN_ES, 2))
    event(sl.dm(HUMAN_ES, 2), retry=1)  # Slack's retry after 3 s
    ack = _waited(texts, before, "IMG-")
    number = next(word.rstrip(".,:") for word in ack.split() if word.startswith("IMG-"))
    deadline = time.monotonic() + WAIT_S  # the team channel hears of the new hand-off
    while not any(number in json.dumps(c.params) for c in posted(sl.AGENTS)):
        assert time.monotonic() < deadline, "no hand-off notice in the team channel"
        time.sleep(0.1)
    url = _agent_answers(desk, ack, "Hello, Sam here.")
    _waited(texts, before, "Hello, Sam here.")
    assert _customer_lines(desk, url).count(HUMAN_ES) == 1

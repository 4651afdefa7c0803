"""Telegram through the whole hub (Rasa down): the webhook stores each authentic update once,
answers through the outbox on the fake Bot API, and agent replies reach the chat — with
PTB's own HTTP code talking to a local fake of Telegram."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import func, select

from bot.db import create_engine, session_factory
from bot.db.migrate import upgrade
from bot.db.models import Conversation, Customer, Message, OutboxItem
from bot.http.app import create_app
from bot.runtime.demo import seed_demo
from bot.settings import Settings
from bot.tickets import acks
from bot.triage.routing import route
from tests.fakes.telegram_api import (
    CUSTOMER,
    SECRET,
    TOKEN,
    FakeTelegram,
    text_update,
    webhook_headers,
)

CHAT = f"telegram:{CUSTOMER['id']}"
URL = "/webhooks/telegram"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def hub(settings: Settings, telegram: FakeTelegram, redis: Redis) -> AsyncIterator[FastAPI]:
    configured = settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_webhook_secret": SecretStr(SECRET),
            "telegram_api_url": telegram.base_url,
            "outbox_interval_s": 0.2,
        }
    )
    engine = create_engine(configured.effective_database_url)
    await upgrade(engine)
    await seed_demo(session_factory(engine))
    await engine.dispose()
    app = create_app(configured)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(hub: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=hub)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


async def _count(app: FastAPI, model: type[Message] | type[OutboxItem]) -> int:
    async with session_factory(app.state.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_forged_update_is_refused_before_anything_is_stored(
    client: httpx.AsyncClient, hub: FastAPI, telegram: FakeTelegram
) -> None:
    body = json.dumps(text_update(1, "hola"))
    for headers in ({"Content-Type": "application/json"}, webhook_headers("forged-secret")):
        refused = await client.post(URL, content=body, headers=headers)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "bad_signature"
    oversize = await client.post(URL, content=b"x" * 1_100_000, headers=webhook_headers())
    assert oversize.status_code == 413
    malformed = await client.post(URL, content=b"{nope", headers=webhook_headers())
    assert malformed.status_code == 400
    assert await _count(hub, Message) == 0
    assert telegram.sent() == []


async def test_an_update_is_stored_once_and_answered_even_with_rasa_down(
    client: httpx.AsyncClient, hub: FastAPI, telegram: FakeTelegram
) -> None:
    body = json.dumps(text_update(7, "<b>hola</b> 👋 necesito ayuda"))
    for _ in range(3):  # Telegram retries when it did not see our 200 in time
        answered = await client.post(URL, content=body, headers=webhook_headers())
        assert answered.status_code == 200
    stored = await hub.state.store.history(CHAT)
    assert [m.text for m in stored if m.direction.value == "inbound"] == [
        "<b>hola</b> 👋 necesito ayuda"
    ]
    assert stored[0].lang == "es"  # from the customer's Telegram language
    notices = telegram.sent()
    assert len(notices) == 1  # one reply, not one per retry
    assert notices[0].params["chat_id"] == str(CUSTOMER["id"])


async def test_agent_replies_reach_the_chat_and_survive_a_rate_limit(
    client: httpx.AsyncClient, hub: FastAPI, telegram: FakeTelegram
) -> None:
    await client.post(URL, content=json.dumps(text_update(9, "hola")), headers=webhook_headers())
    decision = route("human_request", 1.0, "hola", "es", None, handoff=True).as_dict()
    opened = await hub.state.tickets.open_from_handoff(
        CHAT, decision, channel="telegram", lang="es", plan=None
    )
    number = opened.ticket.number or ""
    before = len(telegram.sent())
    telegram.fail_next(1, 429, retry_after=1)  # the "joined" notice meets a rate limit
    await hub.state.tickets.claim(number, "lea")
    await hub.state.tickets.reply(number, "lea", "Hola Lucía, soy Léa.")
    async with asyncio.timeout(10):  # the outbox comes back after Telegram's retry_after
        while len(telegram.sent()) < before + 2:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    texts = [c.params["text"] for c in telegram.sent()[before:]]
    assert sorted(texts) == sorted([acks.joined("Léa Martin", "es"), "Hola Lucía, soy Léa."])
    await asyncio.sleep(1.5)  # a later outbox round sends nothing twice
    assert len(telegram.sent()) == before + 2
    customer_again = json.dumps(text_update(10, "gracias"))
    await client.post(URL, content=customer_again, headers=webhook_headers())
    transcript = [m.text for m in await hub.state.tickets.transcript(number)]
    assert transcript[-1] == "gracias"  # the bot stayed silent: the ticket got it
    assert len(telegram.sent()) == before + 2


async def test_a_customer_telegram_account_is_recognised(
    client: httpx.AsyncClient, hub: FastAPI
) -> None:
    ana = {"id": 70010001, "is_bot": False, "first_name": "Ana", "language_code": "es"}
    body = json.dumps(text_update(11, "hola", user=ana))
    assert (await client.post(URL, content=body, headers=webhook_headers())).status_code == 200
    async with session_factory(hub.state.engine)() as session:
        conversation = await session.get(Conversation, "telegram:70010001")
        ana_account = await session.scalar(
            select(Customer.id).where(Customer.account_id == "acc-1001")
        )
    assert conversation is not None
    assert conversation.customer_id == ana_account  # the demo customer with this Telegram id


async def test_a_redelivery_after_redis_lost_its_memory_is_still_answered_once(
    client: httpx.AsyncClient, hub: FastAPI, telegram: FakeTelegram, redis: Redis
) -> None:
    """Redis restarted (flushed) between two deliveries of the same signed update: the
    database's record of the update_id still drops the second."""
    body = json.dumps(text_update(21, "hola, ¿me ayudas?"))
    assert (await client.post(URL, content=body, headers=webhook_headers())).status_code == 200
    await redis.flushdb()
    assert (await client.post(URL, content=body, headers=webhook_headers())).status_code == 200
    stored = await hub.state.store.history(CHAT)
    assert [m.text for m in stored if m.direction.value == "inbound"] == ["hola, ¿me ayudas?"]
    assert len(telegram.sent()) == 1


async def test_an_update_older_than_a_day_is_answered_200_and_dropped(
    client: httpx.AsyncClient,
    hub: FastAPI,
    telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A captured update replayed after Telegram's 24 hours (its ids long forgotten): 200, so
    nothing retries it, but nothing is stored or answered; the drop is logged."""
    sent = int(time.time()) - 24 * 3600 - 600
    body = json.dumps(text_update(22, "cámbiame el email", date=sent))
    with caplog.at_level(logging.WARNING, logger="channels.base.adapter"):
        answered = await client.post(URL, content=body, headers=webhook_headers())
    assert answered.status_code == 200
    assert await _count(hub, Message) == 0
    assert telegram.sent() == []
    assert "telegram delivery telegram:22 dropped" in caplog.text

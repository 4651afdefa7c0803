"""Messenger through the whole hub (Rasa down), against a local Graph API: a validly signed
notification is processed once even when Redis forgets it, and one older than the window is
answered 200 and dropped."""

from __future__ import annotations

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
from bot.db.models import Conversation, Customer, Message
from bot.http.app import create_app
from bot.settings import Settings
from tests.fakes.graph_api import (
    APP_SECRET,
    PAGE_ID,
    PAGE_TOKEN,
    PSID,
    VERIFY_TOKEN,
    FakeGraph,
    mid,
    serialise,
    signed,
    text_notification,
)

CHAT = f"messenger:{PSID}"
URL = "/webhooks/meta"


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        yield fake


@pytest.fixture
async def hub(settings: Settings, graph: FakeGraph, redis: Redis) -> AsyncIterator[FastAPI]:
    configured = settings.model_copy(
        update={
            "meta_app_secret": SecretStr(APP_SECRET),
            "meta_verify_token": SecretStr(VERIFY_TOKEN),
            "messenger_page_token": SecretStr(PAGE_TOKEN),
            "meta_page_id": PAGE_ID,
            "meta_graph_url": graph.base_url,
        }
    )
    engine = create_engine(configured.effective_database_url)
    await upgrade(engine)
    await engine.dispose()
    app = create_app(configured)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(hub: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=hub)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


async def _inbound(hub: FastAPI) -> int:
    async with session_factory(hub.state.engine)() as session:
        query = select(func.count()).select_from(Message).where(Message.direction == "inbound")
        return int(await session.scalar(query) or 0)


async def test_a_notification_redelivered_after_a_redis_flush_is_answered_once(
    client: httpx.AsyncClient, hub: FastAPI, graph: FakeGraph, redis: Redis
) -> None:
    body = serialise(text_notification("messenger", 31, "me cobraron dos veces"))
    assert (await client.post(URL, content=body, headers=signed(body))).status_code == 200
    await redis.flushdb()  # Redis restarted: its "seen" keys are gone
    assert (await client.post(URL, content=body, headers=signed(body))).status_code == 200
    stored = await hub.state.store.history(CHAT)
    assert [m.text for m in stored if m.direction.value == "inbound"] == ["me cobraron dos veces"]
    assert len(graph.sent("messenger")) == 1


async def test_a_notification_older_than_the_window_is_answered_200_and_dropped(
    client: httpx.AsyncClient,
    hub: FastAPI,
    graph: FakeGraph,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A captured notification replayed after 24 hours: authentic (Meta signs no time), so
    only the time in its signed body gives it away. 200, so Meta would not retry it."""
    sent_ms = (int(time.time()) - 24 * 3600 - 600) * 1000
    old = serialise(text_notification("messenger", 32, "reembolso", sent_ms=sent_ms))
    with caplog.at_level(logging.WARNING, logger="channels.base.adapter"):
        answered = await client.post(URL, content=old, headers=signed(old))
    assert answered.status_code == 200
    assert await _inbound(hub) == 0
    assert graph.sent() == []
    assert f"messenger delivery messenger:{mid('messenger', 32)} dropped" in caplog.text
    fresh = serialise(text_notification("messenger", 33, "reembolso"))
    assert (await client.post(URL, content=fresh, headers=signed(fresh))).status_code == 200
    assert await _inbound(hub) == 1  # the same customer, writing now, is served


async def test_the_page_written_to_names_no_customer(
    client: httpx.AsyncClient, hub: FastAPI
) -> None:
    # A customer whose account id happens to be the page's id: the page is ours, and a
    # stranger writing to it must not be taken for that customer.
    async with session_factory(hub.state.engine).begin() as session:
        session.add(Customer(account_id=PAGE_ID, email="page.twin@example.com", plan="premium"))
    body = serialise(text_notification("messenger", 34, "hola"))
    assert (await client.post(URL, content=body, headers=signed(body))).status_code == 200
    async with session_factory(hub.state.engine)() as session:
        conversation = await session.get(Conversation, CHAT)
    assert conversation is not None
    assert conversation.customer_id is None

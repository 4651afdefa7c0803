"""An erasure also deletes what the assistant keeps of the customer's chats: Rasa's trackers in
the desk's Redis (the hub's own Redis here, as `make run` shares one with Rasa)."""

from __future__ import annotations

from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import select

from bot.db import session_factory
from bot.db.models import Customer
from bot.rasa.trackers import TRACKER_KEY_PREFIX
from bot.runtime.demo import seed_demo
from channels.base import InboundMessage


async def test_erasing_a_customer_deletes_their_trackers_only(app: FastAPI, redis: Redis) -> None:
    sessions = session_factory(app.state.engine)
    await seed_demo(sessions, "tracker test password")
    async with sessions() as session:
        ana = await session.scalar(select(Customer.id).where(Customer.account_id == "acc-1001"))
    assert ana is not None
    mine, other = "webchat-" + "a" * 32, "webchat-" + "b" * 32
    await app.state.store.record_inbound(InboundMessage(mine, "webchat", "hola"), "es", ana)
    await app.state.store.record_inbound(InboundMessage(other, "webchat", "hi"), "en")
    for cid in (mine, other):
        await redis.set(TRACKER_KEY_PREFIX + cid, '{"events": [{"text": "hola"}]}')

    await app.state.privacy.erase(ana, "admin")

    assert await redis.exists(TRACKER_KEY_PREFIX + mine) == 0
    assert await redis.exists(TRACKER_KEY_PREFIX + other) == 1  # nobody else's

"""Polling (no webhook): GET /2/dm_events on the fake X API, each new customer DM through the
webhook's parse path and de-duplication, oldest first."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest

from channels.base import OutboundMessage
from channels.base.adapter import Inbound
from channels.twitter.adapter import TwitterAdapter
from tests.fakes.desk import Desk
from tests.fakes.x_api import CUSTOMER, OTHER_ACCOUNT, FakeX, ago, dm_event, webhook_body

INTERVAL_S = 0.05
SECOND: dict[str, Any] = {"id": "2244994945", "name": "Ana", "screen_name": "ana_p"}


@contextlib.asynccontextmanager
async def polling(
    adapter: TwitterAdapter, desk: Desk, since: datetime | None = None
) -> AsyncIterator[asyncio.Event]:
    """The poll loop running for the block; it must stop promptly once the block ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(
        adapter.poll(
            desk.handle, seen=desk.seen, stop_event=stop, interval_s=INTERVAL_S, since=since
        )
    )
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=2)


async def until(condition: Callable[[], bool]) -> None:
    """Wait, at most 5 s, for what the poll loop and the fake do between them."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - the condition spans two servers' state
            await asyncio.sleep(0.01)


def polls(platform: FakeX) -> list[int | None]:
    """The status of each GET /2/dm_events so far."""
    return [c.status for c in platform.of("GET", "/2/dm_events")]


async def some_rounds(platform: FakeX, rounds: int = 3) -> None:
    """Let the loop poll `rounds` more times."""
    target = len(polls(platform)) + rounds
    await until(lambda: len(polls(platform)) >= target)


async def test_new_dms_are_handled_oldest_first_and_our_own_are_not(
    adapter: TwitterAdapter, desk: Desk, platform: FakeX
) -> None:
    async with polling(adapter, desk):
        await some_rounds(platform, 1)  # polling has started: what comes now is new
        first = platform.receive("hola")
        platform.receive("me cobraron dos veces", sender=SECOND)
        await until(lambda: len(desk.handled) == 2)
        # Our reply is listed among the account's DM events too.
        await adapter.send(OutboundMessage(f"twitter:{CUSTOMER['id']}", text="¿Te ha servido?"))
        platform.receive("sí, gracias")
        await until(lambda: len(desk.handled) == 3)
        await some_rounds(platform)
    assert desk.texts() == ["hola", "me cobraron dos veces", "sí, gracias"]
    item = desk.handled[0]
    assert item.delivery_id == f"twitter:{first}"
    assert item.message.conversation_id == f"twitter:{CUSTOMER['id']}"
    assert item.message.metadata["external_user_id"] == CUSTOMER["id"]
    assert item.message.metadata["name"] == "Lucía Gómez"
    assert item.message.metadata["username"] == "luciag"
    assert desk.handled[1].message.conversation_id == f"twitter:{SECOND['id']}"
    call = platform.of("GET", "/2/dm_events")[0]
    assert call.signed
    assert call.query["event_types"] == "MessageCreate"
    assert call.query["expansions"] == "sender_id"
    assert set(call.query["dm_event.fields"].split(",")) >= {"sender_id", "dm_conversation_id"}


async def test_rounds_ask_only_for_what_is_new(adapter: TwitterAdapter, platform: FakeX) -> None:
    # A `seen` that forgets everything: only the loop's own mark keeps DMs from coming twice.
    handled: list[Inbound] = []

    async def handle(item: Inbound) -> None:
        handled.append(item)

    async def never_seen(delivery_id: str) -> bool:
        return False

    stop = asyncio.Event()
    task = asyncio.create_task(
        adapter.poll(handle, seen=never_seen, stop_event=stop, interval_s=INTERVAL_S)
    )
    await some_rounds(platform, 1)
    platform.receive("hola")
    await until(lambda: len(handled) == 1)
    await some_rounds(platform)
    platform.receive("¿hola?")
    await until(lambda: len(handled) == 2)
    await some_rounds(platform)
    stop.set()
    await asyncio.wait_for(task, timeout=2)
    assert [i.message.text for i in handled] == ["hola", "¿hola?"]


async def test_dms_from_before_polling_started_are_left_alone(
    adapter: TwitterAdapter, desk: Desk, platform: FakeX
) -> None:
    platform.receive("hace dos días", created_at=ago(days=2))
    platform.receive("hace una hora", created_at=ago(hours=1))
    async with polling(adapter, desk):
        await some_rounds(platform)
        platform.receive("ahora")
        await until(lambda: len(desk.handled) == 1)
    assert desk.texts() == ["ahora"]


async def test_polling_can_catch_up_from_a_given_time(
    adapter: TwitterAdapter, desk: Desk, platform: FakeX
) -> None:
    platform.receive("hace dos días", created_at=ago(days=2))
    platform.receive("hace una hora", created_at=ago(hours=1))
    async with polling(adapter, desk, since=ago(days=1)):
        await until(lambda: len(desk.handled) == 1)
        await some_rounds(platform)
    assert desk.texts() == ["hace una hora"]


async def test_every_page_is_read_in_order(
    adapter: TwitterAdapter, desk: Desk, platform: FakeX
) -> None:
    for n in range(230):  # three pages of at most 100
        platform.receive(f"mensaje {n}")
    async with polling(adapter, desk, since=ago(days=1)):
        await until(lambda: len(desk.handled) == 230)
    assert desk.texts() == [f"mensaje {n}" for n in range(230)]
    tokens = [c.query.get("pagination_token") for c in platform.of("GET", "/2/dm_events")[:3]]
    assert tokens == [None, "100", "200"]


async def test_a_dm_seen_by_the_webhook_is_not_handled_again(
    adapter: TwitterAdapter, desk: Desk, platform: FakeX
) -> None:
    event_id = platform.receive("hola")
    body = json.dumps(webhook_body(dm_event(event_id, "hola"))).encode()
    await adapter.dispatch(adapter.parse(body), desk.handle, desk.seen)
    async with polling(adapter, desk, since=ago(days=1)):
        await some_rounds(platform)
    assert desk.texts() == ["hola"]


async def test_group_dms_and_other_accounts_are_not_handled(
    adapter: TwitterAdapter, desk: Desk, platform: FakeX
) -> None:
    group = "1582838443123456789"  # a group conversation's id is a single number
    platform.receive("hola a todos", dm_conversation_id=group)
    platform.receive(
        "para otra cuenta", dm_conversation_id=f"{CUSTOMER['id']}-{OTHER_ACCOUNT['id']}"
    )
    platform.receive("para nosotros")
    async with polling(adapter, desk, since=ago(days=1)):
        await until(lambda: len(desk.handled) == 1)
        await some_rounds(platform)
    assert desk.texts() == ["para nosotros"]


async def test_an_unreadable_event_is_skipped(
    adapter: TwitterAdapter, desk: Desk, platform: FakeX, caplog: pytest.LogCaptureFixture
) -> None:
    broken = platform.receive("sin remitente")
    del platform.events[-1]["sender_id"]
    platform.receive("hola")
    async with polling(adapter, desk, since=ago(days=1)):
        await until(lambda: len(desk.handled) == 1)
        await some_rounds(platform)
    assert desk.texts() == ["hola"]
    assert f"X DM event {broken} skipped" in caplog.text


@pytest.mark.parametrize("status", [429, 503])
async def test_a_failing_x_is_polled_again(
    adapter: TwitterAdapter, desk: Desk, platform: FakeX, status: int
) -> None:
    platform.receive("hola")
    platform.fail_next(1, status, reset_in=1)  # the first GET /2/dm_events
    async with polling(adapter, desk, since=ago(days=1)):
        await until(lambda: desk.texts() == ["hola"])
    assert polls(platform)[:2] == [status, 200]


async def test_a_failing_handler_gets_the_dm_again_in_order(
    adapter: TwitterAdapter, desk: Desk, platform: FakeX
) -> None:
    desk.fail_next_handle = True
    platform.receive("hola")
    platform.receive("¿sigues ahí?")
    async with polling(adapter, desk, since=ago(days=1)):
        await until(lambda: len(desk.handled) == 2)
    assert desk.texts() == ["hola", "¿sigues ahí?"]


async def test_stop_interrupts_the_wait_between_rounds(
    adapter: TwitterAdapter, desk: Desk, platform: FakeX
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(
        adapter.poll(desk.handle, seen=desk.seen, stop_event=stop, interval_s=30)
    )
    await until(lambda: len(polls(platform)) == 1)
    stop.set()
    await asyncio.wait_for(task, timeout=1)  # not the 30 s of the interval

"""Long polling (no public URL): getUpdates on the fake Bot API, through the webhook's parse
path, each update confirmed by the next offset only once handled."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest

from channels.base.adapter import Inbound
from channels.telegram.adapter import TelegramAdapter
from tests.fakes.desk import Desk
from tests.fakes.telegram_api import (
    FakeTelegram,
    callback_update,
    text_update,
    unsupported_updates,
)


@contextlib.asynccontextmanager
async def polling(adapter: TelegramAdapter, desk: Desk) -> AsyncIterator[asyncio.Event]:
    """The poll loop running for the block; it must stop promptly once the block ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(adapter.poll(desk.handle, seen=desk.seen, stop_event=stop))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=2)  # not the 30 s of a long poll


async def until(condition: Callable[[], bool]) -> None:
    """Wait, at most 5 s, for what the poll loop and the fake do between them."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - the condition spans two servers' state
            await asyncio.sleep(0.01)


def offsets(platform: FakeTelegram) -> list[int | None]:
    return [c.params.get("offset") and int(c.params["offset"]) for c in platform.of("getUpdates")]


async def test_updates_are_handled_and_confirmed(
    adapter: TelegramAdapter, desk: Desk, platform: FakeTelegram
) -> None:
    platform.queue_update(text_update(20, "/start"), callback_update(21, "/affirm"))
    async with polling(adapter, desk):
        await until(lambda: len(desk.handled) == 2)
        platform.queue_update(text_update(22, "gracias"))
        await until(lambda: len(desk.handled) == 3)
        await until(lambda: 23 in offsets(platform))
    assert desk.texts() == ["/start", "/affirm", "gracias"]
    assert desk.handled[0].message.metadata["start"] is True
    assert [c.method for c in platform.calls[:3]] == ["getMe", "deleteWebhook", "getUpdates"]
    assert offsets(platform)[0] is None
    assert 22 in offsets(platform)
    [first] = platform.of("getUpdates")[:1]
    assert first.params["allowed_updates"] == ["message", "callback_query"]
    assert len(platform.of("answerCallbackQuery")) == 1


async def test_unsupported_updates_are_confirmed_without_handling(
    adapter: TelegramAdapter, desk: Desk, platform: FakeTelegram
) -> None:
    updates = list(unsupported_updates(first_id=30).values())
    platform.queue_update(*updates)
    async with polling(adapter, desk):
        await until(lambda: updates[-1]["update_id"] + 1 in offsets(platform))
    assert desk.handled == []


async def test_a_restart_does_not_handle_an_unconfirmed_update_twice(
    adapter: TelegramAdapter, desk: Desk, platform: FakeTelegram
) -> None:
    platform.queue_update(text_update(40, "hola"))
    stop = asyncio.Event()

    async def handle_then_stop(item: Inbound) -> None:
        await desk.handle(item)
        stop.set()  # the hub stops before its next getUpdates would confirm update 40

    await asyncio.wait_for(adapter.poll(handle_then_stop, seen=desk.seen, stop_event=stop), 5)
    assert offsets(platform) == [None]
    async with polling(adapter, desk):  # Telegram sends update 40 again
        await until(lambda: 41 in offsets(platform))
    assert desk.texts() == ["hola"]


@pytest.mark.parametrize("status", [429, 502])
async def test_a_failing_get_updates_is_retried(
    adapter: TelegramAdapter, desk: Desk, platform: FakeTelegram, status: int
) -> None:
    platform.queue_update(text_update(50, "hola"))
    platform.fail_next(1, status, retry_after=1, after=1)  # the first getUpdates
    async with polling(adapter, desk):
        await until(lambda: desk.texts() == ["hola"])
    assert [c.status for c in platform.of("getUpdates")][:2] == [status, 200]


async def test_a_failing_handler_gets_the_update_again(
    adapter: TelegramAdapter, desk: Desk, platform: FakeTelegram
) -> None:
    desk.fail_next_handle = True
    platform.queue_update(text_update(60, "hola"), text_update(61, "¿sigues ahí?"))
    async with polling(adapter, desk):
        await until(lambda: len(desk.handled) == 2)
    assert desk.texts() == ["hola", "¿sigues ahí?"]
    assert offsets(platform)[:2] == [None, None]  # update 60 was not confirmed after the failure


async def test_stop_interrupts_a_long_poll(adapter: TelegramAdapter, desk: Desk) -> None:
    async with polling(adapter, desk):
        await asyncio.sleep(0.2)  # inside a 30 s getUpdates that has nothing to return

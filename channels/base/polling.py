"""What polling loops share: waits that end as soon as the hub stops, and their backoff."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def unless_stopped(call: Awaitable[T], stop_event: asyncio.Event) -> T | None:
    """The result of `call`, or None as soon as `stop_event` is set (`call` is cancelled; one
    running in a thread finishes in the background, within its own timeout)."""
    task = asyncio.ensure_future(call)
    stopper = asyncio.ensure_future(stop_event.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        task.cancel()
        stopper.cancel()
        await asyncio.gather(task, stopper, return_exceptions=True)
    return None if stop_event.is_set() else task.result()


def backoff(failures: int, most_s: float) -> float:
    """Seconds to wait after `failures` failures in a row: 1, 2, 4 ... at most `most_s`."""
    return min(2.0 ** (failures - 1), most_s)


async def sleep(seconds: float, stop_event: asyncio.Event) -> None:
    """Wait `seconds`, or less if `stop_event` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop_event.wait(), timeout=seconds)

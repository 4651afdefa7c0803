"""A fake platform served from a thread of its own, for tests that are not async (the browser
and end-to-end tests drive a desk in another process)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import TypeVar

T = TypeVar("T")


class Loop:
    """An event loop running in a daemon thread; `run` waits for a coroutine's result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, call: Callable[[], Awaitable[T]], timeout_s: float = 30) -> T:
        async def wrapped() -> T:
            return await call()

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout_s)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@contextmanager
def served(fake: AbstractAsyncContextManager[T]) -> Iterator[T]:
    """Enter `fake` on a background loop for the block; its server keeps answering meanwhile."""
    loop = Loop()
    try:
        entered = loop.run(fake.__aenter__)
        try:
            yield entered
        finally:
            loop.run(lambda: fake.__aexit__(None, None, None))
    finally:
        loop.close()

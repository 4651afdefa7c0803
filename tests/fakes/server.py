"""How every fake platform listens: an aiohttp app on a free port of 127.0.0.1, for the time of
an `async with` block."""

from __future__ import annotations

import socket
from types import TracebackType
from typing import Self

from aiohttp import web


class FakePlatform:
    """Base of the fakes: a subclass adds its routes in `routes`; `port` is set while open."""

    port = 0
    _runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        """Add the platform's endpoints to `app`."""
        raise NotImplementedError

    async def closing(self) -> None:
        """Called before the server stops (e.g. to release long polls)."""

    async def __aenter__(self) -> Self:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.port = sock.getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.closing()
        if self._runner is not None:
            await self._runner.cleanup()

"""How every fake platform listens: an aiohttp app on a free port of 127.0.0.1."""

from __future__ import annotations

import socket

from aiohttp import web


async def listen(app: web.Application) -> tuple[web.AppRunner, int]:
    """Serve `app` on loopback; its runner (to clean up) and its port."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    return runner, sock.getsockname()[1]

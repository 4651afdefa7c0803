"""What every channel's webhook tests share: the router on a bare app, and the size limit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
from fastapi import APIRouter, FastAPI

from channels.base.webhook import MAX_BODY_BYTES


def webhook_client(router: APIRouter) -> httpx.AsyncClient:
    """A client of `router` mounted alone; use it as `async with`."""
    app = FastAPI()
    app.include_router(router)
    # A failing handler answers 500 as in production, rather than raising into the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://hub.test")


async def assert_oversize_refused(
    hub: httpx.AsyncClient,
    path: str,
    opening: bytes,
    headers: Callable[[bytes], dict[str, str]],
) -> None:
    """A body over the limit is refused with 413: from its declared length, and when streamed
    without one, soon after the limit rather than at the end. `opening` starts a JSON object
    of the platform's; `headers` signs a body as the platform would."""
    big = opening + b'"pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = await hub.post(path, content=big, headers=headers(big))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"

    chunk, read = b"x" * 65536, 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal read
        for _ in range(200):  # 13 MB if read to the end
            read += 1
            yield chunk

    response = await hub.post(path, content=endless(), headers=headers(b""))
    assert response.status_code == 413
    assert read <= MAX_BODY_BYTES // len(chunk) + 2

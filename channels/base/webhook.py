"""What every channel's webhook endpoint shares: a bounded body read and the JSON error answer."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from channels.base.adapter import ChannelAdapter, Handle, Seen
from channels.base.errors import BadPayload, BadSignature, ChannelError, PayloadTooLarge

MAX_BODY_BYTES = 1024 * 1024  # far above any platform's update; stops memory exhaustion
_STATUS = {BadSignature: 401, BadPayload: 400, PayloadTooLarge: 413}


async def read_body(
    chunks: AsyncIterable[bytes], declared_length: str | None, limit: int = MAX_BODY_BYTES
) -> bytes:
    """The request body, refused with `PayloadTooLarge` as soon as it is known to exceed
    `limit`: from its declared Content-Length before reading, else while streaming."""
    if declared_length is not None and declared_length.isdigit() and int(declared_length) > limit:
        raise PayloadTooLarge(f"the body is over {limit} bytes")
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the body is over {limit} bytes")
    return bytes(body)


async def verified_body(
    request: Request, verify: Callable[[Mapping[str, str], bytes], None]
) -> bytes:
    """A webhook call's body, read within the limit and then verified: nothing is parsed or
    stored before both have passed."""
    body = await read_body(request.stream(), request.headers.get("content-length"))
    verify(request.headers, body)
    return body


def error_response(error: ChannelError) -> JSONResponse:
    """The desk's error shape, `{"error": {"code", "message"}}`, for a refused webhook call."""
    status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 500)
    return JSONResponse(
        {"error": {"code": error.code, "message": error.message}}, status_code=status
    )


async def receive(
    request: Request, adapter: ChannelAdapter[Any], handle: Handle, seen: Seen
) -> Response:
    """A platform's POST: the body verified, then parsed, then each new delivery to `handle`;
    refusals in the desk's error shape, 200 once handled (a failing `handle` is a 500, and the
    platform sends the delivery again)."""
    try:
        items = adapter.parse(await verified_body(request, adapter.verify))
    except ChannelError as exc:
        return error_response(exc)
    await adapter.dispatch(items, handle, seen)
    return Response(status_code=200)

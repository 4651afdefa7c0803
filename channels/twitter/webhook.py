"""X's Account Activity webhook, for the hub to mount: `GET /webhooks/twitter` (the CRC check)
and `POST /webhooks/twitter` (the events)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.responses import JSONResponse

from channels.base.adapter import Handle, Seen
from channels.base.errors import BadPayload
from channels.base.webhook import error_response, receive
from channels.twitter.adapter import TwitterAdapter

PATH = "/webhooks/twitter"


def twitter_router(adapter: TwitterAdapter, handle: Handle, seen: Seen) -> APIRouter:
    """The webhook. GET answers X's challenge-response check with the `crc_token` signed by
    the consumer secret. POST takes events: size limit, then the signature, then parsing, then
    each customer DM not `seen` before to `handle` (which should store it and return).

    Refusals are 413 (over 1 MB), 401 (signature missing or wrong) and 400 (not an event, or a
    CRC without a token), in the desk's `{"error": {"code", "message"}}` shape. Events the desk
    does not handle (posts, likes, follows, typing, the account's own DMs) are answered 200 and
    dropped. A failing `handle` is a 500.
    """
    router = APIRouter()

    @router.get(PATH, include_in_schema=False)
    async def twitter_crc(request: Request) -> Response:
        token = request.query_params.get("crc_token")
        if not token:
            return error_response(BadPayload("crc_token is missing"))
        try:
            return JSONResponse(adapter.crc_response(token))
        except BadPayload as exc:
            return error_response(exc)

    @router.post(PATH, include_in_schema=False)
    async def twitter_webhook(request: Request) -> Response:
        return await receive(request, adapter, handle, seen)

    return router

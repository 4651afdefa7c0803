"""Meta's webhook endpoint, for the hub to mount once for both channels: `GET /webhooks/meta`
(the subscription handshake) and `POST /webhooks/meta` (notifications).

A Meta app has one callback URL per product, and Messenger and Instagram notifications differ
only in their `object`, so one route serves both: each notification goes to the adapter of its
object.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from channels.base.adapter import Handle, Seen
from channels.base.errors import BadSignature, ChannelError
from channels.base.webhook import error_response, verified_body
from channels.meta import parse
from channels.meta.adapter import MetaAdapter

PATH = "/webhooks/meta"


def _verify(adapters: Iterable[MetaAdapter], headers: Mapping[str, str], body: bytes) -> None:
    """Authentic when signed with the app secret of any mounted adapter (usually the same app
    for both); `BadSignature` otherwise."""
    refusal = BadSignature("no adapter is mounted")
    for adapter in adapters:
        try:
            adapter.verify(headers, body)
        except BadSignature as exc:
            refusal = exc
        else:
            return
    raise refusal


def meta_router(
    adapters: MetaAdapter | Iterable[MetaAdapter], handle: Handle, seen: Seen
) -> APIRouter:
    """The webhook of one or both Meta channels (at most one adapter per channel).

    GET answers the handshake with `hub.challenge` as plain text when `hub.verify_token` is
    an adapter's, 403 otherwise. POST refuses a body over 1 MB (413), a bad signature (401)
    and a body that is not a notification (400), in the desk's `{"error": {"code",
    "message"}}` shape, then hands each message not `seen` before to `handle` (which should
    store it and return). A notification the desk does not handle is answered 200 and
    dropped. A failing `handle` is a 500, and Meta sends the notification again, whole: the
    messages already handled in it are `seen`.
    """
    mounted = [adapters] if isinstance(adapters, MetaAdapter) else list(adapters)
    by_object = {adapter.webhook_object: adapter for adapter in mounted}
    if not mounted or len(by_object) != len(mounted):
        raise ValueError("mount one adapter per Meta channel, at least one")
    router = APIRouter()

    @router.get(PATH, include_in_schema=False)
    async def meta_subscription(request: Request) -> Response:
        params = request.query_params
        refusal = BadSignature("no adapter is mounted")
        for adapter in mounted:
            try:
                challenge = adapter.subscribe(
                    params.get("hub.mode"),
                    params.get("hub.verify_token"),
                    params.get("hub.challenge"),
                )
            except BadSignature as exc:
                refusal = exc
            else:
                return PlainTextResponse(challenge)
        return JSONResponse(
            {"error": {"code": refusal.code, "message": refusal.message}}, status_code=403
        )

    @router.post(PATH, include_in_schema=False)
    async def meta_webhook(request: Request) -> Response:
        try:
            body = await verified_body(request, partial(_verify, mounted))
            notification = parse.notification_of(body)
            adapter = by_object.get(notification["object"])
            items = adapter.inbound(notification) if adapter is not None else []
        except ChannelError as exc:
            return error_response(exc)
        if adapter is not None:
            await adapter.dispatch(items, handle, seen)
        return Response(status_code=200)

    return router

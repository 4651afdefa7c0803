"""Telegram's webhook endpoint, for the hub to mount: `POST /webhooks/telegram`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from channels.base.adapter import Handle, Seen
from channels.base.webhook import receive
from channels.telegram.adapter import TelegramAdapter

PATH = "/webhooks/telegram"


def telegram_router(adapter: TelegramAdapter, handle: Handle, seen: Seen) -> APIRouter:
    """The webhook: size limit, then the secret token, then parsing, then each update not
    `seen` before to `handle` (which should store it and return; processing can follow).

    Refusals are 413 (over 1 MB), 401 (secret missing or wrong) and 400 (not an update), in
    the desk's `{"error": {"code", "message"}}` shape; Telegram does not resend those. An
    update the desk does not handle is answered 200 and dropped. A failing `handle` is a 500,
    and Telegram sends the update again.
    """
    router = APIRouter()

    @router.post(PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        return await receive(request, adapter, handle, seen)

    return router

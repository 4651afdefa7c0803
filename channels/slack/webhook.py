"""Slack's webhook endpoints, for the hub to mount: the Events API at `POST /webhooks/slack/events`
and interactivity (button presses) at `POST /webhooks/slack/interactions`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from channels.base.adapter import Handle, Seen
from channels.base.errors import ChannelError
from channels.base.webhook import error_response, verified_body
from channels.slack.adapter import SlackAdapter

EVENTS_PATH = "/webhooks/slack/events"
INTERACTIONS_PATH = "/webhooks/slack/interactions"


def slack_router(adapter: SlackAdapter, handle: Handle, seen: Seen) -> APIRouter:
    """Both endpoints: size limit, then Slack's signature, then parsing, then each message not
    `seen` before to `handle` (which should store it and return: Slack waits 3 s, then retries).

    Refusals are 413 (over 1 MB), 401 (signature missing, forged or over 5 minutes old) and 400
    (not an event or interaction), in the desk's `{"error": {"code", "message"}}` shape. Slack's
    check of the events URL gets its challenge back. What the desk does not handle is answered
    200 and dropped. A failing `handle` is a 500: Slack sends an event again (up to 3 times),
    and tells the customer who pressed a button that it did not work.
    """
    router = APIRouter()

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        try:
            body = await verified_body(request, adapter.verify)
            items = adapter.parse(body)
            challenge = None if items else adapter.challenge(body)
        except ChannelError as exc:
            return error_response(exc)
        if challenge is not None:
            return JSONResponse({"challenge": challenge})
        await adapter.dispatch(items, handle, seen)
        return Response(status_code=200)

    @router.post(INTERACTIONS_PATH, include_in_schema=False)
    async def slack_interactions(request: Request) -> Response:
        try:
            items = adapter.parse_interaction(await verified_body(request, adapter.verify))
        except ChannelError as exc:
            return error_response(exc)
        await adapter.dispatch(items, handle, seen)
        return Response(status_code=200)

    return router

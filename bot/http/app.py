"""The app factory: the hub's routes and mounts, and the callbacks the channels are handed."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bot.console import audit as console_audit
from bot.console import pages as console
from bot.console import people as console_people
from bot.http import agents, conversations, health, uploads, wiring
from bot.http.errors import install_error_handlers
from bot.http.platforms import configured
from bot.rasa import actions
from bot.security import identity
from bot.settings import Settings, load_settings
from bot.web import helpcentre
from bot.web.paths import STATIC_DIR
from channels.base import InboundMessage, OutboundMessage
from channels.base.adapter import Inbound
from channels.webchat.server import WebchatServer


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the hub. Nothing connects until the app starts (its lifespan)."""
    settings = settings or load_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per Rasa call is noise

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with wiring.lifespan(app, settings, platforms, route):
            yield

    app = FastAPI(title="imageko support desk", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings

    async def chat(message: InboundMessage) -> tuple[list[OutboundMessage], str | None]:
        routed = await app.state.router.handle(trusted(message))
        return routed.replies, routed.ticket

    def trusted(message: InboundMessage) -> InboundMessage:
        """Only a signed identity says who the customer is and what plan they have."""
        metadata = {
            k: v for k, v in message.metadata.items() if k not in ("account_id", "plan", "email")
        }
        claims = identity.verify(metadata.pop("identity", None), settings.signing_key())
        return replace(message, metadata={**metadata, **(claims or {})})

    async def keep(message: InboundMessage, why: str) -> None:
        await app.state.router.keep(message, why)

    async def typing(conversation_id: str) -> None:
        await app.state.tickets.customer_typing(conversation_id)

    async def route(message: InboundMessage) -> Sequence[OutboundMessage]:
        replies: Sequence[OutboundMessage] = (await app.state.router.handle(message)).replies
        return replies

    async def handle(item: Inbound) -> None:
        await app.state.messaging.handle(item)

    async def seen(delivery_id: str) -> bool:
        seen_before: bool = await app.state.messaging.seen(delivery_id)
        return seen_before

    platforms = configured(settings, handle, seen)
    for platform in platforms.values():
        if platform.router is not None:
            app.include_router(platform.router)

    # Built with the app (mounts are fixed before start); the router arrives in the lifespan.
    webchat = WebchatServer(chat, keep, typing, settings.redis_url or None)
    app.state.webchat = webchat
    app.mount("/socket.io", webchat.asgi_app())
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(conversations.router)
    app.include_router(uploads.router)
    app.include_router(agents.router)
    app.include_router(actions.router)
    app.include_router(helpcentre.router)
    app.include_router(console.router)
    app.include_router(console_people.router)
    app.include_router(console_audit.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app

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
from bot.http import agents, conversations, health, helpvotes, privacy, uploads, wiring
from bot.http.access import webchat_wait
from bot.http.errors import install_error_handlers
from bot.http.headers import SecurityHeaders
from bot.http.platforms import configured
from bot.language.detect import SUPPORTED
from bot.rasa import actions
from bot.security import identity, logs
from bot.security.tokens import ConversationTokens
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
    logs.install()  # after uvicorn's and basicConfig's handlers exist: nothing logs a secret

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with wiring.lifespan(app, settings, platforms, route):
            yield

    app = FastAPI(title="imageko support desk", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings

    async def chat(message: InboundMessage) -> tuple[list[OutboundMessage], str | None]:
        metadata = identity.trusted(message.metadata, settings.signing_key())
        routed = await app.state.router.handle(replace(message, metadata=metadata))
        return routed.replies, routed.ticket

    async def wait(action: str, address: str, session_id: str) -> float | None:
        return await webchat_wait(app.state.limiter, app.state.limits, action, address, session_id)

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
    webchat = WebchatServer(
        chat,
        keep,
        typing,
        tokens=ConversationTokens(settings.signing_key()),
        wait=wait,
        languages=SUPPORTED,
        redis_url=settings.redis_url or None,
    )
    app.state.webchat = webchat
    app.mount("/socket.io", webchat.asgi_app())
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(conversations.router)
    app.include_router(uploads.router)
    app.include_router(privacy.router)
    app.include_router(agents.router)
    app.include_router(actions.router)
    app.include_router(helpvotes.router)
    app.include_router(helpcentre.router)
    app.include_router(console.router)
    app.include_router(console_people.router)
    app.include_router(console_audit.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(
        SecurityHeaders,
        https=settings.public_url.startswith("https://"),
        docs_paths=(app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url),
    )
    return app

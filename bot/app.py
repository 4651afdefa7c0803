"""The app factory: wires settings, storage, Redis, the Rasa client and the routers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from bot import actions_endpoint, agent_api, api, health, verification
from bot import lang as language
from bot.db import create_engine, session_factory
from bot.delivery import Deliveries
from bot.errors import install_error_handlers
from bot.kb import service as kb
from bot.notify.alerts import alert_senders
from bot.notify.mail import Mailer
from bot.rasa_client import RasaClient
from bot.router import ConversationRouter
from bot.settings import Settings, load_settings
from bot.store import ConversationStore
from bot.tickets.customers import CustomerDirectory
from bot.tickets.monitor import SlaMonitor
from bot.tickets.service import TicketService
from bot.verification.service import VerificationService


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the hub. Nothing connects until the app starts (its lifespan)."""
    settings = settings or load_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per Rasa call is noise

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.effective_database_url)
        http = httpx.AsyncClient()
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        sessions = session_factory(engine)
        store = ConversationStore(sessions)
        rasa = RasaClient(settings.rasa_url, http, settings.rasa_timeout_s)
        deliveries = Deliveries()
        tickets = TicketService(sessions, deliveries)
        app.state.engine = engine
        app.state.redis = redis
        app.state.rasa = rasa
        app.state.store = store
        app.state.deliveries = deliveries
        app.state.tickets = tickets
        app.state.router = ConversationRouter(store, rasa, tickets, CustomerDirectory(sessions))
        monitor = SlaMonitor(sessions, alert_senders(settings))
        verification.configure(
            VerificationService(
                sessions, Mailer.from_settings(settings).send, settings.signing_key()
            )
        )
        app.state.action_executor = actions_endpoint.create_executor()
        await asyncio.to_thread(language.warm_up)
        try:
            await asyncio.to_thread(kb.warm_up)
        except FileNotFoundError as exc:  # the desk still talks; KB questions get "no answer"
            logging.getLogger(__name__).warning("knowledge base unavailable: %s", exc)
        sla_task = asyncio.create_task(monitor.run_forever(settings.sla_check_interval_s))
        try:
            yield
        finally:
            verification.configure(None)
            sla_task.cancel()
            await asyncio.gather(sla_task, return_exceptions=True)
            await http.aclose()
            if redis is not None:
                await redis.aclose()
            await engine.dispose()

    app = FastAPI(title="imageko support desk", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(api.router)
    app.include_router(agent_api.router)
    app.include_router(actions_endpoint.router)
    return app

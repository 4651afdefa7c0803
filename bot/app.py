"""The app factory: wires settings, storage, Redis, the Rasa client and the routers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from functools import partial
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from redis.asyncio import Redis

from bot import actions_endpoint, agent_api, api, health, identity, verification
from bot import lang as language
from bot.console import pages as console
from bot.console.auth import Accounts
from bot.console.live import LiveFeed
from bot.db import create_engine, session_factory
from bot.delivery import Deliveries
from bot.errors import install_error_handlers
from bot.kb import service as kb
from bot.mail_intake import MailIntake
from bot.messaging import Messaging
from bot.notify.alerts import alert_senders
from bot.notify.handoffs import HandoffNotices
from bot.notify.mail import Mailer
from bot.outbox import Outbox
from bot.platforms import configured
from bot.rasa_client import RasaClient
from bot.router import ConversationRouter
from bot.settings import Settings, load_settings
from bot.store import ConversationStore
from bot.tickets.customers import CustomerDirectory
from bot.tickets.monitor import SlaMonitor
from bot.tickets.service import Publish, TicketService
from bot.triage import policy
from bot.verification.service import VerificationService
from bot.web import helpcentre
from bot.web.paths import STATIC_DIR
from channels.base import InboundMessage, OutboundMessage
from channels.base.adapter import Inbound
from channels.email import imap
from channels.email.imap import ImapConfig
from channels.email.parse import BadEmail
from channels.email.receiver import Receiver, serve
from channels.slack.adapter import SlackAdapter
from channels.webchat.server import WebchatServer


def imap_config(settings: Settings) -> ImapConfig:
    """The mailbox the settings name."""
    password = settings.imap_password.get_secret_value() if settings.imap_password else ""
    return ImapConfig(
        settings.imap_host, settings.imap_port, settings.imap_user, password, ssl=settings.imap_ssl
    )


async def poll_imap(config: ImapConfig, intake: MailIntake, settings: Settings) -> None:
    """Read the mailbox every `imap_poll_s` seconds; a failed round is logged and retried."""

    async def handle(raw: bytes) -> None:
        try:
            await intake.receive(raw)
        except BadEmail as exc:  # unreadable: logged, marked seen, never retried forever
            logging.getLogger(__name__).warning("unreadable mail in %s: %s", config.host, exc)

    while True:
        try:
            await imap.poll(config, handle)
        except imap.ImapError as exc:
            logging.getLogger(__name__).warning("IMAP poll failed: %s", exc)
        await asyncio.sleep(settings.imap_poll_s)


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
        live = LiveFeed(redis) if redis is not None else None
        listeners: list[Publish] = [live.publish] if live else []

        async def publish(event: dict[str, Any]) -> None:
            for listener in listeners:
                await listener(event)

        tickets = TicketService(sessions, deliveries, publish=publish)
        slack = platforms.get("slack")
        if slack is not None and settings.slack_handoff_channel:
            assert isinstance(slack.adapter, SlackAdapter)
            notices = HandoffNotices(
                slack.adapter, settings.slack_handoff_channel, tickets, settings.public_url
            )
            listeners.append(notices.on_event)
        app.state.engine = engine
        app.state.live = live
        app.state.accounts = Accounts(sessions)
        app.state.redis = redis
        app.state.rasa = rasa
        app.state.store = store
        app.state.deliveries = deliveries
        app.state.tickets = tickets
        app.state.router = ConversationRouter(store, rasa, tickets, CustomerDirectory(sessions))
        monitor = SlaMonitor(sessions, alert_senders(settings))
        mailer = Mailer.from_settings(settings)
        verification.configure(VerificationService(sessions, mailer.send, settings.signing_key()))
        transports = {name: Messaging.transport(p.adapter) for name, p in platforms.items()}
        outbox = Outbox(sessions, {"email": mailer.send_raw, **transports})
        messaging = Messaging(route, outbox, redis)
        app.state.messaging = messaging
        intake = MailIntake(
            sessions,
            store,
            tickets,
            CustomerDirectory(sessions),
            rasa,
            settings.var_dir / "attachments",
            settings.public_url,
        )
        deliveries.register("email", intake.deliver)
        deliveries.register("webchat", app.state.webchat.send)
        stack = AsyncExitStack()
        for name, platform in platforms.items():
            await stack.enter_async_context(platform.adapter)
            deliveries.register(name, partial(messaging.deliver, name))
        app.state.mail_intake = intake
        app.state.action_executor = actions_endpoint.create_executor()
        await asyncio.to_thread(language.warm_up)
        try:
            await asyncio.to_thread(kb.warm_up)
        except FileNotFoundError as exc:  # the desk still talks; KB questions get "no answer"
            logging.getLogger(__name__).warning("knowledge base unavailable: %s", exc)
        tasks = [
            asyncio.create_task(monitor.run_forever(settings.sla_check_interval_s)),
            asyncio.create_task(outbox.run_forever(settings.outbox_interval_s)),
        ]
        if settings.imap_host:
            tasks.append(asyncio.create_task(poll_imap(imap_config(settings), intake, settings)))
        stop_polling = asyncio.Event()
        tasks += [asyncio.create_task(p.poll(stop_polling)) for p in platforms.values() if p.poll]
        smtp = None
        if settings.email_receiver_port:
            receiver = Receiver(frozenset(policy.QUEUES.values()), intake.receive)
            smtp = await serve(receiver, settings.email_receiver_host, settings.email_receiver_port)
        try:
            yield
        finally:
            if smtp is not None:
                smtp.close()
            verification.configure(None)
            stop_polling.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await stack.aclose()
            await http.aclose()
            if redis is not None:
                await redis.aclose()
            await engine.dispose()

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
    app.include_router(api.router)
    app.include_router(agent_api.router)
    app.include_router(actions_endpoint.router)
    app.include_router(helpcentre.router)
    app.include_router(console.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app

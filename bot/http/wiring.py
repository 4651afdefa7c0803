"""The hub's lifespan: every service built from the settings, the background jobs started, and
all of it closed again on the way out. Routes find the services on `app.state`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial
from typing import Any

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from bot import privacy, verification
from bot.console.live import LiveFeed
from bot.conversations.delivery import Deliveries
from bot.conversations.mail import MailIntake
from bot.conversations.messaging import Messaging, Route
from bot.conversations.outbox import Outbox
from bot.conversations.replays import DeliveryLog
from bot.conversations.router import ConversationRouter
from bot.conversations.store import ConversationStore
from bot.db import create_engine, session_factory
from bot.http.access import PublicLimits
from bot.http.mailboxes import imap_config, poll_imap, receive_smtp
from bot.http.platforms import Platform
from bot.kb import service as kb
from bot.language.detect import warm_up as warm_up_language
from bot.notify.alerts import alert_senders
from bot.notify.handoffs import HandoffNotices
from bot.notify.mail import Mailer
from bot.rasa import actions
from bot.rasa.client import RasaClient
from bot.rasa.trackers import forget_trackers
from bot.security.limits import RateLimiter
from bot.settings import Settings
from bot.staff.accounts import Accounts
from bot.staff.audit import AuditLog
from bot.staff.people import People
from bot.staff.throttle import LoginThrottle
from bot.staff.tokens import ApiTokens
from bot.tickets.base import Publish
from bot.tickets.customers import CustomerDirectory
from bot.tickets.monitor import SlaMonitor
from bot.tickets.service import TicketService
from bot.verification.service import VerificationService
from channels.slack.adapter import SlackAdapter

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(
    app: FastAPI, settings: Settings, platforms: dict[str, Platform], route: Route
) -> AsyncIterator[None]:
    """Connect, start the background jobs, serve; then stop them and close every connection."""
    engine = create_engine(settings.effective_database_url)
    http = httpx.AsyncClient()
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    sessions = session_factory(engine)
    store = ConversationStore(sessions)
    token = settings.rasa_auth_token
    rasa = RasaClient(
        settings.rasa_url,
        http,
        settings.rasa_timeout_s,
        token.get_secret_value() if token else None,
    )
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
    app.state.api_tokens = ApiTokens(sessions)
    app.state.people = People(sessions)
    app.state.audit = AuditLog(sessions)
    app.state.login_throttle = LoginThrottle(redis) if redis is not None else None
    app.state.redis = redis
    app.state.limiter = RateLimiter(redis)
    app.state.limits = PublicLimits.of(settings)
    app.state.rasa = rasa
    app.state.store = store
    app.state.deliveries = deliveries
    app.state.tickets = tickets
    app.state.router = ConversationRouter(store, rasa, tickets, CustomerDirectory(sessions))
    monitor = SlaMonitor(sessions, alert_senders(settings))
    mailer = Mailer.from_settings(settings)
    verification.configure(VerificationService(sessions, mailer.send, settings.signing_key()))
    forget = partial(forget_trackers, redis) if redis is not None else None
    app.state.privacy = privacy.build(settings, sessions, forget)
    privacy.configure(app.state.privacy)
    transports = {name: Messaging.transport(p.adapter) for name, p in platforms.items()}
    outbox = Outbox(sessions, {"email": mailer.send_raw, **transports})
    messaging = Messaging(route, outbox, DeliveryLog(sessions, redis))
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
    app.state.action_executor = actions.create_executor()
    if settings.action_secret is None:  # fail closed, and say so: the bot's actions stop
        log.warning("ACTION_SECRET is not set: the action endpoint refuses every call")
    await asyncio.to_thread(warm_up_language)
    try:
        await asyncio.to_thread(kb.warm_up)
    except FileNotFoundError as exc:  # the desk still talks; KB questions get "no answer"
        log.warning("knowledge base unavailable: %s", exc)
    tasks = [
        asyncio.create_task(monitor.run_forever(settings.sla_check_interval_s)),
        asyncio.create_task(outbox.run_forever(settings.outbox_interval_s)),
        asyncio.create_task(app.state.privacy.run_forever(settings.privacy_purge_interval_s)),
    ]
    if settings.imap_host:
        tasks.append(asyncio.create_task(poll_imap(imap_config(settings), intake, settings)))
    stop_polling = asyncio.Event()
    tasks += [asyncio.create_task(p.poll(stop_polling)) for p in platforms.values() if p.poll]
    smtp = await receive_smtp(intake, settings) if settings.email_receiver_port else None
    try:
        yield
    finally:
        if smtp is not None:
            smtp.close()
        verification.configure(None)
        privacy.configure(None)
        stop_polling.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await stack.aclose()
        await http.aclose()
        if redis is not None:
            await redis.aclose()
        await engine.dispose()

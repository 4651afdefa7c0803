"""The SLA monitor on SQLite and PostgreSQL: breaches marked once, alerts stored and sent to a
real SMTP server on loopback and to a local fake of Slack's Web API (slack_sdk's own client)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations.delivery import Deliveries
from bot.conversations.store import ConversationStore
from bot.db import session_factory
from bot.db.models import Alert, Ticket, TicketStatus
from bot.notify.alerts import EmailAlerts, SlackAlerts, alert_senders
from bot.notify.mail import Mailer
from bot.runtime.demo import seed_demo
from bot.runtime.launcher import free_port
from bot.settings import Settings
from bot.tickets.monitor import SlaMonitor
from bot.tickets.service import TicketService
from bot.triage.routing import route
from channels.base import InboundMessage
from tests.clock import Clock
from tests.conftest import SmtpSink

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SLACK_TOKEN = "xoxb-test-token"


@dataclass
class FakeSlack:
    """Slack's chat.postMessage on 127.0.0.1: checks the bearer token like Slack does."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False

    async def post_message(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {SLACK_TOKEN}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if self.down:
            return web.Response(status=503, text="upstream unavailable")
        body = await request.read()
        payload = (
            json.loads(body)
            if request.content_type == "application/json"
            else dict(await request.post())
        )
        self.posts.append(payload)
        return web.json_response(
            {"ok": True, "channel": payload["channel"], "ts": "1764064800.000100"}
        )


@pytest.fixture
async def slack() -> AsyncIterator[tuple[FakeSlack, str]]:
    fake = FakeSlack()
    app = web.Application()
    app.router.add_post("/api/chat.postMessage", fake.post_message)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield fake, f"http://127.0.0.1:{port}/api/"
    await runner.cleanup()


async def _ticket(tickets: TicketService, store: ConversationStore, cid: str, topic: str) -> str:
    await store.record_inbound(InboundMessage(cid, "api", "help"), "en")
    decision = route(topic, 1.0, f"a {topic} case", "en", None, handoff=True).as_dict()
    opened = await tickets.open_from_handoff(cid, decision, channel="api", lang="en", plan=None)
    return opened.ticket.number or ""


async def test_breach_alerts_once_and_reaches_slack_and_email(
    engine: AsyncEngine, smtp_sink: SmtpSink, slack: tuple[FakeSlack, str]
) -> None:
    fake, slack_url = slack
    sessions = session_factory(engine)
    await seed_demo(sessions)
    clock = Clock(START)
    tickets = TicketService(sessions, Deliveries(), clock)
    store = ConversationStore(sessions)
    urgent = await _ticket(tickets, store, "b1", "payment_fraud")  # breach after 12 h
    answered = await _ticket(tickets, store, "b2", "account_hacked")
    await tickets.claim(answered, "sam")
    await tickets.reply(answered, "sam", "On it.")
    senders = [
        SlackAlerts(AsyncWebClient(token=SLACK_TOKEN, base_url=slack_url), "#sla-alerts"),
        EmailAlerts(Mailer("127.0.0.1", smtp_sink.port, "desk@imageko.com"), "oncall@imageko.com"),
    ]
    monitor = SlaMonitor(sessions, senders, clock)

    clock.now = START + timedelta(hours=11, minutes=59)
    assert await monitor.run_once() == []
    clock.now = START + timedelta(hours=12)
    alerts = await monitor.run_once()
    assert [a.kind for a in alerts] == ["first_response_breach"]
    assert await monitor.run_once() == []  # marked once
    assert len(fake.posts) == 1
    assert fake.posts[0]["channel"] == "#sla-alerts"
    assert urgent in fake.posts[0]["text"]
    assert len(smtp_sink.messages) == 1
    assert smtp_sink.messages[0]["To"] == "oncall@imageko.com"
    assert urgent in smtp_sink.messages[0]["Subject"]
    async with sessions() as session:
        stored = list(await session.scalars(select(Alert)))
        ticket = await session.scalar(select(Ticket).where(Ticket.number == urgent))
    assert len(stored) == 1
    assert stored[0].delivered_at == clock.now
    assert stored[0].error is None
    assert ticket is not None
    assert ticket.breached_at == clock.now
    events = [e.action for e in await tickets.history(urgent)]
    assert events[-1] == "first_response_breach"


async def test_an_unreachable_destination_keeps_the_alert_for_the_next_round(
    engine: AsyncEngine, slack: tuple[FakeSlack, str]
) -> None:
    fake, slack_url = slack
    fake.down = True
    sessions = session_factory(engine)
    clock = Clock(START)
    tickets = TicketService(sessions, Deliveries(), clock)
    await _ticket(tickets, ConversationStore(sessions), "d1", "account_hacked")
    client = AsyncWebClient(token=SLACK_TOKEN, base_url=slack_url, retry_handlers=[])
    monitor = SlaMonitor(sessions, [SlackAlerts(client, "#sla")], clock)
    clock.now = START + timedelta(hours=13)
    await monitor.run_once()
    async with sessions() as session:
        alert = await session.scalar(select(Alert))
    assert alert is not None
    assert alert.delivered_at is None
    assert alert.error
    fake.down = False
    clock.now += timedelta(minutes=1)
    await monitor.run_once()
    async with sessions() as session:
        alert = await session.scalar(select(Alert))
    assert alert is not None
    assert alert.delivered_at == clock.now
    assert alert.error is None
    assert len(fake.posts) == 1


async def test_complaint_resolution_deadline_and_closing_resolved_tickets(
    engine: AsyncEngine,
) -> None:
    sessions = session_factory(engine)
    await seed_demo(sessions)
    clock = Clock(START)
    tickets = TicketService(sessions, Deliveries(), clock)
    store = ConversationStore(sessions)
    complaint = await _ticket(tickets, store, "k1", "complaint")
    await tickets.claim(complaint, "lea")
    await tickets.reply(complaint, "lea", "We are sorry; looking into it.")  # first response
    done = await _ticket(tickets, store, "k2", "human_request")
    await tickets.claim(done, "lea")
    await tickets.resolve(done, "lea")
    monitor = SlaMonitor(sessions, [], clock)
    clock.now = datetime(2026, 12, 4, 9, 59, tzinfo=UTC)  # Wednesday + 7 business days, minus 1'
    assert [a.kind for a in await monitor.run_once()] == []
    clock.now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    assert [a.kind for a in await monitor.run_once()] == ["resolution_breach"]
    assert (await tickets.get(done)).status is TicketStatus.CLOSED  # resolved 9 days ago


async def test_run_forever_survives_a_failing_round(engine: AsyncEngine) -> None:
    monitor = SlaMonitor(session_factory(engine), [])
    rounds = 0

    async def flaky() -> list[Alert]:
        nonlocal rounds
        rounds += 1
        raise RuntimeError("database blip")

    monitor.run_once = flaky  # type: ignore[method-assign]
    task = asyncio.create_task(monitor.run_forever(0.01))
    await asyncio.sleep(0.1)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert rounds >= 2


def test_senders_come_from_the_settings() -> None:
    none = Settings(_env_file=None)  # type: ignore[call-arg]
    assert alert_senders(none) == []
    both = Settings(
        _env_file=None,  # type: ignore[call-arg]
        alert_slack_channel="#sla",
        slack_bot_token="xoxb-1",
        alert_email_to="oncall@imageko.com",
    )
    assert [type(s).__name__ for s in alert_senders(both)] == ["SlackAlerts", "EmailAlerts"]
    no_token = Settings(_env_file=None, alert_slack_channel="#sla")  # type: ignore[call-arg]
    assert alert_senders(no_token) == []

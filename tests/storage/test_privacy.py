"""Privacy requests on SQLite and PostgreSQL (policy §8): a customer's export holds exactly
their data, their erasure leaves none of it anywhere in the database, and a mailed link
works until it expires, then never again."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.conversations.delivery import Deliveries
from bot.conversations.outbox import Outbox
from bot.conversations.store import ConversationStore
from bot.db import session_factory
from bot.db.models import (
    Alert,
    Conversation,
    Customer,
    Message,
    PrivacyRequest,
    PrivacyStatus,
    Ticket,
    TicketStatus,
    Verification,
)
from bot.errors import NotFound, ServiceUnavailable
from bot.notify.mail import Mailer
from bot.privacy.requests import PrivacyRequests
from bot.runtime.demo import DEMO_CUSTOMERS, seed_demo
from bot.runtime.launcher import free_port
from bot.staff.audit import AuditLog
from bot.tickets.service import TicketService
from bot.triage.routing import route
from bot.verification.codes import totp
from bot.verification.service import VerificationService
from channels.base import InboundMessage, OutboundMessage
from tests.clock import Clock
from tests.conftest import SmtpSink

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
PAUL = next(c for c in DEMO_CUSTOMERS if c["account_id"] == "acc-2002")  # 2FA on, French
ANA = next(c for c in DEMO_CUSTOMERS if c["account_id"] == "acc-1001")
SLACK_ID = PAUL["identities"][0][1]
UNIQUE_SHOT = b"\x89PNG\r\n\x1a\n paul's own screenshot"
SHARED_SHOT = b"\x89PNG\r\n\x1a\n a screenshot both customers sent"
# What Paul wrote or was told, on three channels; none of it may survive his erasure.
PAUL_SAID = {
    "web-paul": ["Bonjour, je suis Paul Premium, je veux mes données", "Bien sûr, Paul."],
    "slack:D0PAUL": ["Paul again, from Slack: my invoice 8841 is wrong"],
    "email-paul1": ["Écrivez-moi à paul.premium@example.com, merci"],
}
ANA_SAID = ["Hola, soy Ana Free y tengo una duda", "¡Hola Ana!"]
STRANGER_SAID = "let me in, I know the email"
NOTE = "Paul sounded upset; he called twice about the invoice"
AGENT_REPLY = "Bonjour Paul, c'est Sam. Je m'en occupe."


@dataclass
class Desk:
    sessions: async_sessionmaker[AsyncSession]
    privacy: PrivacyRequests
    clock: Clock
    var: Path
    paul: int
    ana: int
    paul_ticket: str
    ana_ticket: str


def _upload(var: Path, name: str, data: bytes) -> str:
    folder = var / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return f"/api/v1/uploads/{name}"


async def _customer(sessions: async_sessionmaker[AsyncSession], account: str) -> int:
    async with sessions() as session:
        found = await session.scalar(select(Customer.id).where(Customer.account_id == account))
    assert found is not None
    return found


async def _populate(engine: AsyncEngine, smtp: SmtpSink, var: Path) -> Desk:
    """Two demo customers with conversations on several channels, tickets, a note, uploads,
    verifications; and a stranger who typed Paul's email without proving anything."""
    sessions = session_factory(engine)
    await seed_demo(sessions)
    paul, ana = await _customer(sessions, "acc-2002"), await _customer(sessions, "acc-1001")
    store = ConversationStore(sessions)
    tickets = TicketService(sessions, Deliveries(), lambda: NOW)
    mailer = Mailer("127.0.0.1", smtp.port, "support@imageko.com")
    verifier = VerificationService(sessions, mailer.send, b"test-key", lambda: NOW)

    web_in, web_out = PAUL_SAID["web-paul"]
    await store.record_inbound(InboundMessage("web-paul", "webchat", web_in), "fr", paul)
    await store.record_replies([OutboundMessage("web-paul", web_out)], "fr")
    for name, data in (("a" * 32 + ".png", UNIQUE_SHOT), ("b" * 32 + ".png", SHARED_SHOT)):
        meta = {"image": _upload(var, name, data), "content_type": "png"}
        await store.record_inbound(
            InboundMessage("web-paul", "webchat", "[screenshot]", metadata=meta), "fr", paul
        )
    await verifier.start("web-paul", PAUL["email"], "fr")
    assert (await verifier.check("web-paul", totp(PAUL["totp_secret"], NOW))).customer_id == paul
    decision = route("data_privacy", 1.0, web_in, "fr", "premium", handoff=True).as_dict()
    decision |= {"verified": True, "verified_email": PAUL["email"]}
    opened = await tickets.open_from_handoff(
        "web-paul", decision, channel="webchat", lang="fr", plan="premium", customer_id=paul
    )
    number = opened.ticket.number or ""
    await tickets.claim(number, "sam")
    await tickets.note(number, "sam", NOTE)
    await tickets.reply(number, "sam", AGENT_REPLY)
    async with sessions.begin() as session:
        session.add(Alert(ticket_id=opened.ticket.id, kind="first_response_breach", message=web_in))

    (slack,) = PAUL_SAID["slack:D0PAUL"]
    await store.record_inbound(
        InboundMessage("slack:D0PAUL", "slack", slack, metadata={"sender_id": SLACK_ID}),
        "en",
        paul,
    )
    (mail,) = PAUL_SAID["email-paul1"]
    headers = {"from": PAUL["email"], "subject": "Demande RGPD", "message_id": "<p1@mail.test>"}
    stored = await store.record_inbound(
        InboundMessage("email-paul1", "email", mail, metadata=headers),
        "fr",
        paul,
        external_id="<p1@mail.test>",
    )
    async with sessions.begin() as session:
        message = await session.get(Message, stored.id)
        Outbox.add(session, "email", PAUL["email"], f"To: {PAUL['email']}\n\n{mail}", message, NOW)

    await store.record_inbound(InboundMessage("web-stranger", "webchat", STRANGER_SAID), "en")
    await verifier.start("web-stranger", PAUL["email"], "en")  # never verified

    ana_in, ana_out = ANA_SAID
    await store.record_inbound(InboundMessage("web-ana", "webchat", ana_in), "es", ana)
    await store.record_replies([OutboundMessage("web-ana", ana_out)], "es")
    meta = {"image": _upload(var, "b" * 32 + ".png", SHARED_SHOT), "content_type": "png"}
    await store.record_inbound(
        InboundMessage("web-ana", "webchat", "[screenshot]", metadata=meta), "es", ana
    )
    ana_decision = route("refund_request", 1.0, ana_in, "es", "free", handoff=True).as_dict()
    ana_opened = await tickets.open_from_handoff(
        "web-ana", ana_decision, channel="webchat", lang="es", plan="free", customer_id=ana
    )
    clock = Clock(NOW)
    privacy = PrivacyRequests(
        sessions,
        mailer.send,
        AuditLog(sessions),
        var_dir=var,
        public_url="https://desk.example/",
        key=b"test-key",
        export_ttl=timedelta(hours=48),
        clock=clock,
    )
    return Desk(sessions, privacy, clock, var, paul, ana, number, ana_opened.ticket.number or "")


@pytest.fixture
async def desk(engine: AsyncEngine, smtp_sink: SmtpSink, tmp_path: Path) -> Desk:
    return await _populate(engine, smtp_sink, tmp_path / "var")


def _token(sink: SmtpSink) -> str:
    found = re.search(
        r"https://desk\.example/privacy/exports/(\S+)", sink.messages[-1].get_content()
    )
    assert found is not None, sink.messages[-1].get_content()
    return found.group(1)


def _unzip(path: Path) -> tuple[dict[str, Any], dict[str, bytes], str]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as bundle:
        files = {name: bundle.read(name) for name in bundle.namelist()}
    raw = files.pop("imageko-support-data.json").decode()
    return json.loads(raw), files, raw


async def _dump(engine: AsyncEngine) -> str:
    """Every row of every table, as text: what a grep of the database would see."""
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        rows = []
        for table in tables:
            result = await connection.execute(text(f'SELECT * FROM "{table}"'))
            rows += [f"{table}: {tuple(row)}" for row in result]
    return "\n".join(rows)


async def test_the_export_holds_exactly_the_customers_data(desk: Desk, smtp_sink: SmtpSink) -> None:
    mailed = await desk.privacy.export_by_email(desk.paul, "customer")
    assert mailed.hours == 48
    mail = smtp_sink.messages[-1]
    assert mail["To"] == PAUL["email"]
    assert mail["Subject"] == "Vos données du support imageko sont prêtes à être téléchargées"
    document, files, raw = _unzip(await desk.privacy.download(_token(smtp_sink)))

    customer = document["customer"]
    assert (customer["account_id"], customer["email"], customer["name"]) == (
        PAUL["account_id"],
        PAUL["email"],
        PAUL["name"],
    )
    assert customer["two_factor_authentication"] is True
    assert customer["identities"] == [{"channel": "slack", "id": SLACK_ID}]
    assert PAUL["totp_secret"] not in raw  # never the authenticator's secret
    said = {c["id"]: [m["text"] for m in c["messages"]] for c in document["conversations"]}
    assert set(said) == set(PAUL_SAID)  # not the stranger's, not Ana's
    for conversation, lines in PAUL_SAID.items():
        assert set(lines) <= set(said[conversation])
    assert AGENT_REPLY in said["web-paul"]
    for foreign in (*ANA_SAID, STRANGER_SAID, ANA["email"], ANA["name"], ANA["account_id"]):
        assert foreign not in raw

    (ticket,) = document["tickets"]
    assert ticket["number"] == desk.paul_ticket
    assert PAUL_SAID["web-paul"][0] in [line["text"] for line in ticket["transcript"]]
    notes = [event for event in ticket["log"] if event["action"] == "note"]
    assert notes == [{"at": notes[0]["at"], "action": "note", "by": "agent", "text": NOTE}]
    assert '"sam"' not in raw  # staff appear as "agent", never by their id

    async with desk.sessions() as session:
        hashes = list(await session.scalars(select(Verification.code_hash)))
    assert [a["verified_at"] is not None for a in document["verifications"]] == [True, False]
    assert all(h not in raw for h in hashes if h)  # the emailed codes' hashes stay home
    shots = {data for name, data in files.items() if name.startswith("files/")}
    assert shots == {UNIQUE_SHOT, SHARED_SHOT}

    (line,) = await AuditLog(desk.sessions).recent(action="privacy_export")
    assert (line.actor, line.subject) == ("customer", desk.privacy.account_hash("acc-2002"))
    assert line.data["conversations"] == 3


async def test_erasure_leaves_nothing_of_them_and_all_of_the_others(
    desk: Desk, engine: AsyncEngine, smtp_sink: SmtpSink
) -> None:
    await desk.privacy.export_by_email(desk.paul, "customer")  # an archive still on disk
    token = _token(smtp_sink)
    before = await _dump(engine)
    ana_rows = [line for line in before.splitlines() if any(s in line for s in ANA_SAID)]
    assert ana_rows

    counts = await desk.privacy.erase(desk.paul, "admin")

    after = await _dump(engine)
    needles = [
        PAUL["email"],
        PAUL["name"],
        PAUL["account_id"],
        PAUL["totp_secret"],
        SLACK_ID,
        "D0PAUL",
        "<p1@mail.test>",
        NOTE,
        AGENT_REPLY,
        *(line for lines in PAUL_SAID.values() for line in lines),
    ]
    assert [needle for needle in needles if needle in after] == []
    assert STRANGER_SAID in after  # someone else's conversation is theirs to keep
    assert [line for line in after.splitlines() if any(s in line for s in ANA_SAID)] == ana_rows
    assert (desk.var / "uploads" / ("b" * 32 + ".png")).exists()  # Ana sent it too
    assert not (desk.var / "uploads" / ("a" * 32 + ".png")).exists()
    assert list((desk.var / "privacy").iterdir()) == []  # the open export went with them
    with pytest.raises(NotFound):
        await desk.privacy.download(token)

    async with desk.sessions() as session:
        assert await session.get(Customer, desk.paul) is None
        assert await session.get(Customer, desk.ana) is not None
        ticket = await session.scalar(select(Ticket).where(Ticket.number == desk.paul_ticket))
        assert ticket is not None
        assert (ticket.status, ticket.customer_id, ticket.summary) == (
            TicketStatus.CLOSED,
            None,
            "[erased]",
        )
        shells = list(
            await session.scalars(select(Conversation).where(Conversation.id.like("erased-%")))
        )
        kept = await session.scalars(
            select(Message.text).where(Message.conversation_id.in_([c.id for c in shells]))
        )
        assert set(kept) == {"[erased]"}
        assert {c.customer_id for c in shells} == {None}
        assert (
            await session.scalar(select(Conversation).where(Conversation.id == "web-paul")) is None
        )
        assert await session.scalar(select(Verification.id)) is None  # his, and the stranger's
    assert len(shells) == counts["conversations"] == 3
    assert counts["files"] == 2  # his own screenshot and the open archive

    (line,) = await AuditLog(desk.sessions).recent(action="privacy_erase")
    assert (line.actor, line.subject) == ("admin", desk.privacy.account_hash("acc-2002"))
    assert line.data == {"request": line.data["request"], **counts}


async def test_erasure_in_the_chat_keeps_that_conversation_going_empty(desk: Desk) -> None:
    await desk.privacy.erase(desk.paul, "customer", keep_conversation="web-paul")
    store = ConversationStore(desk.sessions)
    assert await store.history("web-paul") == []
    await store.record_replies([OutboundMessage("web-paul", "Done.")], "fr")
    assert [m.text for m in await store.history("web-paul")] == ["Done."]
    async with desk.sessions() as session:
        conversation = await session.get(Conversation, "web-paul")
        assert conversation is not None
        assert conversation.customer_id is None


async def test_the_link_works_until_it_expires_then_is_gone_like_an_unknown_one(
    desk: Desk, smtp_sink: SmtpSink
) -> None:
    await desk.privacy.export_by_email(desk.ana, "customer")
    mail = smtp_sink.messages[-1]
    assert (mail["To"], mail["Subject"]) == (
        ANA["email"],
        "Tus datos de soporte de imageko están listos para descargar",  # Ana writes Spanish
    )
    assert "48 horas" in mail.get_content()
    token = _token(smtp_sink)
    first = await desk.privacy.download(token)
    desk.clock.now = NOW + timedelta(hours=47, minutes=59)
    assert await desk.privacy.download(token) == first  # a second try works too
    with pytest.raises(NotFound) as unknown:
        await desk.privacy.download(token[:-1] + ("A" if token[-1] != "A" else "B"))
    desk.clock.now = NOW + timedelta(hours=48)
    with pytest.raises(NotFound) as expired:
        await desk.privacy.download(token)
    assert expired.value.body() == unknown.value.body()
    assert not first.exists()
    async with desk.sessions() as session:
        request = await session.scalar(select(PrivacyRequest))
        assert request is not None
        assert (request.status, request.downloads, request.archive_path) == (
            PrivacyStatus.EXPIRED,
            2,
            None,
        )
    downloads = await AuditLog(desk.sessions).recent(action="privacy_export_downloaded")
    assert [line.data["downloads"] for line in downloads] == [2, 1]


async def test_expired_archives_are_purged_without_anyone_asking(
    desk: Desk, smtp_sink: SmtpSink
) -> None:
    await desk.privacy.export_by_email(desk.ana, "customer")
    desk.clock.now = NOW + timedelta(hours=1)
    await desk.privacy.export_by_email(desk.paul, "customer")
    stray = desk.var / "privacy" / "left-by-a-crash.zip"
    stray.write_bytes(b"PK")
    assert len(list((desk.var / "privacy").iterdir())) == 3
    desk.clock.now = NOW + timedelta(hours=48, minutes=30)  # Ana's is past, Paul's is not
    assert await desk.privacy.purge() == 2
    (left,) = (desk.var / "privacy").iterdir()
    assert (await desk.privacy.download(_token(smtp_sink))) == left


async def test_an_export_whose_mail_fails_is_not_left_behind(desk: Desk) -> None:
    closed = Mailer("127.0.0.1", free_port(), "support@imageko.com")  # nothing listens there
    privacy = PrivacyRequests(
        desk.sessions,
        closed.send,
        AuditLog(desk.sessions),
        var_dir=desk.var,
        public_url="https://desk.example",
        key=b"test-key",
        export_ttl=timedelta(hours=48),
        clock=desk.clock,
    )
    with pytest.raises(ServiceUnavailable):
        await privacy.export_by_email(desk.paul, "customer")
    assert list((desk.var / "privacy").iterdir()) == []
    async with desk.sessions() as session:
        request = await session.scalar(select(PrivacyRequest))
        assert request is not None
        assert request.status is PrivacyStatus.FAILED
    assert await AuditLog(desk.sessions).recent(action="privacy_export") == []


async def test_only_a_recent_verification_in_the_conversation_names_the_customer(
    desk: Desk, smtp_sink: SmtpSink
) -> None:
    assert await desk.privacy.verified_customer("web-paul") == desk.paul
    assert await desk.privacy.verified_customer("web-stranger") is None  # tried, not proved
    assert await desk.privacy.verified_customer("web-ana") is None  # never verified there
    desk.clock.now = NOW + timedelta(minutes=31)
    assert await desk.privacy.verified_customer("web-paul") is None
    desk.clock.now = NOW
    mailer = Mailer("127.0.0.1", smtp_sink.port, "support@imageko.com")
    again = VerificationService(desk.sessions, mailer.send, b"test-key", lambda: NOW)
    await again.start("web-paul", ANA["email"], "en")  # a newer attempt, not proved
    assert await desk.privacy.verified_customer("web-paul") is None

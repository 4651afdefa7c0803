"""Email intake through the hub, over real SMTP on loopback, with the assistant down: mail is
stored, threaded, ticketed, acknowledged through the outbox, and never answered in a loop."""

from __future__ import annotations

import asyncio
import io
import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import func, select

from bot.conversations.mail import MailIntake
from bot.conversations.outbox import Outbox
from bot.db import session_factory
from bot.db.models import Message, OutboxItem, TicketStatus
from bot.notify.mail import Mailer
from bot.runtime.demo import seed_demo
from bot.runtime.launcher import free_port
from bot.tickets.service import TicketService
from bot.triage import policy
from channels.email.receiver import Receiver, serve
from tests.conftest import SmtpSink

CUSTOMER = "ana.free@example.com"


@pytest.fixture
async def receiver_port(app: FastAPI) -> AsyncIterator[int]:
    """The hub's SMTP receiver on a free loopback port."""
    await seed_demo(session_factory(app.state.engine))
    intake: MailIntake = app.state.mail_intake
    port = free_port()
    server = await serve(
        Receiver(frozenset(policy.QUEUES.values()), intake.receive), "127.0.0.1", port
    )
    yield port
    server.close()
    await server.wait_closed()


def _mail(
    subject: str = "Question",
    body: str = "Hello, I need help with my account please.",
    to: str = "support@imageko.com",
    message_id: str = "<m1@mail.example>",
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = CUSTOMER, to, subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


async def _send(port: int, message: EmailMessage, to: str | None = None) -> None:
    def send() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.send_message(message, to_addrs=[to] if to else None)

    await asyncio.to_thread(send)


async def _count(app: FastAPI, model: type, *where: object) -> int:
    async with session_factory(app.state.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_mail_to_trust_becomes_a_trust_ticket_and_is_acknowledged(
    app: FastAPI, receiver_port: int, smtp_sink: SmtpSink
) -> None:
    await _send(receiver_port, _mail(to="trust@imageko.com"))
    tickets: TicketService = app.state.tickets
    (ticket,) = await tickets.queue("trust")
    assert (ticket.channel, ticket.queue, ticket.status) == ("email", "trust", TicketStatus.NEW)
    outbox = Outbox(
        session_factory(app.state.engine),
        {"email": Mailer("127.0.0.1", smtp_sink.port, "desk@imageko.com").send_raw},
    )
    assert await outbox.run_once() == 1
    (ack,) = smtp_sink.messages
    assert ack["To"] == CUSTOMER
    assert ack["From"] == "trust@imageko.com"
    assert ticket.number in str(ack["Subject"])
    assert ack["In-Reply-To"] == "<m1@mail.example>"
    assert ack["Auto-Submitted"] == "auto-replied"
    text = ack.get_body(("plain",)).get_content()
    assert "24 hours" in text  # free plan


async def test_what_a_person_typed_is_redacted_and_threading_stays_exact(
    app: FastAPI, receiver_port: int, smtp_sink: SmtpSink
) -> None:
    # A mutt-style Message-ID whose digits pass the Luhn check, like a card number would.
    message_id = "<20261126120009.GA1234@mail.example>"
    await _send(
        receiver_port, _mail(subject="Refund for 4242 4242 4242 4242", message_id=message_id)
    )
    async with session_factory(app.state.engine)() as session:
        stored = await session.scalar(select(Message).where(Message.external_id == message_id))
    assert stored is not None
    assert stored.meta["subject"] == "Refund for [card number]"
    assert stored.meta["message_id"] == message_id  # ids are not typed secrets: kept exact
    tickets: TicketService = app.state.tickets
    (ticket,) = await tickets.queue("support")
    await tickets.claim(ticket.number or "", "lea")
    await tickets.reply(ticket.number or "", "lea", "We are on it.")
    outbox = Outbox(
        session_factory(app.state.engine),
        {"email": Mailer("127.0.0.1", smtp_sink.port, "desk@imageko.com").send_raw},
    )
    assert await outbox.run_once() == 2
    ack, answer = smtp_sink.messages
    for sent in (ack, answer):
        assert sent["In-Reply-To"] == message_id
        assert "4242" not in str(sent["Subject"])  # our "Re:" is kept in the outbox too
    assert "[card number]" in str(answer["Subject"])


async def test_attachments_are_kept_only_as_images_and_re_encoded(
    app: FastAPI, receiver_port: int
) -> None:
    # Like a web chat upload: a PNG header followed by HTML is refused, and a real image
    # keeps its pixels but not what was smuggled after them.
    picture = io.BytesIO()
    Image.new("RGB", (32, 16), (200, 30, 30)).save(picture, "PNG")
    genuine = picture.getvalue() + b"<html><script>alert(1)</script></html>"
    disguised = b"\x89PNG\r\n\x1a\n" + b"<html><script>alert(1)</script></html>"
    message = _mail(message_id="<att1@mail.example>")
    message.add_attachment(genuine, maintype="image", subtype="png", filename="screen.png")
    message.add_attachment(disguised, maintype="image", subtype="png", filename="fake.png")
    await _send(receiver_port, message)
    async with session_factory(app.state.engine)() as session:
        stored = await session.scalar(
            select(Message).where(Message.external_id == "<att1@mail.example>")
        )
    assert stored is not None
    (kept,) = stored.meta["attachments"]
    assert kept["filename"] == "screen.png"
    data = await asyncio.to_thread(Path(kept["path"]).read_bytes)
    assert b"<script>" not in data
    assert Image.open(io.BytesIO(data)).size == (32, 16)
    assert any(note.startswith("fake.png:") for note in stored.meta["dropped"])


async def test_a_redelivered_message_is_processed_once(app: FastAPI, receiver_port: int) -> None:
    await _send(receiver_port, _mail())
    await _send(receiver_port, _mail())
    assert await _count(app, Message, Message.external_id == "<m1@mail.example>") == 1
    assert await _count(app, OutboxItem) == 1


@pytest.mark.parametrize(
    "header",
    [{"Auto_Submitted": "auto-replied"}, {"Precedence": "bulk"}, {"List_Id": "<x.lists>"}],
)
async def test_automatic_mail_is_kept_but_never_answered(
    app: FastAPI, receiver_port: int, header: dict[str, str]
) -> None:
    await _send(receiver_port, _mail(**header))
    assert await _count(app, Message, Message.external_id == "<m1@mail.example>") == 1
    assert await _count(app, OutboxItem) == 0
    assert await app.state.tickets.queue("support") == []


async def test_a_runaway_sender_stops_getting_answers(app: FastAPI, receiver_port: int) -> None:
    for number in range(12):
        await _send(receiver_port, _mail(message_id=f"<r{number}@mail.example>"))
    assert await _count(app, Message, Message.direction == "INBOUND") == 12  # all stored
    assert await _count(app, OutboxItem) == 10  # the rate limit: 10 answers an hour


async def test_replies_thread_into_the_ticket_and_reopen_it_after_resolution(
    app: FastAPI, receiver_port: int
) -> None:
    await _send(receiver_port, _mail())
    tickets: TicketService = app.state.tickets
    (ticket,) = await tickets.queue("support")
    number = ticket.number or ""
    follow_up = _mail(
        subject=f"Re: [{number}] Question",
        body="More details: it started yesterday.",
        message_id="<m2@mail.example>",
        In_Reply_To="<m1@mail.example>",
        References="<m1@mail.example>",
    )
    await _send(receiver_port, follow_up)
    lines = [m.text for m in await tickets.transcript(number)]
    assert "More details: it started yesterday." in lines
    await tickets.claim(number, "lea")
    await tickets.resolve(number, "lea")
    # Only the subject tag left (a mail program that dropped the headers): still this ticket.
    again = _mail(
        subject=f"Re: [{number}] Question", body="It broke again.", message_id="<m3@mail.example>"
    )
    await _send(receiver_port, again)
    reopened = await tickets.get(number)
    assert reopened.status is TicketStatus.OPEN
    assert reopened.assignee_id == "lea"
    assert "reopened" in reopened.tags
    assert "It broke again." in [m.text for m in await tickets.transcript(number)]


async def test_the_receiver_refuses_what_it_must(receiver_port: int) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        await _send(receiver_port, _mail(to="ceo@imageko.com"), to="ceo@imageko.com")

    def send_raw(raw: bytes) -> None:
        with smtplib.SMTP("127.0.0.1", receiver_port, timeout=30) as smtp:
            smtp.sendmail(CUSTOMER, ["support@imageko.com"], raw)

    with pytest.raises(smtplib.SMTPDataError) as refused:
        await asyncio.to_thread(send_raw, b"\r\n\r\n")
    assert refused.value.smtp_code == 554


async def test_mail_to_urgent_is_urgent_whatever_its_words_and_names_the_team(
    app: FastAPI, receiver_port: int, smtp_sink: SmtpSink
) -> None:
    await _send(receiver_port, _mail(to="urgent@imageko.com", message_id="<u1@mail.example>"))
    tickets: TicketService = app.state.tickets
    (ticket,) = await tickets.queue("urgent")
    assert (ticket.priority, ticket.sla_rule) == ("urgent", "urgent")
    (mailbox,) = ticket.routing["raises"]
    assert mailbox["because"] == ["mail to urgent@imageko.com"]
    assert mailbox["explanation"].startswith("Priority raised: normal → urgent")
    outbox = Outbox(
        session_factory(app.state.engine),
        {"email": Mailer("127.0.0.1", smtp_sink.port, "desk@imageko.com").send_raw},
    )
    assert await outbox.run_once() == 1
    (ack,) = smtp_sink.messages
    assert ack["From"] == "urgent@imageko.com"
    text = ack.get_body(("plain",)).get_content()
    assert "Our urgent security team will review it and reply here within 6 hours" in text


async def test_an_upset_email_is_raised_and_tagged(app: FastAPI, receiver_port: int) -> None:
    body = "I've written four times already and I'm fed up. My downloads fail."
    await _send(receiver_port, _mail(body=body, message_id="<angry@mail.example>"))
    tickets: TicketService = app.state.tickets
    (ticket,) = await tickets.queue("support")
    assert ticket.priority == "high"  # human_request (assistant down) is normal by the table
    assert policy.UPSET_TAG in ticket.tags
    assert ticket.routing["raises"][-1]["because"] == ["written four times", "fed up"]

"""Email, the primary channel: each message is stored, threaded into its conversation, read by
the assistant, and answered (a help-centre answer) or turned into a ticket with an acknowledgment.

Threading needs no state beyond the messages: a conversation is named by its thread's root
Message-ID (the first of `References`), and every reply we send carries that root. Mail
programs that drop `References` still send `In-Reply-To`, or keep the `[IMG-000123]` tag of
the subject.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations.decision import Kind, decide
from bot.conversations.outbox import Outbox
from bot.conversations.store import ConversationStore
from bot.db.models import (
    Conversation,
    Direction,
    Message,
    MessageStatus,
    Ticket,
    utcnow,
)
from bot.errors import AssistantUnavailable
from bot.kb import service as kb
from bot.kb.reply import compose as compose_answer
from bot.language.detect import detect
from bot.rasa.client import RasaClient
from bot.security.images import NotAnImage, clean_image
from bot.security.redact import redact, redact_data
from bot.tickets.acks import acknowledgment
from bot.tickets.base import ticket_id_of
from bot.tickets.customers import CustomerDirectory
from bot.tickets.handoffs import unverified_identity
from bot.tickets.service import TicketService
from bot.triage import policy
from bot.triage.raises import RAISES_KEY, priority_raise
from bot.triage.routing import route
from channels.base import InboundMessage, OutboundMessage
from channels.base.media import IMAGE_EXTENSIONS
from channels.email.parse import ParsedEmail, parse_email
from channels.email.render import compose, reply_subject

log = logging.getLogger(__name__)
CHANNEL = "email"
# More mail than this from one sender in an hour gets no automatic answer (a runaway loop).
RATE_LIMIT_PER_HOUR = 10
_TAG = re.compile(r"\[(IMG-\d{6})\]", re.IGNORECASE)
_DIDNT_HELP = {
    "en": "If this did not solve it, just reply to this email and a person will take it over.",
    "es": "Si esto no lo resuelve, responde a este correo y una persona se hará cargo.",
    "fr": "Si cela ne règle pas le problème, répondez simplement à cet e-mail : une personne "
    "prendra le relais.",
}


def thread_id(parsed: ParsedEmail) -> str:
    """The conversation an email belongs to: named by its thread's root message id."""
    root = parsed.references[0] if parsed.references else parsed.in_reply_to or parsed.message_id
    return "email-" + hashlib.sha256(root.encode()).hexdigest()[:24]


def queue_for(recipients: tuple[str, ...]) -> str:
    """The queue of the first of our addresses the mail was sent to (support by default)."""
    by_address = {address: queue for queue, address in policy.QUEUES.items()}
    return next((by_address[r] for r in recipients if r in by_address), "support")


@dataclass(frozen=True, slots=True)
class Received:
    """What the intake did with one email."""

    conversation_id: str
    outcome: str  # duplicate | appended | reopened | quiet | answered | ticket
    ticket: str | None = None


class MailIntake:
    """Receives parsed mail from the SMTP receiver and the IMAP poller alike."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        store: ConversationStore,
        tickets: TicketService,
        customers: CustomerDirectory,
        rasa: RasaClient,
        attachments_dir: Path,
        public_url: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._store = store
        self._tickets = tickets
        self._customers = customers
        self._rasa = rasa
        self._attachments = attachments_dir
        self._public_url = public_url.rstrip("/")
        self._clock = clock

    async def receive(self, raw: bytes, envelope_sender: str | None = None) -> Received:
        """Store one email, then answer it, ticket it, or keep quiet; raises `BadEmail`."""
        # A hostile 25 MB message takes the parser seconds: not on the event loop.
        parsed = await asyncio.to_thread(parse_email, raw, envelope_sender)
        if await self._known(parsed.message_id):  # a retry of the same delivery
            return Received("", "duplicate")
        conversation_id = await self._conversation_of(parsed)
        previous = await self._store.conversation_lang(conversation_id)
        text = parsed.text or parsed.subject
        lang = await asyncio.to_thread(detect, f"{parsed.subject}\n{text}", previous)
        customer = await self._customers.resolve(CHANNEL, {"email": parsed.sender})
        # What the desk keeps of a mail: its new text, these headers and the images, with
        # secrets masked where a person typed (subject, attachment names); addresses and
        # message ids stay exact, replies are threaded with them.
        # Re-encoding decodes every pixel: CPU work, off the event loop.
        saved, refused = await asyncio.to_thread(self._save_attachments, parsed)
        metadata: dict[str, Any] = {
            "from": parsed.sender,
            "to": list(parsed.recipients),
            "subject": redact(parsed.subject),
            "message_id": parsed.message_id,
            "references": list(parsed.references),
            "queue": queue_for(parsed.recipients),
            "automated": parsed.automated,
            "attachments": redact_data(saved),
            "dropped": redact_data([*parsed.dropped, *refused]),
        }
        inbound = await self._store.record_inbound(
            InboundMessage(conversation_id, CHANNEL, redact(text), lang, metadata),
            lang,
            customer.id if customer else None,
            external_id=parsed.message_id,
        )
        outcome = await self._process(parsed, inbound, conversation_id, lang, customer)
        await self._store.mark(inbound.id, MessageStatus.PROCESSED)
        return outcome

    async def _process(
        self,
        parsed: ParsedEmail,
        inbound: Message,
        conversation_id: str,
        lang: str,
        customer: Any,
    ) -> Received:
        if inbound.ticket_id is not None:  # people own it: it joins their ticket
            await self._tickets.customer_wrote(inbound.ticket_id, inbound.id)
            return Received(conversation_id, "appended")
        reopened = await self._tickets.reopen_for_customer(conversation_id, inbound.id)
        if reopened is not None:
            return Received(conversation_id, "reopened", reopened.number)
        if parsed.automated or await self._over_limit(parsed.sender):
            return Received(conversation_id, "quiet")  # stored; never auto-answered
        plan = customer.plan if customer else None
        queue = queue_for(parsed.recipients)
        answered_before = await self._answered(conversation_id)
        text = f"{parsed.subject}\n\n{parsed.text}".strip()
        try:
            nlu = await self._rasa.parse(text)
        except AssistantUnavailable:  # mail is never lost to an outage: people take it
            log.warning("assistant down: email %s goes straight to people", parsed.message_id)
            nlu = {"intent": {"name": "human_request", "confidence": 1.0}}
        intent = str((nlu.get("intent") or {}).get("name") or "")
        confidence = float((nlu.get("intent") or {}).get("confidence") or 0.0)
        ranking = [(str(i["name"]), float(i["confidence"])) for i in nlu.get("intent_ranking", [])]
        outcome = await asyncio.to_thread(
            decide, intent, confidence, ranking, text, lang, plan, kb.answer
        )
        if outcome.kind is Kind.SMALLTALK and not answered_before:
            return Received(conversation_id, "quiet")  # a "thanks!" needs no ticket
        if outcome.kind is Kind.ANSWER and outcome.kb is not None and not answered_before:
            # The same answer as in the chat (short answer, then the article's link); the
            # email renderer makes its plain and HTML parts from this Markdown.
            answer = compose_answer(outcome.kb.hits[0], self._public_url)
            footer = _DIDNT_HELP.get(lang, _DIDNT_HELP["en"])
            body = f"{answer}\n\n{footer}"
            await self._reply(conversation_id, parsed, body, lang, queue, kind="answer")
            return Received(conversation_id, "answered")
        # Everything else, and any reply to an answer, goes to people: the address names the
        # queue, the policy the topic, tier, priority and due time (an urgent raise wins).
        decision = outcome.routing
        if policy.TOPICS.get(decision.topic, policy.TOPICS["out_of_scope"]).queue is None:
            decision = route("human_request", 1.0, text, lang, plan, handoff=True)
        routing = decision.as_dict()
        if routing["queue"] != policy.URGENT_QUEUE:
            routing["queue"] = queue
        if queue == policy.URGENT_QUEUE and routing["priority"] != policy.Priority.URGENT:
            # Mail to urgent@ is urgent by its mailbox, whatever its words (policy §4).
            because = [f"mail to {policy.QUEUES[queue]}"]
            urgent = policy.Priority.URGENT.value
            mailbox = priority_raise("mailbox", routing["priority"], urgent, because)
            routing[RAISES_KEY] = [*routing.get(RAISES_KEY, []), mailbox]
            routing["priority"] = urgent
        if decision.topic in policy.VERIFY_TOPICS:
            routing["verified"] = False  # a From address proves nothing: agents verify
        # The From address may find the customer's card, but it is not proof of who wrote.
        routing.update(unverified_identity("email_from"))
        opened = await self._tickets.open_from_handoff(
            conversation_id,
            routing,
            channel=CHANNEL,
            lang=lang,
            plan=plan,
            customer_id=customer.id if customer else None,
        )
        await self._reply(
            conversation_id,
            parsed,
            # Email has no live queue: the acknowledgment gives the expected response time.
            acknowledgment(replace(opened.handoff, live_position=None)),
            lang,
            opened.ticket.queue,
            kind="ack",
            ticket=opened.ticket,
        )
        return Received(conversation_id, "ticket", opened.ticket.number)

    async def deliver(self, message: OutboundMessage) -> None:
        """An agent's reply on an email conversation: mailed, threaded, through the outbox."""
        async with self._sessions() as session:
            last = await session.scalar(
                select(Message)
                .where(Message.conversation_id == message.conversation_id)
                .where(Message.direction == Direction.INBOUND)
                .order_by(Message.id.desc())
                .limit(1)
            )
            ticket = await session.scalar(
                select(Ticket)
                .where(Ticket.conversation_id == message.conversation_id)
                .order_by(Ticket.id.desc())
                .limit(1)
            )
        if last is None:
            raise LookupError(f"no email from the customer in {message.conversation_id}")
        await self._reply(
            message.conversation_id,
            _from_meta(last),
            message.text,
            last.lang or "en",
            ticket.queue if ticket else "support",
            kind="agent",
            ticket=ticket,
            record=False,
        )

    async def _reply(
        self,
        conversation_id: str,
        parsed: ParsedEmail,
        text: str,
        lang: str,
        queue: str,
        *,
        kind: str,
        ticket: Ticket | None = None,
        record: bool = True,
    ) -> None:
        """Compose the reply, write it to the transcript (unless an agent's reply already is)
        and queue it in the outbox, in one transaction."""
        email = compose(
            to=parsed.sender,
            sender=policy.QUEUES.get(queue, policy.QUEUES["support"]),
            # Our reply is kept in the outbox: "Re:" a subject that held a card number must not.
            subject=reply_subject(redact(parsed.subject), ticket.number if ticket else None),
            text=text,
            lang=lang,
            now=self._clock(),
            in_reply_to=parsed.message_id,
            references=parsed.references,
            auto_reply=kind in ("ack", "answer"),
        )
        async with self._sessions.begin() as session:
            line = None
            if record:
                line = Message(
                    conversation_id=conversation_id,
                    direction=Direction.OUTBOUND,
                    sender="bot" if kind == "answer" else "system",
                    text=text,
                    payload={},
                    meta={"kind": kind},
                    lang=lang,
                    status=MessageStatus.RECEIVED,  # SENT once the mail server took it
                    ticket_id=ticket.id if ticket else None,
                    external_id=str(email["Message-ID"]),
                )
                session.add(line)
                await session.flush()
            Outbox.add(session, CHANNEL, parsed.sender, email.as_string(), line, self._clock())

    async def _known(self, message_id: str) -> bool:
        """Already processed: a server's retry of a delivery we answered 250 to, or IMAP."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(Message.id)
                .where(Message.external_id == message_id)
                .where(Message.status == MessageStatus.PROCESSED)
                .limit(1)
            )
            return found is not None

    async def _conversation_of(self, parsed: ParsedEmail) -> str:
        """The thread's conversation; failing that, the one our replied-to message is in, or
        the tagged ticket's (only for the same sender); else a new thread."""
        candidate = thread_id(parsed)
        async with self._sessions() as session:
            if await session.get(Conversation, candidate) is not None:
                return candidate
            for ref in (parsed.in_reply_to, *reversed(parsed.references)):
                if ref:
                    found = await session.scalar(
                        select(Message.conversation_id).where(Message.external_id == ref).limit(1)
                    )
                    if found is not None:
                        return found
            tag = _TAG.search(parsed.subject)
            if tag is not None:
                ticket = await session.get(Ticket, ticket_id_of(tag.group(1)))
                if ticket is not None and ticket.channel == CHANNEL:
                    first = await session.scalar(
                        select(Message)
                        .where(Message.conversation_id == ticket.conversation_id)
                        .where(Message.direction == Direction.INBOUND)
                        .order_by(Message.id)
                        .limit(1)
                    )
                    if first is not None and first.meta.get("from") == parsed.sender:
                        return ticket.conversation_id
        return candidate

    async def _answered(self, conversation_id: str) -> bool:
        async with self._sessions() as session:
            found = await session.scalar(
                select(Message.id)
                .where(Message.conversation_id == conversation_id)
                .where(Message.direction == Direction.OUTBOUND, Message.sender == "bot")
                .limit(1)
            )
            return found is not None

    async def _over_limit(self, sender: str) -> bool:
        since = self._clock() - timedelta(hours=1)
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Message.meta)
                .where(Message.direction == Direction.INBOUND)
                .where(Message.created_at >= since)
                .join(Conversation)
                .where(Conversation.channel == CHANNEL)
            )
            count = sum(1 for meta in rows if meta.get("from") == sender)
        return count > RATE_LIMIT_PER_HOUR

    def _save_attachments(self, parsed: ParsedEmail) -> tuple[list[dict[str, Any]], list[str]]:
        """The images kept (re-encoded, like web chat uploads: a PNG header followed by HTML
        is not an image), and why any other was dropped."""
        if not parsed.attachments:
            return [], []
        folder = self._attachments / hashlib.sha256(parsed.message_id.encode()).hexdigest()[:24]
        folder.mkdir(parents=True, exist_ok=True)
        saved: list[dict[str, Any]] = []
        refused: list[str] = []
        for number, original in enumerate(parsed.attachments):
            try:
                image = clean_image(original.data)
            except NotAnImage as exc:
                refused.append(f"{original.filename}: {exc}")
                continue
            attachment = replace(original, data=image.data, content_type=image.content_type)
            # Named by position and type, not by the sender's file name (which is kept,
            # redacted, in the metadata): nothing a customer typed becomes a file name.
            path = folder / f"{number}.{IMAGE_EXTENSIONS[attachment.content_type]}"
            path.write_bytes(attachment.data)
            saved.append(
                {
                    "filename": attachment.filename,
                    "content_type": attachment.content_type,
                    "bytes": len(attachment.data),
                    "path": str(path),
                }
            )
        return saved, refused


def _from_meta(message: Message) -> ParsedEmail:
    """Enough of the customer's last email to reply under it."""
    meta = message.meta
    return ParsedEmail(
        message_id=str(meta.get("message_id") or ""),
        in_reply_to=None,
        references=tuple(meta.get("references") or ()),
        sender=str(meta.get("from") or ""),
        sender_name="",
        recipients=tuple(meta.get("to") or ()),
        subject=str(meta.get("subject") or ""),
        text="",
        attachments=(),
        automated=False,
        dropped=(),
    )

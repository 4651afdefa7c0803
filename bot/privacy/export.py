"""A customer's data export (GDPR art. 15 and 20): one JSON document of what the desk holds
about them, with the files they sent, in a ZIP.

What goes in: their customer record (never the authenticator secret), their conversations
with every message, their tickets with transcript and log, their verification attempts
(never a code or its hash) and their earlier privacy requests. Agents' internal notes about
them go in too: notes about a person are that person's data (CJEU C-434/16, Nowak), and a
desk that holds them back invites the complaint it wanted to avoid. Staff identities do not
(art. 15(4), the rights of others): every staff actor is shown as "agent" or "support team".
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Conversation,
    Customer,
    Message,
    PrivacyRequest,
    Ticket,
    TicketEvent,
    Verification,
)
from bot.privacy.scope import attachment_files, conversation_ids, tickets_of

FORMAT = "imageko-support-export/1"
DOCUMENT = "imageko-support-data.json"
# What the log of a ticket shows of each action besides who and when: the agents' own words
# about the case; never the routing internals or which agent was assigned.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "note": ("text",),
    "transferred": ("from", "to", "reason"),
    "escalated": ("from", "to", "reason"),
}
NOT_STAFF = frozenset({"bot", "customer", "system"})


@dataclass(frozen=True, slots=True)
class Archive:
    """The export's document and the files that go beside it (name in the ZIP, path)."""

    document: dict[str, Any]
    files: list[tuple[str, Path]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How much it holds, for the audit line (never the data itself)."""
        return {
            "conversations": len(self.document["conversations"]),
            "messages": sum(len(c["messages"]) for c in self.document["conversations"]),
            "tickets": len(self.document["tickets"]),
            "verifications": len(self.document["verifications"]),
            "files": len(self.files),
        }


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _by(actor: str) -> str:
    return actor if actor in NOT_STAFF else "agent"


def _message(message: Message, files: dict[int, list[str]]) -> dict[str, Any]:
    line: dict[str, Any] = {
        "at": _at(message.created_at),
        "direction": message.direction.value,
        "from": message.sender,
        "text": message.text,
        "lang": message.lang,
    }
    if isinstance(message.meta.get("subject"), str):
        line["subject"] = message.meta["subject"]
    if message.id in files:
        line["files"] = files[message.id]
    return line


def _event(event: TicketEvent) -> dict[str, Any]:
    shown = {k: event.data[k] for k in EVENT_FIELDS.get(event.action, ()) if k in event.data}
    return {"at": _at(event.at), "action": event.action, "by": _by(event.actor), **shown}


def _customer(customer: Customer) -> dict[str, Any]:
    return {
        "account_id": customer.account_id,
        "email": customer.email,
        "name": customer.name,
        "plan": customer.plan,
        "lang": customer.lang,
        "created_at": _at(customer.created_at),
        "two_factor_authentication": customer.totp_secret is not None,
        "identities": [
            {"channel": i.channel, "id": i.external_id}
            for i in sorted(customer.identities, key=lambda i: (i.channel, i.external_id))
        ],
    }


def _ticket(ticket: Ticket, transcript: list[dict[str, Any]], log: list[TicketEvent]) -> Any:
    return {
        "number": ticket.number,
        "channel": ticket.channel,
        "topic": ticket.topic,
        "queue": ticket.queue,
        "tier": ticket.tier,
        "priority": ticket.priority,
        "status": ticket.status.value,
        "lang": ticket.lang,
        "plan": ticket.plan,
        "summary": ticket.summary,
        "created_at": _at(ticket.created_at),
        "first_response_at": _at(ticket.first_response_at),
        "resolved_at": _at(ticket.resolved_at),
        "closed_at": _at(ticket.closed_at),
        "transcript": transcript,
        "log": [_event(event) for event in log],
    }


def _verification(attempt: Verification) -> dict[str, Any]:
    return {
        "at": _at(attempt.created_at),
        "method": "emailed code" if attempt.code_hash is not None else "authenticator code",
        "wrong_tries": attempt.tries,
        "verified_at": _at(attempt.verified_at),
    }


def _request(request: PrivacyRequest) -> dict[str, Any]:
    return {
        "kind": request.kind.value,
        "asked_by": "you" if request.requested_by == "customer" else "support team",
        "status": request.status.value,
        "at": _at(request.created_at),
    }


async def build(session: AsyncSession, customer_id: int, var_dir: Path, now: datetime) -> Archive:
    """Everything the store holds about one customer, read in the caller's transaction."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise LookupError(f"no customer {customer_id}")
    ids = await conversation_ids(session, customer_id)
    conversations = list(
        await session.scalars(select(Conversation).where(Conversation.id.in_(ids)))
    )
    messages = list(
        await session.scalars(
            select(Message).where(Message.conversation_id.in_(ids)).order_by(Message.id)
        )
    )
    files: list[tuple[str, Path]] = []
    names: dict[int, list[str]] = {}
    for message in messages:
        for number, (name, path) in enumerate(attachment_files(message, var_dir)):
            if path.is_file():
                inside = f"files/{message.id}-{number}-{Path(name).name or 'file'}"
                files.append((inside, path))
                names.setdefault(message.id, []).append(inside)
    lines = {message.id: _message(message, names) for message in messages}
    tickets = await tickets_of(session, customer_id, ids)
    events = list(
        await session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id.in_([t.id for t in tickets]))
            .order_by(TicketEvent.id)
        )
    )
    attempts = await session.scalars(
        select(Verification)
        .where(Verification.customer_id == customer_id)
        .order_by(Verification.id)
    )
    requests = await session.scalars(
        select(PrivacyRequest)
        .where(PrivacyRequest.customer_id == customer_id)
        .order_by(PrivacyRequest.id)
    )
    document = {
        "format": FORMAT,
        "generated_at": now.isoformat(),
        "customer": _customer(customer),
        "conversations": [
            {
                "id": conversation.id,
                "channel": conversation.channel,
                "lang": conversation.lang,
                "started_at": _at(conversation.created_at),
                "messages": [lines[m.id] for m in messages if m.conversation_id == conversation.id],
            }
            for conversation in sorted(conversations, key=lambda c: (c.created_at, c.id))
        ],
        "tickets": [
            _ticket(
                ticket,
                [lines[m.id] for m in messages if m.ticket_id == ticket.id],
                [e for e in events if e.ticket_id == ticket.id],
            )
            for ticket in tickets
        ],
        "verifications": [_verification(attempt) for attempt in attempts],
        "privacy_requests": [_request(request) for request in requests],
    }
    return Archive(document, files)


def write_zip(archive: Archive, path: Path) -> None:
    """Write the archive as a ZIP, readable by its owner only (blocking: run it in a thread)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.touch(mode=0o600)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(DOCUMENT, json.dumps(archive.document, ensure_ascii=False, indent=2))
        for inside, source in archive.files:
            bundle.write(source, inside)

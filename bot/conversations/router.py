"""The conversation router: every channel's inbound messages pass through here.

Who answers is decided by the conversation's state: the bot, or the people of an open ticket.
A message is stored first, in the same transaction that reads that state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.conversations.store import ConversationStore
from bot.db.models import Message, MessageStatus
from bot.errors import AssistantUnavailable
from bot.language.detect import detect
from bot.rasa.client import RasaClient
from bot.security.redact import redact, redact_data
from bot.tickets.acks import acknowledgment
from bot.tickets.customers import CustomerDirectory
from bot.tickets.handoffs import with_claims
from bot.tickets.service import TicketService
from bot.triage.routing import HANDOFF_KEY
from channels.base import InboundMessage, OutboundMessage


@dataclass(frozen=True, slots=True)
class RoutedReplies:
    """What the router did with one inbound message."""

    inbound: Message
    lang: str
    replies: list[OutboundMessage]
    ticket: str | None = None  # the number of the ticket that owns the conversation, if any


def split_handoff(
    replies: Sequence[OutboundMessage],
) -> tuple[dict[str, Any] | None, list[OutboundMessage]]:
    """Take the assistant's handoff decision out of its replies (customers never see it)."""
    decision: dict[str, Any] | None = None
    kept: list[OutboundMessage] = []
    for reply in replies:
        custom = reply.custom or {}
        if isinstance(custom.get(HANDOFF_KEY), dict) and not reply.text:
            decision = custom[HANDOFF_KEY]
        else:
            kept.append(reply)
    return decision, kept


def redacted(message: InboundMessage) -> InboundMessage:
    """The message as the desk keeps it: secrets masked in its text and its metadata."""
    return replace(message, text=redact(message.text), metadata=redact_data(message.metadata))


class ConversationRouter:
    """Stores each inbound message, then lets the bot or the ticket's people have it."""

    def __init__(
        self,
        store: ConversationStore,
        rasa: RasaClient,
        tickets: TicketService,
        customers: CustomerDirectory,
    ) -> None:
        self._store = store
        self._rasa = rasa
        self._tickets = tickets
        self._customers = customers

    async def keep(self, message: InboundMessage, why: str) -> None:
        """Store a message that will not be processed (a flood), so it is refused, not lost."""
        stored = await self._store.record_inbound(redacted(message), "")
        await self._store.mark(stored.id, MessageStatus.FAILED, why)

    async def handle(self, message: InboundMessage) -> RoutedReplies:
        """Route one customer message; raises `AssistantUnavailable` after storing it."""
        lang = message.lang
        if lang is None:
            previous = await self._store.conversation_lang(message.conversation_id)
            # lingua is CPU-bound (a few ms); keep the event loop free for other customers.
            lang = await asyncio.to_thread(detect, message.text, previous)
        customer = await self._customers.resolve(message.channel, message.metadata)
        customer_id = customer.id if customer is not None else None
        # The transcript never holds card numbers, passwords or codes (policy §8); the
        # assistant still reads the message as written, to check a verification code.
        inbound = await self._store.record_inbound(redacted(message), lang, customer_id)
        if inbound.ticket_id is not None:  # people own it: the bot stays silent
            await self._tickets.customer_wrote(inbound.ticket_id, inbound.id)
            await self._store.mark(inbound.id, MessageStatus.PROCESSED)
            ticket = await self._tickets.active_ticket(message.conversation_id)
            return RoutedReplies(inbound, lang, [], ticket.number if ticket else None)

        plan = message.metadata.get("plan") or (customer.plan if customer else None)
        # What the customer only claimed (unsigned) is for agents' eyes, not the assistant's.
        claimed = message.metadata.get("claimed")
        metadata = {k: v for k, v in message.metadata.items() if k != "claimed"}
        metadata.update(lang=lang, channel=message.channel)
        if plan:
            metadata["plan"] = plan
        try:
            raw = await self._rasa.send(message.conversation_id, message.text, metadata)
        except AssistantUnavailable as exc:
            await self._store.mark(inbound.id, MessageStatus.FAILED, exc.message)
            raise
        decision, replies = split_handoff(raw)
        await self._store.record_replies(replies, lang)
        number = None
        if decision is not None:
            if isinstance(claimed, dict) and claimed:
                # A signed identity (its account id) proves who they are; a claim never does.
                decision = with_claims(decision, claimed, proven="account_id" in metadata)
            opened = await self._tickets.open_from_handoff(
                message.conversation_id,
                decision,
                channel=message.channel,
                lang=lang,
                plan=str(plan) if plan else None,
                customer_id=customer_id,
            )
            ack = OutboundMessage(
                conversation_id=message.conversation_id, text=acknowledgment(opened.handoff)
            )
            await self._store.record_replies(
                [ack], lang, sender="system", ticket_id=opened.ticket.id
            )
            replies.append(ack)
            number = opened.ticket.number
        await self._store.mark(inbound.id, MessageStatus.PROCESSED)
        return RoutedReplies(inbound=inbound, lang=lang, replies=replies, ticket=number)

"""An upset customer on a ticket (bot/triage/tone.py found the words): the priority goes up
one step, once per ticket; the ticket is tagged for the queue; the raise and its words are kept
in the routing explanation (`raises`) and in the ticket's log; supervisors get an alert when
the customer pays for priority or the ticket is already at risk of its SLA."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Alert, Ticket, TicketEvent
from bot.tickets.acks import format_due
from bot.triage import policy, sla, tone
from bot.triage.raises import RAISES_KEY, priority_raise

ALERT_KIND = "upset_customer"
RAISED = "priority_raised"  # the log action of a raise


def log_raises(
    session: AsyncSession, ticket: Ticket, raises: Sequence[Mapping[str, Any]], at: datetime
) -> None:
    """Each raise in the ticket's log, when it happened. Not a `note`: notes are the agents'
    words and go into the customer's data export, routing internals do not."""
    for item in raises:
        session.add(
            TicketEvent(ticket_id=ticket.id, actor="system", action=RAISED, data=dict(item), at=at)
        )


def _alert_text(ticket: Ticket, words: Sequence[str], why: str) -> str:
    quoted = ", ".join(f"'{w}'" for w in words)
    return (
        f"{ticket.number}: upset customer ({why}), because: {quoted}. Queue {ticket.queue}, "
        f"tier {ticket.tier}, priority {ticket.priority}, {ticket.plan} plan, topic "
        f"{ticket.topic}, first response due {format_due(ticket.due_at, 'en')}. {ticket.summary}"
    )


def _why_alert(ticket: Ticket, now: datetime) -> str | None:
    reasons = []
    if ticket.plan in policy.PRIORITY_PLANS:
        reasons.append(f"{ticket.plan} plan")
    if sla.at_risk(now, ticket.due_at, ticket.first_response_at):
        reasons.append("SLA at risk")
    return " and ".join(reasons) or None


def mark_upset(
    session: AsyncSession,
    ticket: Ticket,
    words: Sequence[str],
    now: datetime,
    clock_from: datetime,
) -> bool:
    """Apply the customer's tone to a flushed ticket; False when there is nothing to do.

    The due times are those of the raised priority counted from `clock_from`, never later than
    they were. Supervisors hear of a ticket once (the routing remembers the alert).
    """
    if not words:
        return False
    routing = dict(ticket.routing or {})
    raised = policy.UPSET_TAG not in ticket.tags
    if raised:
        before = ticket.priority
        ticket.priority = tone.one_step_up(before)
        item = priority_raise("tone", before, ticket.priority, words)
        routing[RAISES_KEY] = [*routing.get(RAISES_KEY, []), item]
        ticket.tags = sorted({*ticket.tags, policy.UPSET_TAG})
        due = sla.sla_for(
            clock_from, plan=ticket.plan, priority=ticket.priority, topic=ticket.topic
        )
        if due.first_response_due < ticket.due_at:
            ticket.due_at, ticket.sla_rule = due.first_response_due, due.rule
        ticket.breach_at = min(ticket.breach_at, due.breach_at)
        log_raises(session, ticket, [item], now)
    why = None if routing.get("upset_alerted") else _why_alert(ticket, now)
    if why is not None:
        alert = Alert(ticket_id=ticket.id, kind=ALERT_KIND, message=_alert_text(ticket, words, why))
        alert.created_at = now
        session.add(alert)
        routing["upset_alerted"] = True
    ticket.routing = routing
    return raised or why is not None

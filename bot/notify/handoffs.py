"""New hand-offs announced in the team's Slack channel, so people see work arrive even with no
console open. Best effort and off the customer's path: a failed post is logged, and the ticket,
its SLA clock and its breach alert stand regardless."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.tickets.service import TicketService
from channels.base.errors import PlatformError
from channels.slack.adapter import SlackAdapter
from channels.slack.notify import HandoffNotice, notify_handoff

log = logging.getLogger(__name__)
ANNOUNCED = frozenset({"created", "reopened"})


class HandoffNotices:
    """Listens to the tickets' events and posts each new hand-off to `channel`."""

    def __init__(
        self, slack: SlackAdapter, channel: str, tickets: TicketService, public_url: str
    ) -> None:
        self._slack = slack
        self._channel = channel
        self._tickets = tickets
        self._public_url = public_url
        self._posting: set[asyncio.Task[None]] = set()

    async def on_event(self, event: dict[str, Any]) -> None:
        """A ticket event: new work is posted in the background."""
        if event.get("type") == "ticket" and event.get("kind") in ANNOUNCED:
            task = asyncio.create_task(self._post(str(event["number"])))
            self._posting.add(task)  # held until done: the loop keeps only weak references
            task.add_done_callback(self._posting.discard)

    async def _post(self, number: str) -> None:
        try:
            ticket = await self._tickets.get(number)
            notice = HandoffNotice(
                number=number,
                topic=ticket.topic,
                queue=ticket.queue,
                tier=ticket.tier,
                priority=ticket.priority,
                summary=ticket.summary,
                due=ticket.due_at,
            )
            await notify_handoff(
                self._slack, notice, channel=self._channel, public_url=self._public_url
            )
        except PlatformError as exc:
            log.warning("hand-off %s not announced on Slack: %s", number, exc)
        except Exception:  # a notice must never take anything else down
            log.exception("hand-off %s not announced on Slack", number)

"""Tickets and what agents do with them. Every operation is one transaction and is audited.

The conversation's state follows the ticket: `queued` while it waits in a queue, `agent` while
an agent owns it, `bot` again once resolved. The router reads that state on every message.
The service is assembled from its parts: the bot's side (`handoffs`), reading (`views`) and
agents' operations (`operations`), on the shared plumbing of `base`.
"""

from __future__ import annotations

from bot.tickets.handoffs import Handoffs
from bot.tickets.operations import Operations
from bot.tickets.views import Views


class TicketService(Handoffs, Views, Operations):
    """Opens tickets from the bot's handoffs and carries out agents' operations."""

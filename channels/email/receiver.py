"""The SMTP receiver (aiosmtpd): mail for our addresses, answered 250 only once stored."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiosmtpd.smtp import SMTP

from channels.email.parse import MAX_EMAIL_BYTES, BadEmail, TooLarge

log = logging.getLogger(__name__)
# Stores and processes one raw message from an envelope sender; raises BadEmail to refuse it.
Deliver = Callable[[bytes, str | None], Awaitable[object]]


class Receiver:
    """aiosmtpd handler. A failure of ours is a temporary 451, so the sending server retries
    and nothing is lost; only a message that cannot be read is refused for good."""

    def __init__(self, addresses: frozenset[str], deliver: Deliver) -> None:
        self._addresses = frozenset(a.lower() for a in addresses)
        self._deliver = deliver

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() not in self._addresses:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        try:
            await self._deliver(raw, envelope.mail_from)
        except TooLarge:
            return "552 5.3.4 message too big"
        except BadEmail as exc:
            log.warning("refused mail from %s: %s", envelope.mail_from, exc.reason)
            return f"554 5.6.0 cannot read this message: {exc.reason}"
        except Exception:
            log.exception("mail from %s not processed; the sender will retry", envelope.mail_from)
            return "451 4.3.0 temporary failure, try again later"
        return "250 OK"


async def serve(handler: Receiver, host: str, port: int) -> asyncio.Server:
    """Listen on the running loop (no thread): the handler shares the hub's event loop."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(handler, data_size_limit=MAX_EMAIL_BYTES, hostname="imageko"), host, port
    )

"""Mail coming in: the SMTP receiver for support@, trust@ and urgent@, and IMAP polling."""

from __future__ import annotations

import asyncio
import logging

from bot.conversations.mail import MailIntake
from bot.settings import Settings
from bot.triage import policy
from channels.email import imap
from channels.email.imap import ImapConfig
from channels.email.parse import BadEmail
from channels.email.receiver import Receiver, serve

log = logging.getLogger(__name__)


def imap_config(settings: Settings) -> ImapConfig:
    """The mailbox the settings name."""
    password = settings.imap_password.get_secret_value() if settings.imap_password else ""
    return ImapConfig(
        settings.imap_host, settings.imap_port, settings.imap_user, password, ssl=settings.imap_ssl
    )


async def poll_imap(config: ImapConfig, intake: MailIntake, settings: Settings) -> None:
    """Read the mailbox every `imap_poll_s` seconds; a failed round is logged and retried."""

    async def handle(raw: bytes) -> None:
        try:
            await intake.receive(raw)
        except BadEmail as exc:  # unreadable: logged, marked seen, never retried forever
            log.warning("unreadable mail in %s: %s", config.host, exc)

    while True:
        try:
            await imap.poll(config, handle)
        except imap.ImapError as exc:
            log.warning("IMAP poll failed: %s", exc)
        await asyncio.sleep(settings.imap_poll_s)


async def receive_smtp(intake: MailIntake, settings: Settings) -> asyncio.Server:
    """The SMTP receiver, taking mail for the queues' addresses into the intake."""
    receiver = Receiver(frozenset(policy.QUEUES.values()), intake.receive)
    return await serve(receiver, settings.email_receiver_host, settings.email_receiver_port)

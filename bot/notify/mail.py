"""Outbound email through the configured SMTP server (aiosmtplib)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from bot.settings import Settings


class Mailer:
    """Sends plain-text mail from one address; raises when the server refuses it."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailer:
        """The mailer the settings describe (SMTP_* variables)."""
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            settings.smtp_username or None,
            password,
        )

    async def send(self, to: str, subject: str, text: str) -> None:
        """Send one message to `to`."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self._sender, to, subject
        message["Auto-Submitted"] = "auto-generated"  # never answered by auto-responders
        message.set_content(text)
        await aiosmtplib.send(
            message,
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            timeout=10,
        )

    async def send_raw(self, recipient: str, payload: str) -> None:
        """Send an already composed RFC 5322 message (the outbox's email transport)."""
        await aiosmtplib.send(
            payload.encode(),
            sender=self._sender,
            recipients=[recipient],
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            timeout=10,
        )

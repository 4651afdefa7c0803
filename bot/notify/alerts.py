"""Where SLA alerts go: a Slack channel (Slack's Web API) and/or an email address (SMTP)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings


class AlertSender(Protocol):
    """Sends one alert; raises when the destination did not take it."""

    async def send(self, subject: str, text: str) -> None: ...


class SlackAlerts:
    """Posts alerts to one Slack channel with the bot token (chat.postMessage)."""

    def __init__(self, client: AsyncWebClient, channel: str) -> None:
        self._client = client
        self._channel = channel

    async def send(self, subject: str, text: str) -> None:
        # slack_sdk raises SlackApiError on `ok: false`, so a refused post is not "sent".
        await self._client.chat_postMessage(channel=self._channel, text=f"*{subject}*\n{text}")


class EmailAlerts:
    """Mails alerts to one address through the configured SMTP server."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipient: str,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self._host, self._port = host, port
        self._sender, self._recipient = sender, recipient
        self._username, self._password = username, password

    async def send(self, subject: str, text: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self._sender, self._recipient, subject
        message.set_content(text)
        await aiosmtplib.send(
            message,
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            timeout=10,
        )


def alert_senders(settings: Settings) -> list[AlertSender]:
    """The destinations the settings configure (none: alerts are only stored)."""
    senders: list[AlertSender] = []
    if settings.alert_slack_channel and settings.slack_bot_token:
        client = AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
        )
        senders.append(SlackAlerts(client, settings.alert_slack_channel))
    if settings.alert_email_to:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        senders.append(
            EmailAlerts(
                settings.smtp_host,
                settings.smtp_port,
                settings.smtp_from,
                settings.alert_email_to,
                settings.smtp_username or None,
                password,
            )
        )
    return senders

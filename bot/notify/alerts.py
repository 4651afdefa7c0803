"""Where SLA alerts go: a Slack channel (Slack's Web API) and/or an email address (SMTP)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.notify.mail import Mailer
from bot.settings import Settings
from bot.tickets.monitor import AlertSender


class SlackAlerts:
    """Posts alerts to one Slack channel with the bot token (chat.postMessage)."""

    def __init__(self, client: AsyncWebClient, channel: str) -> None:
        self._client = client
        self._channel = channel

    async def send(self, subject: str, text: str) -> None:
        # slack_sdk raises SlackApiError on `ok: false`, so a refused post is not "sent".
        await self._client.chat_postMessage(channel=self._channel, text=f"*{subject}*\n{text}")


class EmailAlerts:
    """Mails alerts to one address."""

    def __init__(self, mailer: Mailer, recipient: str) -> None:
        self._mailer = mailer
        self._recipient = recipient

    async def send(self, subject: str, text: str) -> None:
        await self._mailer.send(self._recipient, subject, text)


def alert_senders(settings: Settings) -> list[AlertSender]:
    """The destinations the settings configure (none: alerts are only stored)."""
    senders: list[AlertSender] = []
    if settings.alert_slack_channel and settings.slack_bot_token:
        client = AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
        )
        senders.append(SlackAlerts(client, settings.alert_slack_channel))
    if settings.alert_email_to:
        senders.append(EmailAlerts(Mailer.from_settings(settings), settings.alert_email_to))
    return senders

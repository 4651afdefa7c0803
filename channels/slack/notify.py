"""The agent side of Slack: a notice in the team's channel when a conversation is handed to
people, with what they need to pick it up and a link to the ticket in the console."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from channels.base.formats import slack_escape
from channels.slack.adapter import SlackAdapter
from channels.slack.render import MAX_TEXT, PostMessage, clip, mrkdwn_length, section

OPEN_ACTION = "open_ticket"  # the console link's button; its presses carry no value


@dataclass(frozen=True, slots=True)
class HandoffNotice:
    """A new ticket as the team channel shows it."""

    number: str  # IMG-004217
    topic: str
    queue: str
    tier: int
    priority: str
    summary: str
    due: datetime  # first response due (SLA); a naive time is UTC


def console_link(public_url: str, number: str) -> str:
    """The ticket's page in the agents' console."""
    return f"{public_url.rstrip('/')}/console/tickets/{quote(number, safe='')}"


def _due(due: datetime) -> tuple[str, str]:
    """The due time as Slack shows it to each reader, in their own time zone, and as UTC text
    for clients that cannot (and for the notification's fallback)."""
    moment = due.replace(tzinfo=UTC) if due.tzinfo is None else due.astimezone(UTC)
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>", fallback


def handoff_message(notice: HandoffNotice, *, channel: str, public_url: str) -> PostMessage:
    """The notice as Block Kit: a header with the ticket number, its triage (topic, queue, tier,
    priority) and due time as fields, the summary, and a button to the ticket in the console.
    Everything from the ticket is escaped, so a customer's words in the summary cannot
    mention anyone (`<!channel>`) or hide a link. Pure."""
    link = console_link(public_url, notice.number)
    due_token, due_text = _due(notice.due)
    triage = {
        "Topic": notice.topic,
        "Queue": notice.queue,
        "Tier": str(notice.tier),
        "Priority": notice.priority,
    }
    fields = [MarkdownTextObject(text=f"*{k}*\n{slack_escape(v)}") for k, v in triage.items()]
    fields.append(MarkdownTextObject(text=f"*First response due*\n{due_token}"))
    blocks: list[Block] = [
        HeaderBlock(text=f"New hand-off: {notice.number}"),
        SectionBlock(fields=fields),
    ]
    if summary := clip(notice.summary.strip(), MAX_TEXT, length=mrkdwn_length):
        blocks.append(section(summary))
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Open in the console", url=link, action_id=OPEN_ACTION, style="primary"
                )
            ]
        )
    )
    fallback = (
        f"New hand-off {notice.number}: {notice.topic}, {notice.queue} queue, tier {notice.tier}, "
        f"{notice.priority} priority, first response due {due_text}. {link}"
    )
    return PostMessage(channel, slack_escape(fallback), tuple(blocks))


async def notify_handoff(
    adapter: SlackAdapter, notice: HandoffNotice, *, channel: str, public_url: str
) -> str:
    """Post the notice to the team's `channel` (SLACK_HANDOFF_CHANNEL, a channel id the app is a
    member of) with the adapter's client; the `ts` of the posted message. Raises `PlatformError`,
    whose `retryable` says whether to try again later."""
    return await adapter.post(handoff_message(notice, channel=channel, public_url=public_url))

"""New hand-off notices for the team's channel: built as Block Kit (pure), posted to the fake
Web API with the adapter's client."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from channels.base.errors import PlatformError
from channels.slack.adapter import SlackAdapter
from channels.slack.notify import (
    OPEN_ACTION,
    HandoffNotice,
    console_link,
    handoff_message,
    notify_handoff,
)
from tests.fakes.slack_api import AGENTS, FakeSlack, block_actions, form_of

PUBLIC_URL = "https://desk.example.com/"
DUE = datetime(2025, 11, 26, 10, 30, tzinfo=UTC)
NOTICE = HandoffNotice(
    number="IMG-004217",
    topic="billing",
    queue="billing",
    tier=2,
    priority="high",
    summary="Charged twice for the Pro plan in November; wants a refund of the second charge.",
    due=DUE,
)


def blocks(notice: HandoffNotice = NOTICE) -> list[dict[str, Any]]:
    message = handoff_message(notice, channel=AGENTS, public_url=PUBLIC_URL)
    return [block.to_dict() for block in message.blocks]


def test_the_link_goes_to_the_ticket_in_the_console() -> None:
    assert console_link(PUBLIC_URL, "IMG-004217") == (
        "https://desk.example.com/console/tickets/IMG-004217"
    )
    assert console_link("http://127.0.0.1:8000", "IMG/1?x") == (
        "http://127.0.0.1:8000/console/tickets/IMG%2F1%3Fx"
    )


def test_the_notice_shows_the_ticket_its_triage_and_its_due_time() -> None:
    header, triage, summary, actions = blocks()
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "New hand-off: IMG-004217", "emoji": True},
    }
    fields = [field["text"] for field in triage["fields"]]
    due = int(DUE.timestamp())
    assert fields == [
        "*Topic*\nbilling",
        "*Queue*\nbilling",
        "*Tier*\n2",
        "*Priority*\nhigh",
        f"*First response due*\n<!date^{due}^{{date_short_pretty}} {{time}}|2025-11-26 10:30 UTC>",
    ]
    assert summary["text"]["text"] == NOTICE.summary
    [button] = actions["elements"]
    assert button["url"] == "https://desk.example.com/console/tickets/IMG-004217"
    assert button["action_id"] == OPEN_ACTION
    assert "value" not in button  # a press of the link is no customer's answer


def test_the_fallback_text_says_it_all_for_notifications() -> None:
    message = handoff_message(NOTICE, channel=AGENTS, public_url=PUBLIC_URL)
    assert message.channel == AGENTS
    assert message.thread_ts is None
    assert message.text == (
        "New hand-off IMG-004217: billing, billing queue, tier 2, high priority, first response "
        "due 2025-11-26 10:30 UTC. https://desk.example.com/console/tickets/IMG-004217"
    )


@pytest.mark.parametrize(
    "due",
    [
        datetime(2025, 11, 26, 10, 30),  # naive, as SQLite gives it back: UTC
        datetime(2025, 11, 26, 11, 30, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_any_due_time_is_shown_as_the_same_moment(due: datetime) -> None:
    assert blocks(replace(NOTICE, due=due))[1] == blocks()[1]


def test_the_triage_is_shown_as_written() -> None:
    _, triage, _, _ = blocks(replace(NOTICE, topic="refund <EU> & VAT"))
    assert triage["fields"][0]["text"] == "*Topic*\nrefund &lt;EU&gt; &amp; VAT"


def test_a_customers_words_cannot_ping_the_team_or_hide_a_link() -> None:
    notice = replace(
        NOTICE, summary="<!channel> refund me & see <https://evil.example|imageko.com>"
    )
    _, _, summary, _ = blocks(notice)
    assert summary["text"]["text"] == (
        "&lt;!channel&gt; refund me &amp; see &lt;https://evil.example|imageko.com&gt;"
    )
    assert "<!channel>" not in handoff_message(notice, channel=AGENTS, public_url=PUBLIC_URL).text


def test_a_long_summary_is_cut_to_one_section_and_none_is_left_out() -> None:
    text = blocks(replace(NOTICE, summary="Q&A " * 1000))[2]["text"]["text"]
    assert len(text) <= 3000
    assert text.endswith("…")
    empty = replace(NOTICE, summary="  ")
    assert [block["type"] for block in blocks(empty)] == ["header", "section", "actions"]


async def test_the_notice_is_posted_to_the_team_channel(
    adapter: SlackAdapter, platform: FakeSlack
) -> None:
    ts = await notify_handoff(adapter, NOTICE, channel=AGENTS, public_url=PUBLIC_URL)
    [call] = platform.sent()  # the fake checked the blocks against Slack's limits
    assert ts
    assert call.params["channel"] == AGENTS
    assert call.params["blocks"] == blocks()
    assert "thread_ts" not in call.params


async def test_a_notice_slack_refuses_says_whether_to_retry(
    adapter: SlackAdapter, platform: FakeSlack
) -> None:
    with pytest.raises(PlatformError, match="channel_not_found") as refused:
        await notify_handoff(adapter, NOTICE, channel="C0NOWHERE1", public_url=PUBLIC_URL)
    assert not refused.value.retryable
    platform.fail_next(1, 429, retry_after=7)
    with pytest.raises(PlatformError) as limited:
        await notify_handoff(adapter, NOTICE, channel=AGENTS, public_url=PUBLIC_URL)
    assert (limited.value.retryable, limited.value.retry_after) == (True, 7)
    assert platform.sent() == []


def test_opening_the_console_from_the_notice_is_no_customer_message(
    adapter: SlackAdapter,
) -> None:
    link = console_link(PUBLIC_URL, NOTICE.number)
    payload = block_actions(None, channel=AGENTS, url=link)
    assert adapter.parse_interaction(form_of(payload)) == []

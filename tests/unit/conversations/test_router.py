"""The router's pure edge: the assistant's handoff decision never reaches the customer."""

from __future__ import annotations

from bot.conversations.router import split_handoff
from bot.triage.routing import HANDOFF_KEY
from channels.base import OutboundMessage


def test_the_handoff_payload_is_taken_out_of_the_replies() -> None:
    decision = {"topic": "refund_request", "queue": "support", "tier": 1, "priority": "normal"}
    replies = [
        OutboundMessage("c", "Passing you on."),
        OutboundMessage("c", custom={HANDOFF_KEY: decision}),
    ]
    found, kept = split_handoff(replies)
    assert found == decision
    assert kept == replies[:1]


def test_other_custom_payloads_stay() -> None:
    replies = [OutboundMessage("c", custom={"card": {"title": "x"}}), OutboundMessage("c", "hi")]
    assert split_handoff(replies) == (None, replies)

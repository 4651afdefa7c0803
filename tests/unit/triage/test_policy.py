from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.triage.policy import TOPICS, Action

POLICY = Path(__file__).resolve().parents[4] / "shared" / "SUPPORT_POLICY.md"


def test_handoff_topics_carry_queue_tier_and_priority() -> None:
    for topic in TOPICS.values():
        routed = topic.queue is not None
        assert routed == all(v is not None for v in (topic.tier, topic.priority)), topic.id
        if topic.action is Action.HANDOFF:
            assert routed, topic.id


@pytest.mark.skipif(not POLICY.exists(), reason="shared/SUPPORT_POLICY.md is beside the repo")
def test_topic_ids_match_the_policy_table() -> None:
    ids: set[str] = set()
    for row in POLICY.read_text().splitlines():
        if row.startswith("| `"):
            ids |= set(re.findall(r"`([a-z_]+)`", row.split("|")[1]))
    assert ids == set(TOPICS)

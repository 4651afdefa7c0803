"""`action_route` and `action_handoff` through the hub's action endpoint."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.kb.index import current_build
from bot.kb.paths import INDEX_DIR
from bot.triage.routing import HANDOFF_KEY
from tests.integration.test_actions import RASA, action_call

pytestmark = pytest.mark.skipif(current_build(INDEX_DIR) is None, reason="`make kb` builds it")


async def run(
    client: httpx.AsyncClient, action: str, intent: str, text: str, slots: dict[str, Any]
) -> dict[str, Any]:
    call = action_call(action, {}, slots)
    call["tracker"]["latest_message"].update(
        {"text": text, "intent": {"name": intent, "confidence": 0.95}, "intent_ranking": []}
    )
    response = await client.post("/webhook", json=call, headers=RASA)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def events(result: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in result["events"] if e["event"] == kind]


async def test_a_hacked_account_gets_safety_steps_then_an_urgent_handoff(
    client: httpx.AsyncClient,
) -> None:
    result = await run(
        client,
        "action_route",
        "account_hacked",
        "me han hackeado la cuenta",
        {"lang": "es", "plan": "free"},
    )
    assert [r["response"] for r in result["responses"]] == ["utter_safety_account_hacked"]
    routing = next(e["value"] for e in events(result, "slot") if e["name"] == "routing")
    assert (routing["topic"], routing["queue"], routing["tier"], routing["priority"]) == (
        "account_hacked",
        "urgent",
        2,
        "urgent",
    )
    assert routing["summary"] == "me han hackeado la cuenta"
    assert [e["name"] for e in events(result, "followup")] == ["action_handoff_next"]


async def test_a_technical_handoff_asks_the_pro_tips_questions_first(
    client: httpx.AsyncClient,
) -> None:
    result = await run(
        client, "action_route", "bug_report", "the editor crashes when I click save", {"lang": "en"}
    )
    assert [e["name"] for e in events(result, "followup")] == ["tech_details_form"]


async def test_an_answer_asks_whether_it_helped(client: httpx.AsyncClient) -> None:
    result = await run(
        client, "action_route", "password_reset", "I forgot my password", {"lang": "en"}
    )
    answer, question = result["responses"]
    assert "/help/en/" in answer["text"]  # the article's answer, composed by bot.kb.reply
    assert question["response"] == "utter_did_that_help"
    assert {"name": "awaiting_feedback", "value": True} in [
        {"name": e["name"], "value": e["value"]} for e in events(result, "slot")
    ]


async def test_no_after_an_answer_hands_the_topic_to_its_queue(client: httpx.AsyncClient) -> None:
    pending = {"topic": "cancel_subscription", "summary": "how do I cancel"}
    slots = {"lang": "fr", "plan": "premium", "awaiting_feedback": True, "routing": pending}
    result = await run(client, "action_route", "deny", "non", slots)
    routing = next(e["value"] for e in events(result, "slot") if e["name"] == "routing")
    assert (routing["topic"], routing["action"], routing["queue"], routing["priority"]) == (
        "cancel_subscription",
        "handoff",
        "support",
        "high",
    )
    assert [e["name"] for e in events(result, "followup")] == ["action_handoff_next"]


async def test_the_handoff_keeps_the_decision_and_the_details(client: httpx.AsyncClient) -> None:
    routing = {"topic": "bug_report", "queue": "support", "tier": 2, "priority": "normal"}
    slots = {"lang": "en", "routing": routing, "tech_details": "GEN-502 on Chrome 131, Windows 11"}
    result = await run(client, "action_handoff", "bug_report", "GEN-502 on Chrome", slots)
    (handed,) = result["responses"]  # the hub's acknowledgment names the team and the SLA
    final = next(e["value"] for e in events(result, "slot") if e["name"] == "routing")
    assert final == {**routing, "details": "GEN-502 on Chrome 131, Windows 11"}
    # The hub's router makes the ticket from this payload; customers never see it.
    assert handed["custom"] == {HANDOFF_KEY: final}
    assert not handed.get("text")


@pytest.mark.parametrize(
    ("topic", "slots", "followup", "method"),
    [
        ("account_hacked", {}, "verify_form", "email"),
        ("lost_email_access", {}, "verify_form", "app"),  # the mailbox is what was lost
        ("charged_twice", {"verified": True}, "billing_form", None),
        (
            "charged_twice",
            {"verified": False, "transaction_date": "x", "last4": "1"},
            "action_handoff",
            None,
        ),
        ("copyright_report", {}, "copyright_form", None),
        ("human_request", {}, "action_handoff", None),
        ("data_privacy", {}, "verify_form", "email"),
        ("data_privacy", {"verified": True}, "privacy_form", None),  # export or erasure
        ("data_privacy", {"verified": False}, "action_handoff", None),  # people verify
    ],
)
async def test_the_next_hand_off_step_follows_the_policy(
    client: httpx.AsyncClient,
    topic: str,
    slots: dict[str, Any],
    followup: str,
    method: str | None,
) -> None:
    state = {"lang": "en", "routing": {"topic": topic}, **slots}
    result = await run(client, "action_handoff_next", topic, "text", state)
    assert [e["name"] for e in events(result, "followup")] == [followup]
    chosen = [e["value"] for e in events(result, "slot") if e["name"] == "verify_method"]
    assert chosen == ([method] if method else [])

"""Dialogue memory through the hub's action endpoint: what a reply means after the bot's last
turn (an answer, a decline, the language notice, a form's question)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.test_actions import RASA, action_call
from tests.integration.test_route_action import events, run


def slots_set(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events(result, "slot")}


def said(result: dict[str, Any]) -> list[str]:
    return [r["response"] for r in result["responses"] if r.get("response")]


def followups(result: dict[str, Any]) -> list[str]:
    return [e["name"] for e in events(result, "followup")]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("I already tried that and it still fails", "en"),
        ("that doesn't work", "en"),
        ("ya lo probé y sigue igual", "es"),
        ("ça ne marche toujours pas", "fr"),
    ],
)
async def test_it_did_not_help_after_an_answer_hands_off_with_the_topic_kept(
    client: httpx.AsyncClient, text: str, lang: str
) -> None:
    pending = {"topic": "download_hires", "summary": "how do I download in 4K"}
    slots = {"lang": lang, "awaiting_feedback": True, "routing": pending}
    result = await run(client, "action_route", "nlu_fallback", text, slots)
    routing = slots_set(result)["routing"]
    assert (routing["topic"], routing["action"], routing["queue"]) == (
        "download_hires",
        "handoff",
        "support",
    )
    assert routing["summary"] == "how do I download in 4K"
    assert followups(result) == ["tech_details_form"]  # technical: the pro-tips questions first


async def test_a_new_question_after_an_answer_is_routed_afresh(client: httpx.AsyncClient) -> None:
    pending = {"topic": "download_hires", "summary": "how do I download in 4K"}
    slots = {"lang": "en", "awaiting_feedback": True, "routing": pending}
    result = await run(client, "action_route", "password_reset", "I forgot my password", slots)
    assert slots_set(result)["routing"]["topic"] == "password_reset"
    assert "/help/en/password-reset" in result["responses"][0]["text"]  # the answer's link


async def test_a_person_asked_for_after_an_answer_gets_one_at_once_with_the_topic(
    client: httpx.AsyncClient,
) -> None:
    pending = {"topic": "download_hires", "summary": "how do I download in 4K"}
    slots = {"lang": "en", "awaiting_feedback": True, "routing": pending}
    result = await run(client, "action_route", "human_request", "I want to talk to a human", slots)
    assert slots_set(result)["routing"]["topic"] == "download_hires"
    assert followups(result) == ["action_handoff_next"]  # no pro-tips questions first


@pytest.mark.parametrize(("text", "lang"), [("cool ty", "en"), ("vale, gracias", "es")])
async def test_thanks_after_an_answer_closes_politely(
    client: httpx.AsyncClient, text: str, lang: str
) -> None:
    slots = {"lang": lang, "awaiting_feedback": True, "routing": {"topic": "password_reset"}}
    result = await run(client, "action_route", "nlu_fallback", text, slots)
    assert said(result) == ["utter_glad"]
    assert slots_set(result) == {"awaiting_feedback": False}


@pytest.mark.parametrize("text", ["parfait", "cool ty", "merci beaucoup"])
async def test_a_sign_off_out_of_the_blue_is_thanked_not_declined(
    client: httpx.AsyncClient, text: str
) -> None:
    result = await run(client, "action_route", "nlu_fallback", text, {"lang": "fr"})
    assert said(result) == ["utter_thanks"]


async def test_a_decline_links_the_help_centre_and_offers_a_person(
    client: httpx.AsyncClient,
) -> None:
    text = "what is the capital of Australia"
    result = await run(client, "action_route", "out_of_scope", text, {"lang": "es"})
    (reply,) = result["responses"]
    assert reply["response"] == "utter_out_of_scope"
    assert reply["link"].endswith("/help/es/")
    assert slots_set(result)["offered_person"] is True


@pytest.mark.parametrize(("intent", "text"), [("affirm", "yes"), ("nlu_fallback", "ja")])
async def test_yes_to_the_offer_of_a_person_hands_over(
    client: httpx.AsyncClient, intent: str, text: str
) -> None:
    slots = {"lang": "de", "offered_person": True}
    result = await run(client, "action_route", intent, text, slots)
    routing = slots_set(result)["routing"]
    assert (routing["topic"], routing["action"]) == ("human_request", "handoff")
    assert followups(result) == ["action_handoff_next"]
    assert "utter_language_notice" not in said(result)


async def test_no_to_the_offer_of_a_person_is_accepted(client: httpx.AsyncClient) -> None:
    result = await run(client, "action_route", "deny", "no", {"lang": "en", "offered_person": True})
    assert said(result) == ["utter_no_problem"]
    assert slots_set(result) == {"offered_person": False}


async def test_the_language_notice_offers_a_person(client: httpx.AsyncClient) -> None:
    text = "Ich kann mein Bild nicht herunterladen"
    result = await run(client, "action_route", "nlu_fallback", text, {"lang": "de"})
    assert said(result) == ["utter_language_notice"]
    assert slots_set(result)["offered_person"] is True


@pytest.mark.parametrize(
    ("text", "lang"),
    [("is anyone real reading this?", "en"), ("can somebody from your team look at this", "en")],
)
async def test_an_indirect_request_for_a_person_is_handed_over(
    client: httpx.AsyncClient, text: str, lang: str
) -> None:
    result = await run(client, "action_route", "nlu_fallback", text, {"lang": lang})
    routing = slots_set(result)["routing"]
    assert (routing["topic"], routing["action"]) == ("human_request", "handoff")


FORMS = [
    ("validate_verify_form", "account_email"),
    ("validate_billing_form", "last4"),
    ("validate_copyright_form", "content_url"),
    ("validate_tech_details_form", "tech_details"),
    ("validate_privacy_form", "privacy_request"),
]


@pytest.mark.parametrize(("form", "slot"), FORMS)
@pytest.mark.parametrize(
    ("text", "lang", "exit_to"),
    [
        ("I want to talk to a person", "en", "person"),
        ("una persona, por favor", "es", "person"),
        ("stop", "en", "stop"),
        ("cancelar", "es", "stop"),
        ("laisse tomber", "fr", "stop"),
    ],
)
async def test_every_form_can_be_left(
    client: httpx.AsyncClient, form: str, slot: str, text: str, lang: str, exit_to: str
) -> None:
    slots = {"lang": lang, "requested_slot": slot, slot: text, "routing": {"topic": "x"}}
    result = await run(client, form, "nlu_fallback", text, slots)
    assert slots_set(result) == {slot: None, "form_exit": exit_to, "requested_slot": None}
    assert said(result) == []  # no "that doesn't look like an email address"


async def test_a_form_answer_is_still_validated(client: httpx.AsyncClient) -> None:
    text = "it ends in 4242"
    call = action_call("validate_billing_form", {}, {"requested_slot": "last4", "last4": text})
    # What Rasa sends: the customer's message, then the slot its text filled.
    call["tracker"]["events"] = [
        {"event": "user", "text": text, "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "slot", "name": "last4", "value": text},
    ]
    call["tracker"]["latest_message"]["text"] = text
    response = await client.post("/webhook", json=call, headers=RASA)
    assert slots_set(response.json()) == {"last4": "4242"}


async def test_a_person_asked_for_in_a_form_hands_over_what_was_collected(
    client: httpx.AsyncClient,
) -> None:
    routing = {"topic": "charged_twice", "queue": "support", "tier": 1, "priority": "high"}
    slots = {"lang": "en", "routing": routing, "form_exit": "person", "transaction_date": "3 May"}
    result = await run(client, "action_handoff_next", "nlu_fallback", "a person", slots)
    assert followups(result) == ["action_handoff"]
    assert slots_set(result)["form_exit"] is None
    handed = await run(client, "action_handoff", "nlu_fallback", "a person", slots)
    final = slots_set(handed)["routing"]
    assert final["collected"] == {"transaction_date": "3 May"}
    assert final["verified"] is False  # agents verify by other means


async def test_stop_in_a_form_drops_the_request(client: httpx.AsyncClient) -> None:
    slots = {"lang": "fr", "routing": {"topic": "charged_twice"}, "form_exit": "stop"}
    slots |= {"transaction_date": "3 mai", "account_email": "a@b.fr", "verified": True}
    result = await run(client, "action_handoff_next", "nlu_fallback", "stop", slots)
    assert said(result) == ["utter_form_stopped"]
    cleared = slots_set(result)
    assert cleared["routing"] is None
    assert cleared["transaction_date"] is None
    assert cleared["account_email"] is None
    assert cleared["verified"] is None
    assert followups(result) == ["action_listen"]


async def test_a_wrong_code_is_asked_again_without_saying_a_new_one_was_sent(
    client: httpx.AsyncClient,
) -> None:
    result = await run(
        client, "action_ask_verification_code", "nlu_fallback", "111111", {"code_tries_left": 3}
    )
    (reply,) = result["responses"]
    assert (reply["response"], reply["tries_left"]) == ("utter_code_wrong", 3)
    assert slots_set(result) == {"code_tries_left": None}
    first = await run(client, "action_ask_verification_code", "nlu_fallback", "a@b.com", {})
    assert said(first) == ["utter_ask_verification_code"]

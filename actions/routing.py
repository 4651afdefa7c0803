"""Routing each customer message: `bot.conversations.decision` decides, these actions say it."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import SKIPPED
from actions.kb import offer_articles, say_article
from bot.conversations.decision import Kind, decide
from bot.kb import service
from bot.language.detect import DEFAULT, SUPPORTED
from bot.settings import load_settings
from bot.triage import policy, replies
from bot.triage.policy import TOPIC_LABELS
from bot.triage.routing import HANDOFF_KEY, RoutingDecision, route, topic_of

TECHNICAL = frozenset({"generation_failed", "download_hires", "bug_report"})
# Hand-off details that go to the agents with the ticket (never the code itself).
COLLECTED = ("transaction_date", "last4", "content_url", "ownership_claim", "contact_email")
FORM_STATE = ("tech_details", "account_email", "verification_code", "verified", "verify_method")
URGENT_ADVICE = frozenset({"account_hacked", "payment_fraud"})


def _nlu(tracker: Tracker) -> tuple[str, float, list[tuple[str, float]], str]:
    message: dict[str, Any] = tracker.latest_message or {}
    intent = message.get("intent") or {}
    ranking = [
        (str(i["name"]), float(i["confidence"])) for i in message.get("intent_ranking") or []
    ]
    return (
        str(intent.get("name") or ""),
        float(intent.get("confidence") or 0.0),
        ranking,
        str(message.get("text") or ""),
    )


def kind_offers_person(kind: Kind) -> bool:
    """Whether the bot's reply ends with the offer of a person (a "yes" next takes it)."""
    return kind in (Kind.LANGUAGE_NOTICE, Kind.DECLINE)


def help_centre_link(lang: str) -> str:
    """The help centre's home in the customer's language (English for any other)."""
    home = lang if lang in SUPPORTED else DEFAULT
    return f"{load_settings().public_url.rstrip('/')}/help/{home}/"


def _label(intent: str, lang: str) -> str:
    labels = TOPIC_LABELS.get(topic_of(intent), {})
    return labels.get(lang) or labels.get("en") or intent


def _handoff(decision: RoutingDecision, tracker: Tracker, details: bool = True) -> list[EventType]:
    """Technical topics get the pro-tips questions first (policy §10), then the hand-over;
    not when `details` is False (the customer asked for a person outright)."""
    events: list[EventType] = [
        SlotSet("routing", decision.as_dict()),
        SlotSet("awaiting_feedback", False),
        SlotSet("offered_person", False),
    ]
    if details and decision.topic in TECHNICAL and not tracker.get_slot("tech_details"):
        return [*events, FollowupAction("tech_details_form")]
    return [*events, FollowupAction("action_handoff_next")]


class ActionRoute(Action):  # type: ignore[misc]
    """`action_route`: carry out the routing decision for the customer's message."""

    def name(self) -> str:
        return "action_route"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lang = tracker.get_slot("lang") or DEFAULT
        plan = tracker.get_slot("plan")
        intent, confidence, ranking, text = _nlu(tracker)

        if tracker.get_slot("offered_person"):  # after the language notice or a decline
            if intent == "affirm" or replies.says_yes(text):
                return _handoff(route("human_request", 1.0, text, lang, plan), tracker)
            if intent == "deny":
                dispatcher.utter_message(response="utter_no_problem")
                return [SlotSet("offered_person", False)]
        if tracker.get_slot("awaiting_feedback"):  # after an answer: "did that help?"
            if intent == "affirm" or replies.is_closing(text):
                dispatcher.utter_message(response="utter_glad")
                return [SlotSet("awaiting_feedback", False)]
            pending = tracker.get_slot("routing") or {}
            topic = str(pending.get("topic") or "human_request")
            if intent == "deny" or replies.still_needs_people(text, lang, topic):
                summary = str(pending.get("summary") or text)
                asked = route(topic, 1.0, summary, lang, plan, handoff=True)
                return _handoff(asked, tracker, details=not replies.asks_for_person(text, lang))

        # Embedding for the help centre is CPU work: keep the hub's event loop free.
        outcome = await asyncio.to_thread(
            decide, intent, confidence, ranking, text, lang, plan, service.answer
        )
        events: list[EventType] = [
            SlotSet("routing", outcome.routing.as_dict()),
            SlotSet("awaiting_feedback", False),
            SlotSet("offered_person", kind_offers_person(outcome.kind)),
        ]
        kind = outcome.kind
        if kind is Kind.ANSWER and outcome.kb is not None:
            say_article(dispatcher, outcome.kb.hits[0])
            dispatcher.utter_message(response="utter_did_that_help")
            events.append(SlotSet("awaiting_feedback", True))
        elif kind is Kind.CLARIFY_ARTICLE and outcome.kb is not None:
            offer_articles(dispatcher, outcome.kb.hits)
        elif kind is Kind.CLARIFY_TOPIC:
            dispatcher.utter_message(
                response="utter_clarify_topic",
                buttons=[{"title": _label(g, lang), "payload": f"/{g}"} for g in outcome.guesses],
            )
        elif kind is Kind.HANDOFF:
            if outcome.routing.topic in URGENT_ADVICE:
                dispatcher.utter_message(response=f"utter_safety_{outcome.routing.topic}")
            return _handoff(outcome.routing, tracker)
        elif kind is Kind.RECORD:
            dispatcher.utter_message(response="utter_feedback_thanks")
        elif kind is Kind.SMALLTALK:
            dispatcher.utter_message(response="utter_thanks")
        elif kind is Kind.LANGUAGE_NOTICE:
            dispatcher.utter_message(response="utter_language_notice")
        elif kind is Kind.DECLINE:
            # Policy §1: a decline points to the help centre and offers a person.
            dispatcher.utter_message(response="utter_out_of_scope", link=help_centre_link(lang))
        return events


class ActionHandoff(Action):  # type: ignore[misc]
    """`action_handoff`: a person takes over. The decision (topic, queue, tier, priority,
    summary, details) goes to the hub as a custom payload and stays in the `routing` slot."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        routing = dict(tracker.get_slot("routing") or {})
        details = tracker.get_slot("tech_details")
        if details:
            routing["details"] = str(details)
        collected = {
            slot: tracker.get_slot(slot)
            for slot in COLLECTED
            if tracker.get_slot(slot) not in (None, SKIPPED)
        }
        if collected:
            routing["collected"] = collected
        if routing.get("topic") in policy.VERIFY_TOPICS:
            # Agents must verify by other means (billing details, a call) when this is False.
            routing["verified"] = bool(tracker.get_slot("verified"))
            if routing["verified"]:
                routing["verified_email"] = tracker.get_slot("account_email")
        # The hub's router turns this into the ticket and tells the customer its number, the
        # team that takes it and when they will answer (bot.tickets.acks).
        dispatcher.utter_message(json_message={HANDOFF_KEY: routing})
        # The next request starts from scratch: a new topic is verified and asked again.
        resets = [SlotSet(slot, None) for slot in (*COLLECTED, *FORM_STATE)]
        # Wait for the customer: without this Rasa looks for a next action and falls back.
        return [
            SlotSet("routing", routing),
            *resets,
            ActiveLoop(None),
            FollowupAction("action_listen"),
        ]

"""Answering from the help centre: answer, offer the best articles, or pass the question on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.kb import reply, service
from bot.kb.retriever import Decision, Hit
from bot.language.detect import DEFAULT
from bot.settings import load_settings
from bot.triage.policy import TOPICS
from bot.triage.routing import route


def say_article(dispatcher: CollectingDispatcher, hit: Hit) -> None:
    """Reply with the article's section and a link to it, as one Markdown message
    (`bot.kb.reply`; a domain response would be cut into bubbles at its blank lines)."""
    dispatcher.utter_message(text=reply.compose(hit, load_settings().public_url))


def offer_articles(dispatcher: CollectingDispatcher, hits: Sequence[Hit]) -> None:
    """Offer the best articles as buttons; a pick comes back as the `kb_pick` intent."""
    dispatcher.utter_message(
        response="utter_kb_clarify",
        buttons=[
            {"title": hit.title, "payload": f'/kb_pick{{"article_id":"{hit.article_id}"}}'}
            for hit in hits
        ],
    )


class ActionKBAnswer(Action):  # type: ignore[misc]
    """`action_kb_answer`: reply from the knowledge base in the customer's language."""

    def name(self) -> str:
        return "action_kb_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lang = tracker.get_slot("lang") or DEFAULT
        message: dict[str, Any] = tracker.latest_message or {}
        picked = next(tracker.get_latest_entity_values("article_id"), None)
        if picked:  # the customer chose one of the articles we offered
            hit = await asyncio.to_thread(service.article, str(picked), lang)
            if hit is not None:
                say_article(dispatcher, hit)
                # As after any answer: a "no" or "still broken" next hands its topic over.
                dispatcher.utter_message(response="utter_did_that_help")
                topic = hit.topic if hit.topic in TOPICS else "contact_info"
                asked = route(topic, 1.0, hit.title, lang, tracker.get_slot("plan"))
                return [
                    SlotSet("kb_outcome", Decision.ANSWER.value),
                    SlotSet("kb_article", hit.article_id),
                    SlotSet("routing", asked.as_dict()),
                    SlotSet("awaiting_feedback", True),
                ]
        # Embedding is CPU work: keep the hub's event loop free meanwhile.
        result = await asyncio.to_thread(service.answer, str(message.get("text") or ""), lang)
        if result.decision is Decision.ANSWER:
            say_article(dispatcher, result.hits[0])
            article = result.hits[0].article_id
        elif result.decision is Decision.CLARIFY:
            offer_articles(dispatcher, result.hits)
            article = None
        else:
            # Nothing in the help centre: the conversation core routes it from here.
            dispatcher.utter_message(response="utter_kb_no_answer")
            article = None
        return [SlotSet("kb_outcome", result.decision.value), SlotSet("kb_article", article)]

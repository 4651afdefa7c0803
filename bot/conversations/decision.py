"""The bot's first decision on a message: NLU result + policy + help centre -> what to do.

Shared by the Rasa action (which carries it out) and `make eval-routing` (which measures it),
so the evaluation runs exactly what the bot does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.kb.retriever import Decision, KBResult
from bot.language.detect import SUPPORTED
from bot.triage import replies, tone
from bot.triage.policy import TOPICS, Action
from bot.triage.routing import DIALOGUE_INTENTS, RoutingDecision, route

# Below this NLU confidence the bot asks which topic it is about instead of guessing.
CLARIFY_FLOOR = 0.2
# General product questions go to the help centre; its article's topic becomes the topic.
HELP_CENTRE_INTENTS = frozenset({"help_question", "nlu_fallback", "affirm", "deny", ""})
# Offered as a topic button, these would name no topic ("general question", "other").
NOT_A_GUESS = DIALOGUE_INTENTS | {"help_question", "out_of_scope"}


class Kind(StrEnum):
    """How the bot carries out a decision."""

    ANSWER = "answer"  # reply from the help centre, then ask "did that help?"
    CLARIFY_ARTICLE = "clarify_article"  # offer the best articles as buttons
    CLARIFY_TOPIC = "clarify_topic"  # offer the best topics as buttons
    HANDOFF = "handoff"
    RECORD = "record"
    SMALLTALK = "smalltalk"
    DECLINE = "decline"
    LANGUAGE_NOTICE = "language_notice"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The routing decision, how to carry it out, and what the help centre found."""

    routing: RoutingDecision
    kind: Kind
    kb: KBResult | None = None
    guesses: tuple[str, ...] = ()


def decide(
    intent: str,
    confidence: float,
    ranking: list[tuple[str, float]],
    text: str,
    lang: str,
    plan: str | None,
    kb: Callable[[str, str], KBResult],
) -> Outcome:
    """The bot's first decision on a message: what the action does and the eval measures.

    Its routing says when the NLU hears a complaint behind the topic; the customer's tone
    raises the ticket's priority later, not this decision (bot/tickets/upset.py).
    """
    outcome = _first(intent, confidence, ranking, text, lang, plan, kb)
    if not tone.nlu_signal(intent, ranking):
        return outcome
    return replace(outcome, routing=replace(outcome.routing, nlu_upset=True))


def _first(
    intent: str,
    confidence: float,
    ranking: list[tuple[str, float]],
    text: str,
    lang: str,
    plan: str | None,
    kb: Callable[[str, str], KBResult],
) -> Outcome:
    """The decision from the NLU result, the policy table and the help centre."""
    if lang not in SUPPORTED:
        return Outcome(route("human_request", confidence, text, "en", plan), Kind.LANGUAGE_NOTICE)
    if intent == "nlu_fallback":
        guesses = tuple(
            name for name, score in ranking if name not in NOT_A_GUESS and score >= CLARIFY_FLOOR
        )[:3]
        if len(guesses) >= 2:
            clarify = route(guesses[0], confidence, text, lang, plan)
            return Outcome(
                RoutingDecision(
                    clarify.topic, "clarify", None, None, None, clarify.summary, confidence
                ),
                Kind.CLARIFY_TOPIC,
                guesses=guesses,
            )
    if intent in HELP_CENTRE_INTENTS:
        if replies.is_closing(text):  # "cool ty", "vale, gracias": nothing to look up
            return Outcome(route("thanks", confidence, text, lang, plan), Kind.SMALLTALK)
        if replies.asks_for_person(text, lang):  # "is anyone real reading this?"
            person = route("human_request", confidence, text, lang, plan, handoff=True)
            return Outcome(person, Kind.HANDOFF)
        found = kb(text, lang)
        if found.decision is Decision.NONE:
            return Outcome(route("out_of_scope", confidence, text, lang, plan), Kind.DECLINE, found)
        topic = found.hits[0].topic if found.hits[0].topic in TOPICS else "contact_info"
        decision = route(topic, confidence, text, lang, plan)
        if decision.action == Action.HANDOFF.value:  # "I already tried the article's steps"
            return Outcome(decision, Kind.HANDOFF, found)
        kind = Kind.ANSWER if found.decision is Decision.ANSWER else Kind.CLARIFY_ARTICLE
        return Outcome(decision, kind, found)
    decision = route(intent, confidence, text, lang, plan)
    if decision.action == Action.ANSWER.value:
        found = kb(text, lang)
        if found.decision is Decision.ANSWER:
            return Outcome(decision, Kind.ANSWER, found)
        # The NLU knows the topic; the help centre is unsure which article: answer with its
        # best article of that topic rather than make the customer pick or wait for a person.
        within = [hit for hit in found.hits if hit.topic == decision.topic]
        if within:
            best = KBResult(Decision.ANSWER, found.confidence, within[:1])
            return Outcome(decision, Kind.ANSWER, best)
        if TOPICS[decision.topic].queue is not None:
            # Nothing in the help centre for it: people take it, per the topic's row.
            handoff = route(intent, confidence, text, lang, plan, handoff=True)
            return Outcome(handoff, Kind.HANDOFF, found)
        kind = Kind.CLARIFY_ARTICLE if found.decision is Decision.CLARIFY else Kind.DECLINE
        return Outcome(decision, kind, found)
    kinds = {
        Action.HANDOFF.value: Kind.HANDOFF,
        Action.RECORD.value: Kind.RECORD,
        Action.SMALLTALK.value: Kind.SMALLTALK,
        Action.DECLINE.value: Kind.DECLINE,
    }
    return Outcome(decision, kinds[decision.action])

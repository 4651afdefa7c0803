"""The routing decision: from what the NLU understood to topic, action, queue, tier, priority."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from bot.language.fold import fold
from bot.triage.policy import (
    APPEAL_CUES,
    APPEAL_TOPICS,
    HUMAN_CUES,
    PRIORITY_PLANS,
    TOPICS,
    TRIED_CUES,
    URGENT_CUES,
    URGENT_QUEUE,
    Action,
    Priority,
)
from bot.triage.raises import priority_raise
from bot.triage.tone import spans

# Intents that are topics under another name; every other intent is its topic's id.
INTENT_TOPICS = {"greet": "greeting"}
# Dialogue intents answer the bot's own questions; they are not opening topics.
DIALOGUE_INTENTS = frozenset({"affirm", "deny", "kb_pick", "nlu_fallback"})
SUMMARY_CHARS = 140
# The custom payload key under which `action_handoff` hands the decision to the hub's router.
HANDOFF_KEY = "handoff"


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """What to do with a conversation, and for people: where it goes and how fast."""

    topic: str
    action: str
    queue: str | None
    tier: int | None
    priority: str | None
    summary: str
    confidence: float
    # The NLU heard a complaint behind another topic: the ticket counts the customer as upset.
    nlu_upset: bool = False
    # Each raise above the topic's priority, with its reason and words (bot/triage/raises.py).
    raises: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the routing slot, the eval output)."""
        return asdict(self)


@cache
def _cue(table: tuple[tuple[str, str], ...], lang: str) -> re.Pattern[str]:
    patterns = dict(table)
    languages = [lang] if lang in patterns else list(patterns)
    return re.compile(r"\b(?:" + "|".join(patterns[code] for code in languages) + r")\b")


def has_cue(cues: dict[str, str], text: str, lang: str) -> bool:
    """Whether `text` carries one of the cue phrases (in its language; all if unsupported)."""
    return _cue(tuple(sorted(cues.items())), lang).search(fold(text)) is not None


def cue_words(cues: dict[str, str], text: str, lang: str) -> list[str]:
    """The customer's words that carry the cue phrases, as they wrote them."""
    return spans(_cue(tuple(sorted(cues.items())), lang), text)


def summarise(text: str) -> str:
    """The customer's words, one line, short enough for a queue view."""
    line = " ".join(text.split())
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1].rstrip() + "…"


def topic_of(intent: str) -> str:
    """The policy topic an intent belongs to (unknown intents are out of scope)."""
    topic = INTENT_TOPICS.get(intent, intent)
    return topic if topic in TOPICS else "out_of_scope"


def route(
    intent: str,
    confidence: float,
    text: str,
    lang: str,
    plan: str | None,
    handoff: bool = False,
) -> RoutingDecision:
    """Decide per the policy table, raised by the plan and by urgent cues, never lowered.

    `handoff` says self-service already failed (the answer did not help, or the help centre
    had none): an `answer` topic then goes to its queue, like one asking for a person.
    """
    topic = TOPICS[topic_of(intent)]
    action = topic.action
    wants_people = (
        handoff
        or has_cue(HUMAN_CUES, text, lang)
        or has_cue(TRIED_CUES, text, lang)
        or (topic.id in APPEAL_TOPICS and has_cue(APPEAL_CUES, text, lang))
    )
    if action is Action.ANSWER and topic.queue is not None and wants_people:
        action = Action.HANDOFF
    elif handoff and action is not Action.HANDOFF:
        topic, action = TOPICS["human_request"], Action.HANDOFF
    if action is not Action.HANDOFF:
        return RoutingDecision(
            topic.id, action.value, None, None, None, summarise(text), confidence
        )
    queue, tier, priority = topic.queue, topic.tier, Priority(topic.priority or Priority.NORMAL)
    raises = []
    if priority is Priority.NORMAL and (plan or "").lower() in PRIORITY_PLANS:
        raises.append(priority_raise("plan", priority.value, "high", [f"{plan} plan".lower()]))
        priority = Priority.HIGH
    urgent = cue_words(URGENT_CUES, text, lang)
    if urgent:
        if priority is not Priority.URGENT:
            raises.append(priority_raise("urgent_words", priority.value, "urgent", urgent))
        priority, queue = Priority.URGENT, URGENT_QUEUE
    return RoutingDecision(
        topic.id,
        action.value,
        queue,
        tier,
        priority.value,
        summarise(text),
        confidence,
        raises=tuple(raises),
    )

"""`decide`: the bot's first decision, with a help centre stand-in whose verdict is chosen."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.conversations.decision import Kind, decide
from bot.kb.retriever import Decision, Hit, KBResult


def hit(article: str, topic: str) -> Hit:
    return Hit(article, "en", article, None, "text", f"/help/en/{article}", topic, 1.0)


def kb_says(result: KBResult) -> Callable[[str, str], KBResult]:
    def answer(text: str, lang: str) -> KBResult:
        return result

    return answer


ANSWERED = KBResult(Decision.ANSWER, 0.95, [hit("generation-failed", "generation_failed")])
NOTHING = KBResult(Decision.NONE, 0.1, [])
UNSURE_IN_TOPIC = KBResult(
    Decision.NONE, 0.3, [hit("vat-taxes", "general"), hit("error-codes", "generation_failed")]
)


def test_an_answer_topic_is_answered_from_the_help_centre() -> None:
    outcome = decide("generation_failed", 0.9, [], "images fail", "en", "free", kb_says(ANSWERED))
    assert (outcome.kind, outcome.routing.action) == (Kind.ANSWER, "answer")


def test_an_unsure_help_centre_answers_with_the_best_article_of_the_known_topic() -> None:
    outcome = decide(
        "generation_failed", 0.9, [], "all black", "en", "free", kb_says(UNSURE_IN_TOPIC)
    )
    assert outcome.kind is Kind.ANSWER
    assert outcome.kb is not None
    assert outcome.kb.hits[0].article_id == "error-codes"


def test_no_article_for_an_answer_topic_hands_over_to_its_queue() -> None:
    outcome = decide("download_hires", 0.9, [], "4k fails", "en", "premium", kb_says(NOTHING))
    assert outcome.kind is Kind.HANDOFF
    assert (outcome.routing.queue, outcome.routing.tier, outcome.routing.priority) == (
        "support",
        2,
        "high",
    )


def test_general_questions_take_the_topic_of_the_article_found() -> None:
    found = KBResult(Decision.ANSWER, 0.9, [hit("cancel-subscription", "cancel_subscription")])
    outcome = decide("help_question", 0.9, [], "stop paying", "en", "free", kb_says(found))
    assert (outcome.kind, outcome.routing.topic) == (Kind.ANSWER, "cancel_subscription")


def test_a_general_question_the_help_centre_cannot_answer_is_declined() -> None:
    outcome = decide("help_question", 0.9, [], "weather?", "en", "free", kb_says(NOTHING))
    assert (outcome.kind, outcome.routing.topic, outcome.routing.action) == (
        Kind.DECLINE,
        "out_of_scope",
        "decline",
    )


def test_low_confidence_offers_the_best_guesses() -> None:
    ranking = [
        ("nlu_fallback", 0.3),
        ("charged_twice", 0.28),
        ("refund_request", 0.25),
        ("greet", 0.01),
    ]
    outcome = decide("nlu_fallback", 0.3, ranking, "money", "en", "free", kb_says(NOTHING))
    assert outcome.kind is Kind.CLARIFY_TOPIC
    assert outcome.guesses == ("charged_twice", "refund_request")
    assert outcome.routing.action == "clarify"


@pytest.mark.parametrize(
    ("intent", "kind"),
    [
        ("feedback", Kind.RECORD),
        ("out_of_scope", Kind.DECLINE),
        ("greet", Kind.SMALLTALK),
        ("account_hacked", Kind.HANDOFF),
    ],
)
def test_other_actions_follow_the_policy(intent: str, kind: Kind) -> None:
    assert decide(intent, 0.9, [], "text", "en", "free", kb_says(NOTHING)).kind is kind


def test_an_unsupported_language_gets_the_notice() -> None:
    outcome = decide(
        "account_hacked", 0.9, [], "mein Konto wurde gehackt", "de", "free", kb_says(NOTHING)
    )
    assert outcome.kind is Kind.LANGUAGE_NOTICE


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Please review my flagged prompt, I want to appeal", "en"),
        ("quiero apelar el bloqueo de mi prompt", "es"),
        ("je souhaite faire appel de ce blocage", "fr"),
    ],
)
def test_an_appeal_of_a_flagged_prompt_goes_to_trust_and_safety(text: str, lang: str) -> None:
    outcome = decide("prompt_flagged", 0.9, [], text, lang, "free", kb_says(ANSWERED))
    assert (outcome.kind, outcome.routing.queue, outcome.routing.tier) == (Kind.HANDOFF, "trust", 2)


def test_a_complaint_heard_behind_another_topic_marks_the_routing() -> None:
    ranking = [("refund_request", 0.55), ("complaint", 0.4)]
    outcome = decide("refund_request", 0.55, ranking, "refund now", "en", "free", kb_says(NOTHING))
    assert outcome.routing.nlu_upset
    assert outcome.routing.priority == "normal"  # the ticket raises it, not the decision
    calm = decide(
        "refund_request", 0.9, [("refund_request", 0.9)], "refund", "en", None, kb_says(NOTHING)
    )
    assert not calm.routing.nlu_upset

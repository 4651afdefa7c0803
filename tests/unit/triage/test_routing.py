from __future__ import annotations

import pytest

from bot.triage.policy import TOPICS, Action, Topic
from bot.triage.routing import route, summarise, topic_of


@pytest.mark.parametrize("topic", list(TOPICS.values()), ids=lambda t: t.id)
def test_every_row_of_the_table_routes_as_written_for_a_free_customer(topic: Topic) -> None:
    decision = route(topic.id, 0.9, "please look into this", "en", "free")
    expected = topic
    assert decision.topic == expected.id
    assert decision.action == expected.action.value
    if expected.action is Action.HANDOFF:
        assert (decision.queue, decision.tier, decision.priority) == (
            expected.queue,
            expected.tier,
            expected.priority,
        )
    else:
        assert (decision.queue, decision.tier, decision.priority) == (None, None, None)


@pytest.mark.parametrize("plan", ["premium", "enterprise", "Premium"])
def test_paid_plans_raise_normal_to_high(plan: str) -> None:
    assert route("refund_request", 0.9, "refund please", "en", plan).priority == "high"
    assert route("bug_report", 0.9, "the editor crashes", "en", plan).priority == "high"


def test_plan_raise_never_lowers_and_free_keeps_normal() -> None:
    assert route("refund_request", 0.9, "refund please", "en", "free").priority == "normal"
    assert route("copyright_report", 0.9, "they copied my art", "en", "premium").priority == "high"
    assert route("payment_fraud", 0.9, "fraud", "en", "premium").priority == "urgent"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("I think my card was stolen, there are two charges", "en"),
        ("someone hacked my account and charged me twice", "en"),
        ("me han hackeado la cuenta y hay dos cobros", "es"),
        ("un cobro que no autoricé, creo que es fraude", "es"),
        ("ma carte a été volée et j'ai été débité deux fois", "fr"),
        ("compte piraté, double prélèvement", "fr"),
    ],
)
def test_fraud_and_hacking_words_raise_to_urgent_in_the_urgent_queue(text: str, lang: str) -> None:
    decision = route("charged_twice", 0.9, text, lang, "free")
    assert (decision.action, decision.queue, decision.priority) == ("handoff", "urgent", "urgent")
    assert decision.tier == TOPICS["charged_twice"].tier


def test_urgent_words_do_not_turn_an_answer_into_a_ticket() -> None:
    decision = route(
        "password_reset", 0.9, "how do I reset my password after a breach", "en", "free"
    )
    assert decision.action == "answer"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("I want to cancel and I want to talk to a real person", "en"),
        ("quiero cancelar, pásame con una persona", "es"),
        ("je veux résilier, je veux parler à un conseiller", "fr"),
        ("I already tried clearing the cache, it didn't help", "en"),
        ("ya lo he probado todo y nada funciona", "es"),
        ("j'ai déjà essayé, ça n'a rien changé", "fr"),
    ],
)
def test_asking_for_a_person_or_having_tried_turns_an_answer_into_a_handoff(
    text: str, lang: str
) -> None:
    decision = route("cancel_subscription", 0.9, text, lang, "premium")
    assert (decision.action, decision.queue, decision.tier, decision.priority) == (
        "handoff",
        "support",
        1,
        "high",
    )


def test_intents_map_to_topics_and_unknown_ones_are_out_of_scope() -> None:
    assert topic_of("greet") == "greeting"
    assert topic_of("charged_twice") == "charged_twice"
    assert topic_of("something_new") == "out_of_scope"


def test_summary_is_one_short_line() -> None:
    summary = summarise("line one\n\nline two   " + "x" * 300)
    assert "\n" not in summary
    assert len(summary) <= 140
    assert summary.startswith("line one line two")


def test_each_raise_is_recorded_with_its_words() -> None:
    text = "Mi tarjeta fue robada y hay un cargo no autorizado"
    decision = route("refund_request", 0.9, text, "es", "Premium")
    assert [(r["reason"], r["from"], r["to"], r["because"]) for r in decision.raises] == [
        ("plan", "normal", "high", ["premium plan"]),
        ("urgent_words", "high", "urgent", ["robada", "no autorizado"]),
    ]
    assert route("refund_request", 0.9, "refund please", "en", "free").raises == ()
    # Already urgent by its topic: urgent words route it, but raise nothing.
    assert route("account_hacked", 0.9, "Mon compte a été piraté", "fr", None).raises == ()

"""The tone lexicon: anger, repeated contact and deadlines in EN/ES/FR, negation, the raise."""

from __future__ import annotations

import pytest

from bot.triage.tone import Kind, cues, nlu_signal, one_step_up, words_of


@pytest.mark.parametrize(
    ("text", "kind", "words"),
    [
        ("I've written four times already", Kind.REPEAT, "written four times"),
        ("I have contacted you three times about this", Kind.REPEAT, "contacted you three times"),
        ("I'm fed up", Kind.ANGER, "fed up"),
        ("This is the fourth time I ask", Kind.REPEAT, "This is the fourth time"),
        ("This is UNACCEPTABLE.", Kind.ANGER, "UNACCEPTABLE"),
        ("I need this fixed before my client meeting", Kind.DEADLINE, "before my client meeting"),
        ("Ya he escrito cuatro veces", Kind.REPEAT, "he escrito cuatro veces"),
        ("Estoy harta de esperar", Kind.ANGER, "Estoy harta"),
        ("Esto es inaceptable", Kind.ANGER, "inaceptable"),
        ("Lo necesito antes de mi reunión", Kind.DEADLINE, "antes de mi reunión"),
        ("J’ai déjà écrit quatre fois", Kind.REPEAT, "J’ai déjà écrit quatre fois"),
        ("J'en ai marre", Kind.ANGER, "J'en ai marre"),
        ("C'est inadmissible", Kind.ANGER, "inadmissible"),
        ("Il me le faut avant ma réunion", Kind.DEADLINE, "avant ma réunion"),
        ("Ça fait trois fois que ma génération échoue", Kind.REPEAT, "Ça fait trois fois que"),
    ],
)
def test_cues_are_found_and_quoted_as_the_customer_wrote_them(
    text: str, kind: Kind, words: str
) -> None:
    found = cues(text)
    assert [(c.kind, c.words) for c in found] == [(kind, words)]


@pytest.mark.parametrize(
    "text",
    [
        "I'm not angry, just asking",
        "It isn't unacceptable, only slow",
        "No estoy harto, solo pregunto",
        "Je ne suis pas furieux",
        "Ce n'est pas inadmissible",
        "My download stopped at 80%",
        "Mi descarga falla",
        "Le téléchargement échoue",
    ],
)
def test_negated_or_calm_messages_carry_no_cue(text: str) -> None:
    assert cues(text) == []


def test_a_negation_in_another_clause_does_not_cancel_the_cue() -> None:
    assert [c.words for c in cues("No funciona y estoy harto")] == ["estoy harto"]
    assert [c.words for c in cues("It does not work, I'm fed up")] == ["fed up"]


def test_words_of_several_messages_are_distinct_in_order() -> None:
    texts = ["I'm fed up", "Still broken. FED UP! I've written four times"]
    assert words_of(texts) == ["fed up", "written four times"]


@pytest.mark.parametrize(
    ("before", "after"), [("normal", "high"), ("high", "urgent"), ("urgent", "urgent")]
)
def test_one_step_up_never_past_the_top(before: str, after: str) -> None:
    assert one_step_up(before) == after


def test_the_nlu_hears_a_complaint_behind_another_topic_only() -> None:
    ranking = [("refund_request", 0.6), ("complaint", 0.35)]
    assert nlu_signal("refund_request", ranking)
    assert not nlu_signal("refund_request", [("refund_request", 0.9), ("complaint", 0.05)])
    assert not nlu_signal("complaint", [("complaint", 0.9)])  # the topic carries its priority

from __future__ import annotations

import pytest

from bot.triage.replies import (
    asks_for_person,
    did_not_help,
    is_closing,
    says_yes,
    still_needs_people,
    wants_to_stop,
)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("I want to talk to a person", "en"),
        ("agent", "en"),
        ("a human please", "en"),
        ("can somebody from your team look at this", "en"),
        ("quiero hablar con una persona", "es"),
        ("un agente por favor", "es"),
        ("une personne s'il vous plaît", "fr"),
        ("je veux parler à quelqu’un", "fr"),
    ],
)
def test_a_person_is_asked_for(text: str, lang: str) -> None:
    assert asks_for_person(text, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("lea@example.com", "en"),
        ("123456", "en"),
        ("my agent key stopped working after the update yesterday evening", "en"),
        ("el 3 de marzo", "es"),
    ],
)
def test_form_answers_are_not_a_person_request(text: str, lang: str) -> None:
    assert not asks_for_person(text, lang)


@pytest.mark.parametrize(
    "text", ["stop", "Stop please", "cancel", "never mind", "para", "cancelar", "déjalo", "arrête"]
)
def test_a_stop_is_a_stop(text: str) -> None:
    assert wants_to_stop(text)


@pytest.mark.parametrize(
    "text", ["cancel my subscription", "it stopped working", "para mañana", "arrêt de travail"]
)
def test_a_sentence_with_a_stop_word_is_not_a_stop(text: str) -> None:
    assert not wants_to_stop(text)


@pytest.mark.parametrize("text", ["yes", "Sí", "oui", "ja", "yes please", "ok"])
def test_yes_in_many_languages(text: str) -> None:
    assert says_yes(text)


@pytest.mark.parametrize("text", ["no", "nein", "I said no thank you", ""])
def test_not_a_yes(text: str) -> None:
    assert not says_yes(text)


@pytest.mark.parametrize(
    "text", ["cool ty", "vale, gracias", "parfait", "thanks a lot!", "merci beaucoup", "👍 ok"]
)
def test_closings(text: str) -> None:
    assert is_closing(text)


@pytest.mark.parametrize(
    "text", ["thanks, but how do I cancel?", "ok my image is blurry", "gracias pero no funciona"]
)
def test_a_question_after_thanks_is_not_a_closing(text: str) -> None:
    assert not is_closing(text)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("that didn't help", "en"),
        ("I already tried that", "en"),
        ("it's still not working", "en"),
        ("same error", "en"),
        ("ya lo probé y sigue igual", "es"),
        ("no funciona", "es"),
        ("ça ne marche toujours pas", "fr"),
        ("j'ai déjà essayé", "fr"),
    ],
)
def test_it_did_not_help(text: str, lang: str) -> None:
    assert did_not_help(text, lang)


@pytest.mark.parametrize(
    ("text", "lang"), [("how do I download in 4K", "en"), ("¿y el precio?", "es")]
)
def test_a_new_question_is_not_a_complaint_about_the_answer(text: str, lang: str) -> None:
    assert not did_not_help(text, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("is anyone real reading this?", "en"),
        ("am I talking to a bot?", "en"),
        ("¿hay alguien ahí?", "es"),
        ("est-ce que je parle à un robot ?", "fr"),
    ],
)
def test_indirect_requests_for_a_person(text: str, lang: str) -> None:
    assert asks_for_person(text, lang)


@pytest.mark.parametrize("text", ["para, déjalo", "stop, laissez tomber", "cancel, never mind"])
def test_several_stops_in_a_row_are_a_stop(text: str) -> None:
    assert wants_to_stop(text)


@pytest.mark.parametrize(
    ("text", "lang", "topic"),
    [
        ("Ya lo he leído, quiero apelar la decisión", "es", "prompt_flagged"),
        ("Ça ne m'aide pas, je veux parler à quelqu'un", "fr", "cancel_subscription"),
        ("no me ayuda", "es", "password_reset"),
    ],
)
def test_after_an_answer_people_are_still_needed(text: str, lang: str, topic: str) -> None:
    assert still_needs_people(text, lang, topic)


def test_an_appeal_counts_only_where_there_is_a_decision_to_appeal() -> None:
    assert not still_needs_people("quiero apelar la decisión", "es", "password_reset")

from __future__ import annotations

import pytest

from bot.language.detect import detect


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("hello", "en"),
        ("hola", "es"),
        ("bonjour", "fr"),
        ("merci", "fr"),
        ("gracias", "es"),
        ("Buenos días", "es"),
        ("au revoir", "fr"),
        ("hey there 👋", "en"),
        ("My generations keep failing since this morning", "en"),
        ("Me cobraron dos veces la suscripción este mes", "es"),
        ("Je n'arrive pas à télécharger mes images en haute résolution", "fr"),
    ],
)
def test_supported_languages_are_detected(text: str, lang: str) -> None:
    assert detect(text) == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Das Bild wird nicht heruntergeladen, was soll ich tun?", "de"),
        ("Minha conta foi invadida ontem à noite", "pt"),
        ("مرحبا، لا أستطيع تنزيل الصورة", "ar"),
    ],
)
def test_unsupported_languages_are_reported_as_such(text: str, lang: str) -> None:
    assert detect(text) == lang


@pytest.mark.parametrize("text", ["ok", "👍🔥", "12345", "GEN-502", "?!"])
def test_inconclusive_text_keeps_the_conversation_language(text: str) -> None:
    assert detect(text, previous="fr") == "fr"
    assert detect(text) == "en"


def test_mixed_words_fall_back_to_the_detector() -> None:
    # "hola" and "merci" disagree: the short-word table abstains instead of guessing.
    assert detect("hola merci", previous="en") in {"en", "es", "fr"}


@pytest.mark.parametrize(
    "text",
    [
        "maria.lopez@example.es",
        "482913",
        "mi correo: maria.lopez@example.es",
        "https://imageko.com/help/es/refunds",
        "IMG-000042",
        "ok 👍",
        "Maria Garcia",
        "thanks",
        "merci",
        "yes please",
    ],
)
def test_addresses_codes_and_short_words_never_switch_a_conversation(text: str) -> None:
    assert detect(text, previous="es") == "es"


@pytest.mark.parametrize(
    ("previous", "text", "lang"),
    [
        ("es", "Actually could we continue in English please, I do not read Spanish", "en"),
        ("en", "Je préfère continuer en français, je ne comprends pas bien l'anglais", "fr"),
        ("fr", "Das Bild wird nicht heruntergeladen, was soll ich jetzt tun?", "de"),
    ],
)
def test_a_long_confident_message_in_another_language_switches(
    previous: str, text: str, lang: str
) -> None:
    assert detect(text, previous=previous) == lang


@pytest.mark.parametrize(("text", "lang"), [("yes", "en"), ("sí", "es"), ("oui", "fr")])
def test_a_short_answer_leaves_an_unsupported_language(text: str, lang: str) -> None:
    # After the unsupported-language notice the customer answers in a language we serve.
    assert detect(text, previous="de") == lang


def test_a_first_message_is_judged_without_its_address() -> None:
    assert detect("my email is juan.perez@gmail.es and I cannot log in") == "en"
    assert detect("voici mon adresse : jean.dupont@example.com") == "fr"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Est-ce qu'imageko est en panne en ce moment ?", "fr"),  # lingua: French 0.29 alone
        ("¿imageko está caído ahora mismo?", "es"),
    ],
)
def test_a_plain_question_naming_us_is_in_its_own_language(text: str, lang: str) -> None:
    assert detect(text) == lang

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

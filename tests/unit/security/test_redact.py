"""Secrets never reach the transcript: card numbers, passwords, one-time codes."""

from __future__ import annotations

import pytest

from bot.security.redact import CARD, CODE, PASSWORD, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my card 4242 4242 4242 4242 was charged", f"my card {CARD} was charged"),
        ("tarjeta 4000-0566-5566-5556", f"tarjeta {CARD}"),
        ("card 5555555555554444.", f"card {CARD}."),
        ("my password is hunter2 please", f"my password is {PASSWORD} please"),
        ("contraseña: Secreto#1", f"contraseña: {PASSWORD}"),
        ("mot de passe : azerty123", f"mot de passe : {PASSWORD}"),
        ("the code is 123456", f"the code is {CODE}"),
        ("483920", CODE),
    ],
)
def test_secrets_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 1234567890123 failed",  # 13 digits that fail the Luhn check: not a card
        "error GEN-502 at 14:05 on 2026-11-25",
        "last 4 digits 4242, charged 2 times",
        "ticket IMG-004217",
        "call +44 20 7946 0958",
        "I forgot my password and can't log in",
        "olvidé mi contraseña, ayuda",
    ],
)
def test_ordinary_numbers_stay(text: str) -> None:
    assert redact(text) == text

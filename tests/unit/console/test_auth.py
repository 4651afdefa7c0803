"""Pure parts of the console: roles, passwords, where a sign-in may send you, canned replies."""

from __future__ import annotations

import pytest

from bot.console import canned
from bot.console.auth import PERMISSIONS, Permission, Role, hash_password, token_id
from bot.console.pages import safe_next
from bot.errors import InvalidField


def test_each_role_reaches_only_its_part() -> None:
    assert Permission.TICKETS in PERMISSIONS[Role.AGENT]
    assert Permission.SUPERVISE not in PERMISSIONS[Role.AGENT]
    assert PERMISSIONS[Role.CONTENT_EDITOR] == {Permission.CONTENT}
    assert PERMISSIONS[Role.ADMIN] == set(Permission)
    assert set(PERMISSIONS) == set(Role)  # a new role must say what it may do


def test_passwords_are_salted_argon2id_and_long_enough() -> None:
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first.startswith("$argon2id$")
    assert first != second  # salted
    with pytest.raises(InvalidField):
        hash_password("9 chars!!")


def test_session_tokens_are_stored_as_their_sha256() -> None:
    assert token_id("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/console/tickets/IMG-000001", "/console/tickets/IMG-000001"),
        ("/console", "/console"),
        ("https://evil.example/console", "/console"),
        ("//evil.example/console", "/console"),
        ("/console\\@evil.example", "/console"),
        ("/api/v1/tickets", "/console"),
    ],
)
def test_a_sign_in_only_ever_leads_into_the_console(target: str, expected: str) -> None:
    assert safe_next(target) == expected


def test_canned_responses_exist_in_every_language_with_english_as_fallback() -> None:
    counts = {lang: len(items) for lang, items in canned.CANNED.items()}
    assert counts == {"en": 5, "es": 5, "fr": 5}
    assert canned.responses("de") == canned.CANNED["en"]

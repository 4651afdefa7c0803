"""Pure parts of staff accounts: roles and their permissions, passwords, session tokens."""

from __future__ import annotations

import pytest

from bot.errors import InvalidField
from bot.staff.accounts import PERMISSIONS, Permission, Role, hash_password, token_id


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

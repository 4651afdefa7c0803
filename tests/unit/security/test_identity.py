"""Signed identities: honoured when genuine, ignored when forged, tampered or expired."""

from __future__ import annotations

import pytest

from bot.security.identity import sign, verify

KEY = b"desk-secret"
NOW = 1_800_000_000.0


def test_a_genuine_token_names_the_account_and_plan() -> None:
    token = sign({"account_id": "acc-2002", "plan": "premium", "exp": NOW + 60}, KEY)
    assert verify(token, KEY, NOW) == {"account_id": "acc-2002", "plan": "premium"}


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "not-a-token",
        sign({"account_id": "acc-2002", "plan": "premium", "exp": NOW + 60}, b"other-key"),
        sign({"account_id": "acc-2002", "plan": "premium", "exp": NOW - 1}, KEY),  # expired
        sign({"account_id": "acc-2002", "plan": "premium"}, KEY),  # no expiry
        "x" * 5000,
    ],
)
def test_anything_else_is_ignored(token: object) -> None:
    assert verify(token, KEY, NOW) is None


def test_a_tampered_payload_is_ignored() -> None:
    token = sign({"account_id": "acc-1001", "plan": "free", "exp": NOW + 60}, KEY)
    payload, signature = token.split(".")
    forged = sign({"account_id": "acc-1001", "plan": "enterprise", "exp": NOW + 60}, KEY)
    assert verify(f"{forged.split('.')[0]}.{signature}", KEY, NOW) is None
    assert verify(f"{payload}.{signature}", KEY, NOW) == {"account_id": "acc-1001", "plan": "free"}

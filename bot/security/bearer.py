"""Shared-secret bearer tokens between the desk's own processes (Rasa and the action server):
compared in constant time, and never matching when no secret is configured (fail closed)."""

from __future__ import annotations

import hmac


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if that is what it holds."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def same_secret(given: str | None, expected: str | None) -> bool:
    """Whether `given` is the configured secret; False when either is missing or empty."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())

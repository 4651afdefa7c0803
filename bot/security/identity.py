"""Signed customer identity for the web chat: the site that logged the customer in signs
`{account_id, plan, exp}` with the desk's SECRET_KEY; the widget passes the token along.
An unsigned, forged or expired token is ignored — the customer is then simply anonymous, and
whatever else the message says about who they are is only a claim (`trusted`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

MAX_TOKEN = 2048


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(claims: dict[str, Any], key: bytes) -> str:
    """`<payload>.<signature>` for the site's backend to embed in the page."""
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signature = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def verify(token: Any, key: bytes, now: float | None = None) -> dict[str, str] | None:
    """The token's account id and plan when the signature holds and it has not expired."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN or token.count(".") != 1:
        return None
    payload, signature = token.split(".")
    expected = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(signature, expected):
        return None
    try:
        claims = json.loads(_unb64(payload))
    except ValueError:
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int | float):
        return None
    if claims["exp"] < (time.time() if now is None else now):
        return None
    return {k: str(claims[k]) for k in ("account_id", "plan") if isinstance(claims.get(k), str)}


# What a customer's own message may not say about who they are: kept only as claims.
CLAIMABLE = ("account_id", "plan", "email", "sender_id", "external_user_id")
# What only the desk itself writes into a message's metadata (an upload's image, the claims).
RESERVED = ("identity", "claimed", "image", "content_type", "bytes")


def trusted(metadata: Mapping[str, Any], key: bytes) -> dict[str, Any]:
    """The metadata of a REST or web chat message as the router may read it: the signed
    identity's account and plan, never the caller's word. Unsigned account id, plan, email or
    sender id are moved under `claimed` (shown to agents as unverified, never used)."""
    kept = {k: v for k, v in metadata.items() if k not in CLAIMABLE and k not in RESERVED}
    claimed = {k: metadata[k] for k in CLAIMABLE if k in metadata}
    if claimed:
        kept["claimed"] = claimed
    return {**kept, **(verify(metadata.get("identity"), key) or {})}

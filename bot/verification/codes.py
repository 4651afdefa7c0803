"""One-time codes: emailed six-digit codes (stored hashed) and authenticator codes (RFC 6238)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import datetime

DIGITS = 6
STEP_S = 30


def new_code() -> str:
    """A random six-digit code for an email."""
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def hash_code(code: str, key: bytes) -> str:
    """What the database keeps instead of the code (keyed, so a dump does not reveal codes)."""
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def totp(secret: str, at: datetime, step: int = 0) -> str:
    """The authenticator code of `secret` (base32) at `at`, `step` periods away (RFC 6238)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int(at.timestamp()) // STEP_S + step
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**DIGITS:0{DIGITS}d}"


def totp_matches(secret: str, code: str, at: datetime) -> bool:
    """Whether `code` is the authenticator's code now or one period either side (clock drift)."""
    return any(hmac.compare_digest(totp(secret, at, step), code) for step in (-1, 0, 1))

"""One-time codes: RFC 6238's own test vectors, hashing, and the drift window."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from bot.verification.codes import hash_code, new_code, totp, totp_matches

# RFC 6238 appendix B: the SHA-1 key "12345678901234567890", 8 digits there; we keep the last 6.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("unix", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ],
)
def test_totp_matches_the_rfc_vectors(unix: int, eight_digits: str) -> None:
    assert totp(RFC_SECRET, datetime.fromtimestamp(unix, UTC)) == eight_digits[-6:]


def test_one_period_of_clock_drift_is_accepted_not_two() -> None:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert totp_matches(RFC_SECRET, totp(RFC_SECRET, now - timedelta(seconds=30)), now)
    assert not totp_matches(RFC_SECRET, totp(RFC_SECRET, now - timedelta(seconds=90)), now)


def test_codes_are_six_digits_and_hashes_depend_on_the_key() -> None:
    codes = {new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150  # random, not a counter
    assert hash_code("123456", b"k1") != hash_code("123456", b"k2")
    assert "123456" not in hash_code("123456", b"k1")

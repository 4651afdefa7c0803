"""Which platform failures an outbox should retry."""

from __future__ import annotations

import pytest

from channels.base.errors import PlatformError


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(None, True), (429, True), (500, True), (502, True), (400, False), (403, False)],
)
def test_rate_limits_and_outages_are_retryable(status: int | None, retryable: bool) -> None:
    assert PlatformError("x", status=status).retryable is retryable


def test_the_adapter_may_say_otherwise() -> None:
    assert PlatformError("chat gone", status=500, retryable=False).retryable is False

"""Pure parts of the console pages: where a sign-in may send you."""

from __future__ import annotations

import pytest

from bot.console.pages import safe_next


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

"""A priority raise as agents read it: why, from what to what, and the words behind it.

Every raise (the plan's, urgent words', the urgent@ mailbox's, the customer's tone) is kept in
the ticket's routing under `raises` and explained on the ticket page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

RAISES_KEY = "raises"


def explain(before: str, after: str, because: Sequence[str]) -> str:
    """The line agents read: `Priority raised: normal → high, because: 'fed up'`."""
    quoted = ", ".join(f"'{words}'" for words in because)
    if before == after:
        return f"Upset customer (priority already {after}), because: {quoted}"
    return f"Priority raised: {before} → {after}, because: {quoted}"


def priority_raise(reason: str, before: str, after: str, because: Sequence[str]) -> dict[str, Any]:
    """One raise as the routing keeps it (JSON-ready)."""
    return {
        "reason": reason,
        "from": before,
        "to": after,
        "because": list(because),
        "explanation": explain(before, after, because),
    }

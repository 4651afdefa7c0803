"""The security suite tries its attacks on the running desk (tests/e2e's `desk` fixture)."""

from __future__ import annotations

import re

from tests.e2e.conftest import RunningDesk, desk, desk_env, mail

__all__ = ["desk", "desk_env", "mail", "rasa_url", "redis_url"]  # the e2e fixtures, shared


def _banner(desk: RunningDesk, name: str, pattern: str) -> str:
    found = re.search(rf"\|\s+{name}\s+({pattern})", desk.log.read_text())
    assert found is not None, f"no {name} address in the desk's banner"
    return found.group(1)


def rasa_url(desk: RunningDesk) -> str:
    """Where the desk's Rasa listens, as its banner says."""
    return _banner(desk, "rasa", r"http://\S+")


def redis_url(desk: RunningDesk) -> str:
    """The desk's embedded Redis, as its banner says."""
    return _banner(desk, "redis", r"redis://\S+")

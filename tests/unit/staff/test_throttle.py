"""The sign-in backoff as a function of failures (the rules themselves run on real Redis in
tests/security/test_login_lockout.py)."""

from __future__ import annotations

from itertools import pairwise

from bot.staff.throttle import FREE_FAILURES, MAX_LOCK_S, lock_s


def test_free_failures_then_a_lock_that_doubles_up_to_an_hour() -> None:
    assert [lock_s(n) for n in range(FREE_FAILURES)] == [0] * FREE_FAILURES
    locks = [lock_s(n) for n in range(FREE_FAILURES, FREE_FAILURES + 8)]
    assert locks[:4] == [60, 120, 240, 480]
    assert all(later == min(2 * earlier, MAX_LOCK_S) for earlier, later in pairwise(locks))
    assert lock_s(1000) == MAX_LOCK_S == 3600  # huge counts neither overflow nor lock forever

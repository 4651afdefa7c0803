"""The SLA clock (SUPPORT_POLICY.md §2): due times, business hours and the live-chat queue.

Pure: no I/O and no wall clock; every datetime must be timezone-aware and results are in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.triage.policy import (
    BUSINESS_CLOSE,
    BUSINESS_DAYS,
    BUSINESS_OPEN,
    BUSINESS_TZ,
    DEFAULT_PLAN,
    HOLIDAYS,
    LIVE_PLAN_RANK,
    PLAN_SLA,
    REOPEN_WINDOW,
    SLA_AT_RISK,
    SLA_RULES,
    Priority,
)

_TZ = ZoneInfo(BUSINESS_TZ)


@dataclass(frozen=True)
class SlaDue:
    """When a ticket needs its first response, when it breaches, and its resolution dates."""

    rule: str  # the case that set the first-response due time
    first_response_due: datetime
    breach_at: datetime
    resolution_due: datetime | None
    resolution_target: datetime | None


def _aware(at: datetime) -> datetime:
    """`at` in UTC; a naive datetime has no defined instant, so it is refused."""
    if at.utcoffset() is None:
        raise ValueError(f"timezone-aware datetime required, got naive {at.isoformat()}")
    return at.astimezone(UTC)


def _is_business_day(day: date) -> bool:
    return day.weekday() in BUSINESS_DAYS and (day.month, day.day) not in HOLIDAYS


def _next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while not _is_business_day(day):
        day += timedelta(days=1)
    return day


def is_business_time(at: datetime) -> bool:
    """Whether the desk is open at `at`: a business day, 09:00 inclusive to 18:00 exclusive."""
    local = _aware(at).astimezone(_TZ)
    return _is_business_day(local.date()) and BUSINESS_OPEN <= local.time() < BUSINESS_CLOSE


def next_business_start(at: datetime) -> datetime:
    """`at` (in UTC) if the desk is open then, else the next moment it opens."""
    if is_business_time(at):
        return _aware(at)
    local = at.astimezone(_TZ)
    day = local.date()
    if not (_is_business_day(day) and local.time() < BUSINESS_OPEN):
        day = _next_business_day(day)
    return datetime.combine(day, BUSINESS_OPEN, tzinfo=_TZ).astimezone(UTC)


def add_business_days(at: datetime, days: int) -> datetime:
    """Start the clock at the next business moment, then move `days` business days, same time."""
    if days < 0:
        raise ValueError(f"days must be zero or more, got {days}")
    start = next_business_start(at).astimezone(_TZ)
    day = start.date()
    for _ in range(days):
        day = _next_business_day(day)
    return datetime.combine(day, start.timetz()).astimezone(UTC)


def sla_for(created_at: datetime, *, plan: str | None, priority: str, topic: str) -> SlaDue:
    """Due times of a ticket: the earliest first response and breach of every rule that applies.

    Urgent priority, the customer's plan (unknown or absent: free) and a complaint topic each
    bring a rule; calendar hours run 24/7, resolution dates count business days.
    """
    created = _aware(created_at)
    cases = {PLAN_SLA.get((plan or "").lower(), PLAN_SLA[DEFAULT_PLAN])}
    if priority == Priority.URGENT:
        cases.add("urgent")
    if topic == "complaint":
        cases.add("complaint")
    rules = [rule for rule in SLA_RULES.values() if rule.case in cases]  # policy order: tie-break
    first = min(rules, key=lambda rule: rule.first_response)
    resolution = [r.resolution_days for r in rules if r.resolution_days is not None]
    target = [r.resolution_target_days for r in rules if r.resolution_target_days is not None]
    return SlaDue(
        rule=first.case,
        first_response_due=created + first.first_response,
        breach_at=created + min(rule.breach for rule in rules),
        resolution_due=add_business_days(created, min(resolution)) if resolution else None,
        resolution_target=add_business_days(created, min(target)) if target else None,
    )


def live_chat_open(at: datetime, agents_online: int) -> bool:
    """Whether live chat is offered: business time and at least one agent online."""
    return is_business_time(at) and agents_online > 0


def live_queue_key(plan: str | None, created_at: datetime) -> tuple[int, datetime]:
    """Sort key for the live queue: premium and enterprise before free, then oldest first."""
    rank = LIVE_PLAN_RANK.get((plan or "").lower(), LIVE_PLAN_RANK[DEFAULT_PLAN])
    return rank, _aware(created_at)


def can_reopen(resolved_at: datetime, now: datetime) -> bool:
    """Whether a resolved ticket reopens when the customer writes at `now` (within the window)."""
    return _aware(now) - _aware(resolved_at) <= REOPEN_WINDOW


def at_risk(now: datetime, due_at: datetime, first_response_at: datetime | None) -> bool:
    """Whether an unanswered ticket's first response is late or falls due within the margin."""
    return first_response_at is None and _aware(due_at) - _aware(now) <= SLA_AT_RISK

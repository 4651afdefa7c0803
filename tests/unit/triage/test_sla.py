from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.triage.sla import (
    add_business_days,
    at_risk,
    can_reopen,
    is_business_time,
    live_chat_open,
    live_queue_key,
    next_business_start,
    sla_for,
)

NEW_YORK = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")
LONDON = ZoneInfo("Europe/London")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


MONDAY_10 = utc(2026, 11, 23, 10)  # Monday
FRIDAY_1801 = utc(2026, 11, 27, 18, 1)  # Friday evening
SATURDAY_10 = utc(2026, 11, 28, 10)


# --- SLA rows -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "priority", "topic", "rule", "first_h", "breach_h"),
    [
        pytest.param(None, "urgent", "payment_fraud", "urgent", 6, 12, id="urgent"),
        pytest.param("premium", "high", "refund_request", "premium", 12, 12, id="premium"),
        pytest.param("enterprise", "high", "bug_report", "premium", 12, 12, id="enterprise"),
        pytest.param("Enterprise", "normal", "bug_report", "premium", 12, 12, id="plan-case"),
        pytest.param("free", "normal", "bug_report", "free", 24, 48, id="free"),
        pytest.param(None, "normal", "bug_report", "free", 24, 48, id="no-plan"),
        pytest.param("", "normal", "bug_report", "free", 24, 48, id="empty-plan"),
        pytest.param("platinum", "high", "bug_report", "free", 24, 48, id="unknown-plan"),
        pytest.param("free", "high", "complaint", "complaint", 24, 24, id="complaint-free"),
        pytest.param(None, "high", "complaint", "complaint", 24, 24, id="complaint-no-plan"),
        pytest.param("premium", "urgent", "account_hacked", "urgent", 6, 12, id="urgent-premium"),
        pytest.param("free", "urgent", "account_hacked", "urgent", 6, 12, id="urgent-free"),
        pytest.param("premium", "high", "complaint", "premium", 12, 12, id="complaint-premium"),
        pytest.param("free", "urgent", "complaint", "urgent", 6, 12, id="urgent-complaint"),
    ],
)
def test_first_response_and_breach_are_the_earliest_of_the_applicable_rules(
    plan: str | None, priority: str, topic: str, rule: str, first_h: int, breach_h: int
) -> None:
    due = sla_for(MONDAY_10, plan=plan, priority=priority, topic=topic)
    assert due.rule == rule
    assert due.first_response_due == MONDAY_10 + timedelta(hours=first_h)
    assert due.breach_at == MONDAY_10 + timedelta(hours=breach_h)


@pytest.mark.parametrize(
    ("plan", "priority", "topic"),
    [
        ("premium", "high", "refund_request"),
        ("free", "urgent", "payment_fraud"),
        (None, "normal", "bug_report"),
    ],
)
def test_only_complaints_have_resolution_dates(plan: str | None, priority: str, topic: str) -> None:
    due = sla_for(MONDAY_10, plan=plan, priority=priority, topic=topic)
    assert due.resolution_due is None
    assert due.resolution_target is None


@pytest.mark.parametrize(
    ("plan", "priority"), [("free", "high"), ("premium", "high"), ("enterprise", "urgent")]
)
def test_complaint_resolution_plan_is_due_in_5_to_7_business_days(plan: str, priority: str) -> None:
    due = sla_for(MONDAY_10, plan=plan, priority=priority, topic="complaint")
    assert due.resolution_target == utc(2026, 11, 30, 10)  # 5 business days: next Monday
    assert due.resolution_due == utc(2026, 12, 2, 10)  # 7 business days: next Wednesday


def test_complaint_created_on_saturday_starts_its_business_clock_on_monday_morning() -> None:
    due = sla_for(SATURDAY_10, plan="free", priority="high", topic="complaint")
    assert due.first_response_due == utc(2026, 11, 29, 10)  # calendar hours: Sunday
    assert due.breach_at == utc(2026, 11, 29, 10)
    assert due.resolution_target == utc(2026, 12, 7, 9)  # Mon 30 Nov 09:00 + 5
    assert due.resolution_due == utc(2026, 12, 9, 9)  # Mon 30 Nov 09:00 + 7


def test_complaint_over_new_year_skips_the_holiday_and_the_weekend() -> None:
    due = sla_for(utc(2026, 12, 31, 17), plan=None, priority="high", topic="complaint")
    assert due.resolution_target == utc(2027, 1, 8, 17)  # Jan 4, 5, 6, 7, 8
    assert due.resolution_due == utc(2027, 1, 12, 17)  # ... 11, 12


def test_calendar_hours_ignore_holidays() -> None:
    due = sla_for(utc(2026, 12, 31, 20), plan="free", priority="normal", topic="bug_report")
    assert due.first_response_due == utc(2027, 1, 1, 20)
    assert due.breach_at == utc(2027, 1, 2, 20)


def test_results_are_in_utc() -> None:
    created = datetime(2026, 11, 23, 11, tzinfo=PARIS)
    due = sla_for(created, plan="free", priority="high", topic="complaint")
    for moment in (
        due.first_response_due,
        due.breach_at,
        due.resolution_due,
        due.resolution_target,
    ):
        assert moment is not None
        assert moment.tzinfo is UTC


@pytest.mark.parametrize(
    "created",
    [
        pytest.param(datetime(2026, 11, 27, 13, 1, tzinfo=NEW_YORK), id="new-york"),
        pytest.param(datetime(2026, 11, 27, 19, 1, tzinfo=PARIS), id="paris"),
    ],
)
def test_other_timezones_give_the_same_dues_as_the_utc_instant(created: datetime) -> None:
    assert created == FRIDAY_1801
    for topic, priority in (("complaint", "high"), ("payment_fraud", "urgent")):
        assert sla_for(created, plan="free", priority=priority, topic=topic) == sla_for(
            FRIDAY_1801, plan="free", priority=priority, topic=topic
        )
    assert is_business_time(created) is False
    assert next_business_start(created) == utc(2026, 11, 30, 9)


# --- business hours -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        pytest.param(utc(2026, 11, 23, 8, 59), False, id="mon-0859"),
        pytest.param(utc(2026, 11, 23, 9), True, id="mon-0900"),
        pytest.param(utc(2026, 11, 23, 17, 59), True, id="mon-1759"),
        pytest.param(utc(2026, 11, 23, 18), False, id="mon-1800"),
        pytest.param(utc(2026, 11, 23, 18, 1), False, id="mon-1801"),
        pytest.param(utc(2026, 11, 27, 17, 59), True, id="fri-1759"),
        pytest.param(FRIDAY_1801, False, id="fri-1801"),
        pytest.param(SATURDAY_10, False, id="saturday"),
        pytest.param(utc(2026, 11, 29, 10), False, id="sunday"),
        pytest.param(utc(2026, 12, 24, 10), True, id="christmas-eve"),
        pytest.param(utc(2026, 12, 25, 10), False, id="christmas-day"),
        pytest.param(utc(2028, 12, 26, 10), False, id="boxing-day-on-a-tuesday"),
        pytest.param(utc(2026, 12, 31, 17), True, id="new-years-eve"),
        pytest.param(utc(2027, 1, 1, 10), False, id="new-years-day"),
        pytest.param(utc(2027, 1, 4, 9), True, id="first-monday-of-2027"),
        # GMT literally: 09:30 in London summer time is 08:30 GMT, still closed.
        pytest.param(datetime(2026, 7, 6, 9, 30, tzinfo=LONDON), False, id="bst-0930"),
        pytest.param(datetime(2026, 7, 6, 10, 0, tzinfo=LONDON), True, id="bst-1000"),
        pytest.param(datetime(2026, 11, 23, 4, 0, tzinfo=NEW_YORK), True, id="new-york-0400"),
        pytest.param(datetime(2026, 11, 23, 19, 30, tzinfo=PARIS), False, id="paris-1930"),
    ],
)
def test_is_business_time(at: datetime, open_: bool) -> None:
    assert is_business_time(at) is open_


@pytest.mark.parametrize(
    ("at", "start"),
    [
        pytest.param(utc(2026, 11, 23, 17, 59), utc(2026, 11, 23, 17, 59), id="open-itself"),
        pytest.param(utc(2026, 11, 23, 8, 59), utc(2026, 11, 23, 9), id="before-opening"),
        pytest.param(utc(2026, 11, 23, 18), utc(2026, 11, 24, 9), id="at-closing"),
        pytest.param(utc(2026, 11, 23, 18, 1), utc(2026, 11, 24, 9), id="after-closing"),
        pytest.param(FRIDAY_1801, utc(2026, 11, 30, 9), id="friday-evening"),
        pytest.param(utc(2026, 11, 28, 8), utc(2026, 11, 30, 9), id="saturday-morning"),
        pytest.param(utc(2026, 12, 24, 18, 30), utc(2026, 12, 28, 9), id="christmas"),
        pytest.param(utc(2026, 12, 31, 18), utc(2027, 1, 4, 9), id="year-rollover"),
        pytest.param(utc(2027, 1, 1, 8), utc(2027, 1, 4, 9), id="new-years-day"),
        pytest.param(utc(2028, 12, 24, 12), utc(2028, 12, 27, 9), id="christmas-and-boxing"),
        pytest.param(datetime(2026, 11, 23, 19, tzinfo=PARIS), utc(2026, 11, 24, 9), id="paris"),
    ],
)
def test_next_business_start(at: datetime, start: datetime) -> None:
    got = next_business_start(at)
    assert got == start
    assert got.tzinfo is UTC


@pytest.mark.parametrize(
    ("at", "days", "due"),
    [
        pytest.param(MONDAY_10, 7, utc(2026, 12, 2, 10), id="monday-plus-7"),
        pytest.param(FRIDAY_1801, 7, utc(2026, 12, 9, 9), id="friday-evening-plus-7"),
        pytest.param(SATURDAY_10, 0, utc(2026, 11, 30, 9), id="saturday-plus-0"),
        pytest.param(MONDAY_10, 0, MONDAY_10, id="open-plus-0"),
        pytest.param(utc(2026, 11, 27, 17, 59), 1, utc(2026, 11, 30, 17, 59), id="friday-1759"),
        pytest.param(utc(2026, 12, 24, 10), 1, utc(2026, 12, 28, 10), id="over-christmas"),
        pytest.param(utc(2028, 12, 22, 10), 1, utc(2028, 12, 27, 10), id="christmas-boxing"),
        pytest.param(utc(2026, 12, 31, 17), 1, utc(2027, 1, 4, 17), id="over-new-year"),
        pytest.param(utc(2026, 12, 30, 12), 2, utc(2027, 1, 4, 12), id="year-rollover"),
        pytest.param(
            datetime(2026, 11, 27, 13, 1, tzinfo=NEW_YORK), 7, utc(2026, 12, 9, 9), id="new-york"
        ),
    ],
)
def test_add_business_days(at: datetime, days: int, due: datetime) -> None:
    got = add_business_days(at, days)
    assert got == due
    assert got.tzinfo is UTC


def test_add_business_days_refuses_negative_days() -> None:
    with pytest.raises(ValueError, match="zero or more"):
        add_business_days(MONDAY_10, -1)


NAIVE = datetime(2026, 11, 23, 10)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: is_business_time(NAIVE), id="is_business_time"),
        pytest.param(lambda: next_business_start(NAIVE), id="next_business_start"),
        pytest.param(lambda: add_business_days(NAIVE, 1), id="add_business_days"),
        pytest.param(
            lambda: sla_for(NAIVE, plan=None, priority="normal", topic="bug_report"),
            id="sla_for",
        ),
        pytest.param(lambda: live_chat_open(NAIVE, 1), id="live_chat_open"),
        pytest.param(lambda: live_queue_key("free", NAIVE), id="live_queue_key"),
        pytest.param(lambda: can_reopen(NAIVE, MONDAY_10), id="can_reopen-resolved"),
        pytest.param(lambda: can_reopen(MONDAY_10, NAIVE), id="can_reopen-now"),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[], Any]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


# --- live chat ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "agents", "open_"),
    [
        pytest.param(MONDAY_10, 1, True, id="open-one-agent"),
        pytest.param(MONDAY_10, 0, False, id="open-no-agent"),
        pytest.param(utc(2026, 11, 23, 18), 3, False, id="after-hours"),
        pytest.param(SATURDAY_10, 3, False, id="weekend"),
        pytest.param(utc(2027, 1, 1, 10), 3, False, id="holiday"),
    ],
)
def test_live_chat_open(at: datetime, agents: int, open_: bool) -> None:
    assert live_chat_open(at, agents) is open_


def test_live_queue_puts_premium_and_enterprise_first_then_oldest_first() -> None:
    waiting = [
        ("free-0900", "free", utc(2026, 11, 23, 9)),
        ("premium-0905", "premium", utc(2026, 11, 23, 9, 5)),
        ("none-0858", None, utc(2026, 11, 23, 8, 58)),
        ("enterprise-0902", "enterprise", datetime(2026, 11, 23, 10, 2, tzinfo=PARIS)),
        ("unknown-0901", "gold", utc(2026, 11, 23, 9, 1)),
        ("premium-0903", "Premium", datetime(2026, 11, 23, 4, 3, tzinfo=NEW_YORK)),
    ]
    ordered = sorted(waiting, key=lambda w: live_queue_key(w[1], w[2]))
    assert [name for name, _, _ in ordered] == [
        "enterprise-0902",
        "premium-0903",
        "premium-0905",
        "none-0858",
        "free-0900",
        "unknown-0901",
    ]


# --- reopening ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "reopens"),
    [
        pytest.param(timedelta(hours=1), True, id="1h"),
        pytest.param(timedelta(days=6, hours=23), True, id="6d23h"),
        pytest.param(timedelta(days=7), True, id="exactly-7d"),
        pytest.param(timedelta(days=7, hours=1), False, id="7d01h"),
        pytest.param(timedelta(days=30), False, id="30d"),
    ],
)
def test_can_reopen_within_seven_days(after: timedelta, reopens: bool) -> None:
    assert can_reopen(MONDAY_10, MONDAY_10 + after) is reopens
    assert can_reopen(MONDAY_10.astimezone(NEW_YORK), (MONDAY_10 + after).astimezone(PARIS)) is (
        reopens
    )


def test_at_risk_is_unanswered_and_due_within_the_margin() -> None:
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert at_risk(now, now + timedelta(minutes=30), None)
    assert at_risk(now, now - timedelta(hours=1), None)  # already late
    assert not at_risk(now, now + timedelta(minutes=31), None)
    assert not at_risk(now, now - timedelta(hours=1), now)  # answered: no risk

"""Verification on SQLite and PostgreSQL: mailed codes over real SMTP, authenticator codes,
10-minute expiry, 5 tries per attempt and per account and method whatever the conversation,
limited code mails per address, and nothing revealed about accounts that do not exist."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import session_factory
from bot.db.models import Base
from bot.notify.mail import Mailer
from bot.runtime.demo import seed_demo
from bot.triage import policy
from bot.verification.codes import totp
from bot.verification.service import Check, Outcome, VerificationService
from tests.clock import Clock
from tests.conftest import SmtpSink

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ANA = "ana.free@example.com"  # demo account, no 2FA
PAUL = "paul.premium@example.com"  # demo account with an authenticator
PAUL_TOTP = "JBSWY3DPEHPK3PXP"


@pytest.fixture
async def service(engine: AsyncEngine, smtp_sink: SmtpSink) -> tuple[VerificationService, Clock]:
    sessions = session_factory(engine)
    await seed_demo(sessions)
    clock = Clock(NOW)
    mailer = Mailer("127.0.0.1", smtp_sink.port, "no-reply@imageko.com")
    return VerificationService(sessions, mailer.send, b"test-key", clock), clock


def _mailed_code(sink: SmtpSink) -> str:
    found = re.search(r"\b(\d{6})\b", sink.messages[-1].get_content())
    assert found is not None
    return found.group(1)


async def test_the_mailed_code_verifies(
    service: tuple[VerificationService, Clock], smtp_sink: SmtpSink
) -> None:
    verifier, _ = service
    await verifier.start("c1", "  Ana.Free@Example.com ", "es")
    (mail,) = smtp_sink.messages
    assert mail["To"] == ANA
    assert mail["Subject"] == "Tu código de verificación de imageko"
    assert mail["Auto-Submitted"] == "auto-generated"
    check = await verifier.check("c1", " ".join(_mailed_code(smtp_sink)))  # "1 2 3 4 5 6" too
    assert check.outcome is Outcome.VERIFIED
    assert check.customer_id is not None
    assert (await verifier.check("c1", "000000")).outcome is Outcome.VERIFIED  # stays verified


async def test_five_wrong_tries_lock(
    service: tuple[VerificationService, Clock], smtp_sink: SmtpSink
) -> None:
    verifier, _ = service
    await verifier.start("c2", ANA, "en")
    code = _mailed_code(smtp_sink)
    wrong = "000000" if code != "000000" else "111111"
    left = [(await verifier.check("c2", wrong)).tries_left for _ in range(4)]
    assert left == [4, 3, 2, 1]
    assert (await verifier.check("c2", wrong)).outcome is Outcome.LOCKED
    assert (await verifier.check("c2", code)).outcome is Outcome.LOCKED  # even the right one


async def test_codes_expire_after_ten_minutes(
    service: tuple[VerificationService, Clock], smtp_sink: SmtpSink
) -> None:
    verifier, clock = service
    await verifier.start("c3", ANA, "fr")
    clock.now = NOW + timedelta(minutes=10)
    assert (await verifier.check("c3", _mailed_code(smtp_sink))).outcome is Outcome.EXPIRED


async def test_an_unknown_email_gets_no_mail_and_fails_like_a_wrong_code(
    service: tuple[VerificationService, Clock], smtp_sink: SmtpSink
) -> None:
    verifier, _ = service
    await verifier.start("c4", "nobody@example.com", "en")
    assert smtp_sink.messages == []
    check = await verifier.check("c4", "123456")
    assert (check.outcome, check.tries_left) == (Outcome.WRONG, 4)


async def test_the_authenticator_code_works_without_a_mail(
    service: tuple[VerificationService, Clock], smtp_sink: SmtpSink
) -> None:
    verifier, clock = service
    await verifier.start("c5", PAUL, "en", mail_code=False)
    assert smtp_sink.messages == []
    assert (await verifier.check("c5", "123 456")).outcome is Outcome.WRONG
    check = await verifier.check("c5", totp(PAUL_TOTP, clock.now))
    assert check.outcome is Outcome.VERIFIED


async def test_checking_before_starting(service: tuple[VerificationService, Clock]) -> None:
    verifier, _ = service
    assert (await verifier.check("never", "123456")).outcome is Outcome.NOT_STARTED


async def test_a_mail_outage_does_not_break_the_conversation(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    await seed_demo(sessions)

    async def down(to: str, subject: str, text: str) -> None:
        raise ConnectionRefusedError("smtp down")

    verifier = VerificationService(sessions, down, b"k", Clock(NOW))
    await verifier.start("c6", PAUL, "en")  # logged; the authenticator still works
    assert (await verifier.check("c6", totp(PAUL_TOTP, NOW))).outcome is Outcome.VERIFIED


def _wrong(sink: SmtpSink) -> str:
    """A code that is not the one mailed last."""
    return "000000" if not sink.messages or _mailed_code(sink) != "000000" else "111111"


async def test_starting_again_gives_no_new_tries(
    service: tuple[VerificationService, Clock], smtp_sink: SmtpSink
) -> None:
    """The count is the account's: a restart, or another conversation, goes on from it."""
    verifier, clock = service
    assert await verifier.start("c7", ANA, "en") is Outcome.PENDING
    left = [(await verifier.check("c7", _wrong(smtp_sink))).tries_left for _ in range(3)]
    assert left == [4, 3, 2]
    clock.now += timedelta(minutes=2)
    assert await verifier.start("c7", ANA, "en") is Outcome.PENDING  # the form again
    assert (await verifier.check("c7", _wrong(smtp_sink))).tries_left == 1
    assert (await verifier.check("c7", _wrong(smtp_sink))).outcome is Outcome.LOCKED
    mails = len(smtp_sink.messages)
    clock.now += timedelta(minutes=2)
    assert await verifier.start("c8", ANA, "en") is Outcome.LOCKED  # a new conversation
    assert len(smtp_sink.messages) == mails  # no code is mailed that could not be used
    assert (await verifier.check("c8", _mailed_code(smtp_sink))).outcome is Outcome.LOCKED
    clock.now += policy.CODE_TRIES_WINDOW  # the tries are forgotten after the window
    assert await verifier.start("c9", ANA, "en") is Outcome.PENDING
    assert (await verifier.check("c9", _mailed_code(smtp_sink))).outcome is Outcome.VERIFIED


async def test_authenticator_guesses_are_bounded_across_conversations(
    service: tuple[VerificationService, Clock], smtp_sink: SmtpSink
) -> None:
    """The authenticator's secret never changes: five wrong codes in all, not per attempt."""
    verifier, clock = service
    outcomes = []
    for n in range(5):
        await verifier.start(f"g{n}", PAUL, "en", mail_code=False)
        outcomes.append((await verifier.check(f"g{n}", "123456")).outcome)
    assert outcomes == [Outcome.WRONG] * 4 + [Outcome.LOCKED]
    assert await verifier.start("g5", PAUL, "en", mail_code=False) is Outcome.LOCKED
    right = totp(PAUL_TOTP, clock.now)
    assert (await verifier.check("g5", right)).outcome is Outcome.LOCKED
    # The mailed code is the other method: its own count, untouched.
    assert await verifier.start("g6", PAUL, "en") is Outcome.PENDING
    assert (await verifier.check("g6", _mailed_code(smtp_sink))).outcome is Outcome.VERIFIED
    clock.now += policy.CODE_TRIES_WINDOW + timedelta(seconds=1)
    await verifier.start("g7", PAUL, "en", mail_code=False)
    assert (await verifier.check("g7", totp(PAUL_TOTP, clock.now))).outcome is Outcome.VERIFIED


async def test_a_success_clears_the_wrong_tries(
    service: tuple[VerificationService, Clock], smtp_sink: SmtpSink
) -> None:
    verifier, clock = service
    await verifier.start("s1", ANA, "en")
    for _ in range(4):
        await verifier.check("s1", _wrong(smtp_sink))
    assert (await verifier.check("s1", _mailed_code(smtp_sink))).outcome is Outcome.VERIFIED
    clock.now += timedelta(minutes=5)
    await verifier.start("s2", ANA, "en")
    check = await verifier.check("s2", _wrong(smtp_sink))
    assert (check.outcome, check.tries_left) == (Outcome.WRONG, 4)


async def _sequence(verifier: VerificationService, clock: Clock, email: str) -> list[object]:
    """What the customer would be told, step by step, over three attempts at `email`."""
    told: list[object] = []
    start = clock.now
    for n in range(3):
        conversation = f"{'known' if email == ANA else 'unknown'}-{n}"
        told.append(await verifier.start(conversation, email, "en"))
        for _ in range(3):
            check: Check = await verifier.check(conversation, "999999")
            told.append((check.outcome, check.tries_left))
        clock.now += timedelta(minutes=2)
    clock.now = start
    return told


async def test_an_email_no_account_has_is_locked_exactly_like_an_account(
    service: tuple[VerificationService, Clock], engine: AsyncEngine
) -> None:
    """Policy §8, reveal nothing: the same outcomes and tries left, step by step, whether or
    not the address is an account's; and the unknown address is kept nowhere."""
    verifier, clock = service
    unknown = "Nobody.Here@Example.com"
    told = await _sequence(verifier, clock, ANA)
    wrong, locked = Outcome.WRONG, Outcome.LOCKED
    assert told == [
        *(Outcome.PENDING, (wrong, 4), (wrong, 3), (wrong, 2)),
        *(Outcome.PENDING, (wrong, 1), (locked, 0), (locked, 0)),  # the five are the account's
        *(locked, (locked, 0), (locked, 0), (locked, 0)),
    ]
    assert await _sequence(verifier, clock, unknown) == told
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = (await connection.execute(select(table))).all()
            assert not any("nobody.here" in repr(row).lower() for row in rows), table.name


async def test_code_mails_to_one_address_are_limited_silently(
    service: tuple[VerificationService, Clock], smtp_sink: SmtpSink
) -> None:
    """At most `CODE_MAILS_PER_HOUR` a rolling hour, `CODE_MAIL_GAP` apart; past that the
    customer is told the same, nothing is sent, and the code mailed last still works."""
    verifier, clock = service
    assert await verifier.start("m0", ANA, "en") is Outcome.PENDING
    first_code = _mailed_code(smtp_sink)
    assert await verifier.start("m1", ANA, "en") is Outcome.PENDING  # at once: within the gap
    assert len(smtp_sink.messages) == 1
    assert (await verifier.check("m1", first_code)).outcome is Outcome.VERIFIED
    for n in range(2, 2 + policy.CODE_MAILS_PER_HOUR):
        clock.now += policy.CODE_MAIL_GAP
        assert await verifier.start(f"m{n}", ANA, "en") is Outcome.PENDING
    assert len(smtp_sink.messages) == policy.CODE_MAILS_PER_HOUR  # the last start sent none
    assert all(mail["To"] == ANA for mail in smtp_sink.messages)
    clock.now = NOW + timedelta(hours=1, seconds=1)  # the first mail has left the hour
    assert await verifier.start("m9", ANA, "en") is Outcome.PENDING
    assert len(smtp_sink.messages) == policy.CODE_MAILS_PER_HOUR + 1

"""Verification on SQLite and PostgreSQL: mailed codes over real SMTP, authenticator codes,
10-minute expiry, 5 tries, and nothing revealed about accounts that do not exist."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import session_factory
from bot.notify.mail import Mailer
from bot.runtime.demo import seed_demo
from bot.verification.codes import totp
from bot.verification.service import Outcome, VerificationService
from tests.conftest import SmtpSink

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ANA = "ana.free@example.com"  # demo account, no 2FA
PAUL = "paul.premium@example.com"  # demo account with an authenticator
PAUL_TOTP = "JBSWY3DPEHPK3PXP"


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def service(engine: AsyncEngine, smtp_sink: SmtpSink) -> tuple[VerificationService, Clock]:
    sessions = session_factory(engine)
    await seed_demo(sessions)
    clock = Clock()
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

    verifier = VerificationService(sessions, down, b"k", Clock())
    await verifier.start("c6", PAUL, "en")  # logged; the authenticator still works
    assert (await verifier.check("c6", totp(PAUL_TOTP, NOW))).outcome is Outcome.VERIFIED

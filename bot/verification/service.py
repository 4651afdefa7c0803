"""Proof of account ownership before sensitive requests (policy §8).

`start` looks the account up by the email the customer gives and mails a code to the address
on file; `check` accepts that code or the account's authenticator code. Codes expire after
10 minutes and 5 wrong tries lock the attempt. Attempts belong to a conversation, but wrong
tries also count per account and method (`policy.ACCOUNT_CODE_TRIES` over
`policy.CODE_TRIES_WINDOW`), whatever the conversation and however often it starts again, and
an address gets at most `policy.CODE_MAILS_PER_HOUR` code mails. Nothing said to the customer
depends on whether the account exists: an email no account has is counted the same way, by a
keyed hash of the address (never the address itself).
"""

from __future__ import annotations

import enum
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Customer, Verification, utcnow
from bot.triage import policy
from bot.verification.codes import hash_code, new_code, totp_matches

log = logging.getLogger(__name__)
# Sends (to, subject, text); an outage is logged, the customer is still told to check mail.
SendMail = Callable[[str, str, str], Awaitable[None]]

_SUBJECT = {
    "en": "Your imageko verification code",
    "es": "Tu código de verificación de imageko",
    "fr": "Votre code de vérification imageko",
}
_BODY = {
    "en": "Your code is {code}. It expires in 10 minutes. If you did not ask for it, ignore "
    "this email; nobody can use it without access to your mailbox.",
    "es": "Tu código es {code}. Caduca en 10 minutos. Si no lo has pedido, ignora este correo; "
    "nadie puede usarlo sin acceso a tu buzón.",
    "fr": "Votre code est {code}. Il expire dans 10 minutes. Si vous ne l'avez pas demandé, "
    "ignorez cet e-mail ; personne ne peut l'utiliser sans accès à votre messagerie.",
}


# How the customer proves it: a code mailed to the address on file, or the authenticator's.
EMAIL = "email"
APP = "app"


class Outcome(enum.StrEnum):
    """How a start or a code check ended."""

    PENDING = "pending"  # started: a code is awaited
    VERIFIED = "verified"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"
    NOT_STARTED = "not_started"


@dataclass(frozen=True, slots=True)
class Check:
    """A check's outcome, the tries left, and the verified account (only when verified)."""

    outcome: Outcome
    tries_left: int = 0
    customer_id: int | None = None


class VerificationService:
    """Starts and checks verifications; every attempt is a row, every try counted."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        send_mail: SendMail,
        key: bytes,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._send_mail = send_mail
        self._key = key
        self._clock = clock

    async def start(
        self, conversation_id: str, email: str, lang: str, *, mail_code: bool = True
    ) -> Outcome:
        """Begin verifying the account of `email`; mail it a code unless `mail_code` is off
        (the customer cannot read that mailbox: only the authenticator code will do).

        `PENDING`, or `LOCKED` when this account (or address) has used up its wrong tries for
        the method: then nothing is mailed and no code will do until the window has passed.
        Past the mail limit nothing is mailed either, silently: the code mailed last (if still
        valid) goes on working."""
        now = self._clock()
        address = email.strip().lower()
        method = EMAIL if mail_code else APP
        code = new_code()
        async with self._sessions.begin() as session:
            customer = await session.scalar(
                select(Customer).where(func.lower(Customer.email) == address).with_for_update()
            )
            subject = (
                f"customer:{customer.id}"
                if customer is not None
                else f"email:{hash_code(address, self._key)}"
            )
            locked = await self._wrong_tries(session, subject, method, now) >= (
                policy.ACCOUNT_CODE_TRIES
            )
            mail = (
                mail_code
                and not locked
                and customer is not None
                and customer.email is not None
                and await self._may_mail(session, subject, now)
            )
            code_hash = hash_code(code, self._key) if mail_code else None
            expires_at = now + policy.CODE_TTL
            if mail_code and not mail:
                pending = await self._pending_code(session, subject, now)
                if pending is not None:
                    code_hash, expires_at = pending.code_hash, pending.expires_at
            session.add(
                Verification(
                    conversation_id=conversation_id,
                    customer_id=customer.id if customer else None,
                    subject=subject,
                    method=method,
                    code_hash=code_hash,
                    tries=0,
                    created_at=now,
                    expires_at=expires_at,
                    mailed_at=now if mail else None,
                )
            )
        if mail and customer is not None and customer.email is not None:
            await self._mail(customer, lang, code)
        return Outcome.LOCKED if locked else Outcome.PENDING

    async def _mail(self, customer: Customer, lang: str, code: str) -> None:
        assert customer.email is not None
        lang = lang if lang in _BODY else "en"
        try:
            await self._send_mail(customer.email, _SUBJECT[lang], _BODY[lang].format(code=code))
        except Exception:  # the customer may still use their authenticator code
            log.exception("verification code mail to customer %s failed", customer.id)

    async def check(self, conversation_id: str, code: str) -> Check:
        """Check a code against the conversation's latest attempt."""
        code = "".join(code.split())
        now = self._clock()
        async with self._sessions.begin() as session:
            attempt = await session.scalar(
                select(Verification)
                .where(Verification.conversation_id == conversation_id)
                .order_by(Verification.id.desc())
                .limit(1)
                .with_for_update()
            )
            if attempt is None:
                return Check(Outcome.NOT_STARTED)
            if attempt.verified_at is not None:
                return Check(Outcome.VERIFIED, customer_id=attempt.customer_id)
            # One check at a time per account, whatever the conversation (PostgreSQL locks the
            # row), so parallel guesses cannot all read the count before any adds to it.
            customer = (
                await session.get(Customer, attempt.customer_id, with_for_update=True)
                if attempt.customer_id
                else None
            )
            if attempt.tries >= policy.MAX_CODE_TRIES:
                return Check(Outcome.LOCKED)
            if now >= attempt.expires_at:
                return Check(Outcome.EXPIRED)
            wrong = await self._wrong_tries(session, attempt.subject, attempt.method, now)
            if wrong >= policy.ACCOUNT_CODE_TRIES:
                return Check(Outcome.LOCKED)
            if customer is not None and self._matches(attempt, customer, code, now):
                attempt.verified_at = now
                return Check(Outcome.VERIFIED, customer_id=customer.id)
            attempt.tries += 1
            left = min(
                policy.MAX_CODE_TRIES - attempt.tries, policy.ACCOUNT_CODE_TRIES - (wrong + 1)
            )
            return Check(Outcome.WRONG if left > 0 else Outcome.LOCKED, tries_left=left)

    @staticmethod
    async def _wrong_tries(session: AsyncSession, subject: str, method: str, now: datetime) -> int:
        """Wrong tries of `subject` with `method` within the window, since its last success."""
        same = (Verification.subject == subject, Verification.method == method)
        counted = [*same, Verification.created_at >= now - policy.CODE_TRIES_WINDOW]
        verified = await session.scalar(select(func.max(Verification.verified_at)).where(*same))
        if verified is not None:  # the attempts started before it do not count
            counted.append(Verification.created_at > verified)
        total = await session.scalar(
            select(func.coalesce(func.sum(Verification.tries), 0)).where(*counted)
        )
        return int(total or 0)

    @staticmethod
    async def _may_mail(session: AsyncSession, subject: str, now: datetime) -> bool:
        """Whether the address of `subject` may get another code mail now."""
        mailed = (
            await session.scalars(
                select(Verification.mailed_at).where(
                    Verification.subject == subject,
                    Verification.mailed_at >= now - timedelta(hours=1),
                )
            )
        ).all()
        return len(mailed) < policy.CODE_MAILS_PER_HOUR and all(
            at is not None and now - at >= policy.CODE_MAIL_GAP for at in mailed
        )

    @staticmethod
    async def _pending_code(
        session: AsyncSession, subject: str, now: datetime
    ) -> Verification | None:
        """The attempt whose code was mailed last to `subject`, while that code is still good."""
        found: Verification | None = await session.scalar(
            select(Verification)
            .where(
                Verification.subject == subject,
                Verification.mailed_at.is_not(None),
                Verification.verified_at.is_(None),
                Verification.expires_at > now,
            )
            .order_by(Verification.mailed_at.desc())
            .limit(1)
        )
        return found

    def _matches(self, attempt: Verification, customer: Customer, code: str, now: datetime) -> bool:
        if attempt.code_hash is not None and hmac.compare_digest(
            attempt.code_hash, hash_code(code, self._key)
        ):
            return True
        return customer.totp_secret is not None and totp_matches(customer.totp_secret, code, now)

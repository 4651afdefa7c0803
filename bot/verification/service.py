"""Proof of account ownership before sensitive requests (policy §8).

`start` looks the account up by the email the customer gives and mails a code to the address
on file; `check` accepts that code or the account's authenticator code. Codes expire after
10 minutes and 5 wrong tries lock the attempt. Nothing said to the customer depends on
whether the account exists.
"""

from __future__ import annotations

import enum
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

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


class Outcome(enum.StrEnum):
    """How a code check ended."""

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
    ) -> None:
        """Begin verifying the account of `email`; mail it a code unless `mail_code` is off
        (the customer cannot read that mailbox: only the authenticator code will do)."""
        now = self._clock()
        code = new_code()
        async with self._sessions.begin() as session:
            customer = await session.scalar(
                select(Customer).where(func.lower(Customer.email) == email.strip().lower())
            )
            session.add(
                Verification(
                    conversation_id=conversation_id,
                    customer_id=customer.id if customer else None,
                    code_hash=hash_code(code, self._key) if mail_code else None,
                    tries=0,
                    created_at=now,
                    expires_at=now + policy.CODE_TTL,
                )
            )
        if customer is None or not mail_code or customer.email is None:
            return
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
            if attempt.tries >= policy.MAX_CODE_TRIES:
                return Check(Outcome.LOCKED)
            if now >= attempt.expires_at:
                return Check(Outcome.EXPIRED)
            customer = (
                await session.get(Customer, attempt.customer_id) if attempt.customer_id else None
            )
            if customer is not None and self._matches(attempt, customer, code, now):
                attempt.verified_at = now
                return Check(Outcome.VERIFIED, customer_id=customer.id)
            attempt.tries += 1
            left = policy.MAX_CODE_TRIES - attempt.tries
            return Check(Outcome.WRONG if left else Outcome.LOCKED, tries_left=left)

    def _matches(self, attempt: Verification, customer: Customer, code: str, now: datetime) -> bool:
        if attempt.code_hash is not None and hmac.compare_digest(
            attempt.code_hash, hash_code(code, self._key)
        ):
            return True
        return customer.totp_secret is not None and totp_matches(customer.totp_secret, code, now)

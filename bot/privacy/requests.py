"""Privacy requests (policy §8): a verified customer's, or an admin's, data export or erasure.

An export by email is a ZIP under VAR_DIR and a link with a random token (only its SHA-256
is stored) mailed to the address on file. The link serves the file as often as asked until
it expires, not once: mail scanners fetch links before the person clicks them, and a broken
download must be retried; the token is 256 random bits and every download is audited.
Expired archives are deleted by `purge` (the hub runs it periodically) and on the next try.

Every export and erasure writes an audit line (`bot.staff.audit.AuditLog`) that names the
account only by a keyed hash of its id, so the line outlives an erasure without naming them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import (
    Customer,
    PrivacyKind,
    PrivacyRequest,
    PrivacyStatus,
    Verification,
    utcnow,
)
from bot.errors import NotFound, ServiceUnavailable
from bot.privacy import export
from bot.privacy.erase import erase as erase_customer
from bot.privacy.notice import export_mail
from bot.staff.audit import AuditLog
from bot.triage import policy

log = logging.getLogger(__name__)
# Deletes what the assistant keeps of these conversations (Rasa's trackers, in Redis).
ForgetConversations = Callable[[Sequence[str]], Awaitable[object]]
SendMail = Callable[[str, str, str], Awaitable[None]]
CUSTOMER = "customer"  # `requested_by` when the verified customer asked in a conversation
ARCHIVES = "privacy"  # the archives' folder under VAR_DIR
GONE = "this download link is unknown or has expired"


def token_hash(token: str) -> str:
    """What the table keeps of a download token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Mailed:
    """An export whose link went out."""

    request_id: int
    expires_at: datetime
    hours: int


class PrivacyRequests:
    """Exports and erasures of one customer's data, each recorded and audited."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        send_mail: SendMail,
        audit: AuditLog,
        *,
        var_dir: Path,
        public_url: str,
        key: bytes,
        export_ttl: timedelta,
        clock: Callable[[], datetime] = utcnow,
        forget_conversations: ForgetConversations | None = None,
    ) -> None:
        self._sessions = sessions
        self._send_mail = send_mail
        self._audit = audit
        self._var_dir = var_dir
        self._public_url = public_url.rstrip("/")
        self._key = key
        self._ttl = export_ttl
        self._clock = clock
        self._forget = forget_conversations

    def account_hash(self, account_id: str) -> str:
        """The keyed hash that stands for an account in audit lines and request rows."""
        return hmac.new(self._key, account_id.encode(), hashlib.sha256).hexdigest()

    async def customer_id(self, account_id: str) -> int:
        """The customer of `account_id` (the admin's way in); NotFound when none."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(Customer.id).where(Customer.account_id == account_id)
            )
        if found is None:
            raise NotFound(f"no customer has account id {account_id!r}", code="no_such_account")
        return found

    async def verified_customer(self, conversation_id: str) -> int | None:
        """The customer who proved ownership in this conversation by its latest verification,
        recently enough for a privacy request; None otherwise. The store decides, never a
        slot."""
        since = self._clock() - policy.PRIVACY_VERIFIED_FOR
        async with self._sessions() as session:
            latest = await session.scalar(
                select(Verification)
                .where(Verification.conversation_id == conversation_id)
                .order_by(Verification.id.desc())
                .limit(1)
            )
        if latest is None or latest.verified_at is None or latest.verified_at < since:
            return None
        return latest.customer_id

    async def export_by_email(
        self, customer_id: int, requested_by: str, lang: str | None = None
    ) -> Mailed:
        """Build the customer's archive and mail a download link to the address on file, in
        `lang` (default: the customer's). ServiceUnavailable when the mail cannot go out (the
        archive is deleted again)."""
        now = self._clock()
        token = secrets.token_urlsafe(32)
        relative = f"{ARCHIVES}/{secrets.token_hex(16)}.zip"
        async with self._sessions.begin() as session:
            customer = await self._customer(session, customer_id)
            archive = await export.build(session, customer_id, self._var_dir, now)
            request = PrivacyRequest(
                kind=PrivacyKind.EXPORT,
                customer_id=customer_id,
                account_hash=self.account_hash(customer.account_id),
                requested_by=requested_by,
                status=PrivacyStatus.READY,
                created_at=now,
                completed_at=now,
                token_hash=token_hash(token),
                expires_at=now + self._ttl,
                archive_path=relative,
                downloads=0,
            )
            session.add(request)
            email, language = customer.email, lang or customer.lang
        path = self._var_dir / relative
        try:
            if email is None:
                raise ValueError("no email address on file")
            await asyncio.to_thread(export.write_zip, archive, path)
            hours = int(self._ttl.total_seconds() // 3600)
            subject, text = export_mail(
                language, f"{self._public_url}/privacy/exports/{token}", hours, now + self._ttl
            )
            await self._send_mail(email, subject, text)
        except Exception as exc:
            await self._close(request.id, PrivacyStatus.FAILED)
            log.warning("privacy export %s not delivered: %s", request.id, type(exc).__name__)
            raise ServiceUnavailable(
                "the export's link could not be mailed", code="export_not_delivered"
            ) from exc
        await self._audit.record(
            requested_by,
            "privacy_export",
            request.account_hash,
            {"request": request.id, "delivery": "email link", **archive.counts()},
        )
        return Mailed(request.id, now + self._ttl, hours)

    async def export_to_file(
        self, customer_id: int, requested_by: str, out: Path
    ) -> dict[str, int]:
        """Write the customer's archive to `out` (an admin's own delivery); the counts."""
        now = self._clock()
        async with self._sessions.begin() as session:
            customer = await self._customer(session, customer_id)
            archive = await export.build(session, customer_id, self._var_dir, now)
            request = PrivacyRequest(
                kind=PrivacyKind.EXPORT,
                customer_id=customer_id,
                account_hash=self.account_hash(customer.account_id),
                requested_by=requested_by,
                status=PrivacyStatus.DONE,
                created_at=now,
                completed_at=now,
                downloads=0,
            )
            session.add(request)
        await asyncio.to_thread(export.write_zip, archive, out)
        counts = archive.counts()
        await self._audit.record(
            requested_by,
            "privacy_export",
            request.account_hash,
            {"request": request.id, "delivery": "file", **counts},
        )
        return counts

    async def erase(
        self, customer_id: int, requested_by: str, keep_conversation: str | None = None
    ) -> dict[str, int]:
        """Erase the customer in one transaction, delete their files, audit it; the counts.
        `keep_conversation`: the chat they asked in goes on, empty, for the bot's answer."""
        now = self._clock()
        async with self._sessions.begin() as session:
            customer = await self._customer(session, customer_id)
            hashed = self.account_hash(customer.account_id)
            erased = await erase_customer(
                session, customer_id, self._var_dir, now, keep_conversation
            )
            request = PrivacyRequest(
                kind=PrivacyKind.ERASE,
                customer_id=None,
                account_hash=hashed,
                requested_by=requested_by,
                status=PrivacyStatus.DONE,
                created_at=now,
                completed_at=now,
                downloads=0,
            )
            session.add(request)
        missing = await asyncio.to_thread(_delete_files, erased.files)
        if self._forget is not None:
            try:
                await self._forget(erased.conversations)
            except Exception:  # the erasure stands; the copies expire with Rasa's tracker TTL
                log.exception("privacy erasure %s: Rasa's trackers not deleted", request.id)
        if missing:
            log.warning("privacy erasure %s: %d files were already gone", request.id, missing)
        await self._audit.record(
            requested_by, "privacy_erase", hashed, {"request": request.id, **erased.counts}
        )
        return erased.counts

    async def download(self, token: str, address: str | None = None) -> Path:
        """The archive behind a link that is still open; the same NotFound for a token that
        is unknown, expired or whose archive is gone."""
        now = self._clock()
        async with self._sessions.begin() as session:
            request = await session.scalar(
                select(PrivacyRequest)
                .where(PrivacyRequest.token_hash == token_hash(token))
                .with_for_update()
            )
            if request is None or request.status is not PrivacyStatus.READY:
                raise NotFound(GONE, code="export_not_found")
            path = self._var_dir / request.archive_path if request.archive_path else None
            open_ = request.expires_at is not None and now < request.expires_at
            served = open_ and path is not None and path.is_file()
            if served:
                request.downloads += 1
        if not served or path is None:
            await self._close(request.id, PrivacyStatus.EXPIRED)
            raise NotFound(GONE, code="export_not_found")
        await self._audit.record(
            CUSTOMER,
            "privacy_export_downloaded",
            request.account_hash,
            {"request": request.id, "downloads": request.downloads},
            address,
        )
        return path

    async def purge(self) -> int:
        """Delete every archive past its expiry, and any archive no open request holds; how
        many went."""
        now = self._clock()
        async with self._sessions() as session:
            due = list(
                await session.scalars(
                    select(PrivacyRequest.id)
                    .where(PrivacyRequest.status == PrivacyStatus.READY)
                    .where(PrivacyRequest.expires_at <= now)
                )
            )
        for request_id in due:
            await self._close(request_id, PrivacyStatus.EXPIRED)
        # Files of open requests are committed before they are written, so any other file in
        # the folder (a crash between the two steps of a failure) is no one's.
        async with self._sessions() as session:
            kept = set(
                await session.scalars(
                    select(PrivacyRequest.archive_path).where(
                        PrivacyRequest.status == PrivacyStatus.READY
                    )
                )
            )
        folder = self._var_dir / ARCHIVES
        strays = [
            path
            for path in (folder.iterdir() if folder.is_dir() else ())
            if f"{ARCHIVES}/{path.name}" not in kept
        ]
        await asyncio.to_thread(_delete_files, strays)
        return len(due) + len(strays)

    async def run_forever(self, interval_s: float) -> None:
        """Purge every `interval_s` seconds until cancelled; a failed round is logged."""
        while True:
            try:
                await self.purge()
            except Exception:
                log.exception("privacy archive purge failed")
            await asyncio.sleep(interval_s)

    async def _customer(self, session: AsyncSession, customer_id: int) -> Customer:
        customer = await session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"no customer {customer_id}", code="no_such_customer")
        return customer

    async def _close(self, request_id: int, status: PrivacyStatus) -> None:
        """End an export's link: its archive deleted, the request marked."""
        async with self._sessions.begin() as session:
            request = await session.get(PrivacyRequest, request_id, with_for_update=True)
            if request is None or request.status is not PrivacyStatus.READY:
                return
            relative, request.archive_path = request.archive_path, None
            request.status = status
        if relative is not None:
            await asyncio.to_thread(_delete_files, [self._var_dir / relative])


def _delete_files(paths: list[Path]) -> int:
    """Delete each file; how many were already gone."""
    gone = 0
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            gone += 1
    return gone

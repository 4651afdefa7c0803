"""Privacy requests (policy §8): a customer's data export or erasure, shared by the hub, the
actions it serves and the admin's command line."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.notify.mail import Mailer
from bot.privacy.requests import ForgetConversations, PrivacyRequests
from bot.settings import Settings
from bot.staff.audit import AuditLog

_service: PrivacyRequests | None = None


def build(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    forget_conversations: ForgetConversations | None = None,
) -> PrivacyRequests:
    """The service the settings describe, on `sessions`; `forget_conversations` deletes what
    the assistant keeps of erased conversations (the hub hands it Rasa's tracker store)."""
    return PrivacyRequests(
        sessions,
        Mailer.from_settings(settings).send,
        AuditLog(sessions),
        var_dir=settings.var_dir,
        public_url=settings.public_url,
        key=settings.signing_key(),
        export_ttl=timedelta(hours=settings.privacy_export_ttl_h),
        forget_conversations=forget_conversations,
    )


def configure(service: PrivacyRequests | None) -> None:
    """Install the process's service (the hub does it at start; None uninstalls it)."""
    global _service
    _service = service


def current() -> PrivacyRequests:
    """The process's service; an action server running alone builds its own from settings."""
    global _service
    if _service is None:
        from bot.db import create_engine, session_factory
        from bot.settings import load_settings

        settings = load_settings()
        _service = build(settings, session_factory(create_engine(settings.effective_database_url)))
    return _service

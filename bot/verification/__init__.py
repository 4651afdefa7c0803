"""Identity verification (policy §8), shared by the hub and the actions it serves."""

from __future__ import annotations

from bot.verification.service import VerificationService

_service: VerificationService | None = None


def configure(service: VerificationService | None) -> None:
    """Install the process's service (the hub does it at start; None uninstalls it)."""
    global _service
    _service = service


def current() -> VerificationService:
    """The process's service; an action server running alone builds its own from settings."""
    global _service
    if _service is None:
        from bot.db import create_engine, session_factory
        from bot.notify.mail import Mailer
        from bot.settings import load_settings

        settings = load_settings()
        engine = create_engine(settings.effective_database_url)
        _service = VerificationService(
            session_factory(engine),
            Mailer.from_settings(settings).send,
            settings.signing_key(),
        )
    return _service

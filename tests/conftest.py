"""Fixtures shared by every test folder: real services, reached on loopback."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from redis.asyncio import Redis

from bot.settings import Settings

# CI and every developer machine of this project run these two (see .ci/run).
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ACTION_SECRET = "test-action-secret"  # what Rasa would send to the hub's action endpoint


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings isolated from the developer's environment: a fresh SQLite file, real Redis."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'desk.db'}",
        redis_url=REDIS_URL,
        rasa_url="http://127.0.0.1:9",  # discard port: nothing answers, like a Rasa that is down
        var_dir=tmp_path / "var",
        action_secret=ACTION_SECRET,
    )


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """The real Redis of the machine, on a database of its own, emptied after use."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:
        pytest.fail(f"Redis at {REDIS_URL} is not reachable ({exc}); .ci/run starts it")
    yield client
    await client.flushdb()
    await client.aclose()


@dataclass
class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server for one test."""
    from bot.runtime.launcher import free_port

    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()

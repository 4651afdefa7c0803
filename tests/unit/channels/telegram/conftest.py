"""A Telegram adapter talking to a local fake Bot API, for the webhook and polling tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from channels.telegram.adapter import TelegramAdapter, telegram_adapter
from tests.fakes.desk import Desk
from tests.fakes.telegram_api import SECRET, TOKEN, FakeTelegram


@pytest.fixture
async def platform() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def adapter(
    platform: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TelegramAdapter]:
    # PTB's coming behaviour (retry_after as a timedelta), without its deprecation warnings.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with telegram_adapter(TOKEN, SECRET, base_url=platform.base_url) as adapter:
        yield adapter


@pytest.fixture
def desk() -> Desk:
    return Desk()

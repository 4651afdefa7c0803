"""An X adapter talking to a local fake X API, for the webhook and polling tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from channels.twitter.adapter import TwitterAdapter, twitter_adapter
from tests.fakes.desk import Desk
from tests.fakes.x_api import (
    ACCESS_TOKEN,
    ACCESS_TOKEN_SECRET,
    BOT,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    FakeX,
)


@pytest.fixture
async def platform() -> AsyncIterator[FakeX]:
    async with FakeX() as fake:
        yield fake


@pytest.fixture
async def adapter(platform: FakeX) -> AsyncIterator[TwitterAdapter]:
    adapter = twitter_adapter(
        CONSUMER_KEY,
        CONSUMER_SECRET,
        ACCESS_TOKEN,
        ACCESS_TOKEN_SECRET,
        BOT["id"],
        api_url=platform.base_url,
    )
    async with adapter:
        yield adapter


@pytest.fixture
def desk() -> Desk:
    return Desk()

"""Messenger and Instagram adapters talking to a local fake Graph API, for the parsing,
rendering and webhook tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from channels.meta.adapter import (
    InstagramAdapter,
    MessengerAdapter,
    instagram_adapter,
    messenger_adapter,
)
from tests.fakes.desk import Desk
from tests.fakes.graph_api import (
    APP_SECRET,
    INSTAGRAM_ACCOUNT_ID,
    INSTAGRAM_TOKEN,
    PAGE_ID,
    PAGE_TOKEN,
    VERIFY_TOKEN,
    FakeGraph,
)


@pytest.fixture
async def platform() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        yield fake


@pytest.fixture
async def messenger(platform: FakeGraph) -> AsyncIterator[MessengerAdapter]:
    async with messenger_adapter(
        PAGE_TOKEN, APP_SECRET, VERIFY_TOKEN, page_id=PAGE_ID, graph_url=platform.base_url
    ) as adapter:
        yield adapter


@pytest.fixture
async def instagram(platform: FakeGraph) -> AsyncIterator[InstagramAdapter]:
    async with instagram_adapter(
        INSTAGRAM_TOKEN,
        APP_SECRET,
        VERIFY_TOKEN,
        account_id=INSTAGRAM_ACCOUNT_ID,
        graph_url=platform.base_url,
    ) as adapter:
        yield adapter


@pytest.fixture
def desk() -> Desk:
    return Desk()

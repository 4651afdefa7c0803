"""A Slack adapter talking to a local fake Web API, for the webhook and notification tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from channels.slack.adapter import SlackAdapter, slack_adapter
from tests.fakes.desk import Desk
from tests.fakes.slack_api import SIGNING_SECRET, TOKEN, FakeSlack


@pytest.fixture
async def platform() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def adapter(platform: FakeSlack) -> AsyncIterator[SlackAdapter]:
    async with slack_adapter(TOKEN, SIGNING_SECRET, base_url=platform.base_url) as adapter:
        yield adapter


@pytest.fixture
def desk() -> Desk:
    return Desk()

"""The messaging platforms the settings configure: each one's adapter, its webhook router, and
its polling loop for setups without a public URL. The app mounts and runs what is here."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter

from bot.settings import Settings
from channels.base.adapter import ChannelAdapter, Handle, Seen
from channels.meta.adapter import MetaAdapter, instagram_adapter, messenger_adapter
from channels.meta.webhook import meta_router
from channels.slack.adapter import slack_adapter
from channels.slack.webhook import slack_router
from channels.telegram.adapter import telegram_adapter
from channels.telegram.webhook import telegram_router
from channels.twitter.adapter import twitter_adapter
from channels.twitter.webhook import twitter_router

# A polling loop, run until the event is set.
Poll = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class Platform:
    """One configured platform."""

    adapter: ChannelAdapter[Any]
    router: APIRouter | None = None  # its webhook, when it takes webhooks
    poll: Poll | None = None  # its polling loop, when it polls


def _secret(value: Any) -> str:
    return str(value.get_secret_value()) if value is not None else ""


def configured(settings: Settings, handle: Handle, seen: Seen) -> dict[str, Platform]:
    """The platforms whose credentials are set, by channel name (no I/O here)."""
    platforms: dict[str, Platform] = {}
    if settings.telegram_bot_token is not None:
        secret = _secret(settings.telegram_webhook_secret) or None
        telegram = telegram_adapter(
            _secret(settings.telegram_bot_token),
            secret,
            base_url=settings.telegram_api_url,
            max_age=timedelta(seconds=settings.telegram_max_age_s),
        )

        async def poll_telegram(stop: asyncio.Event) -> None:
            await telegram.poll(handle, seen=seen, stop_event=stop)

        platforms["telegram"] = (
            Platform(telegram, router=telegram_router(telegram, handle, seen))
            if secret
            else Platform(telegram, poll=poll_telegram)  # no public URL: long polling
        )
    if settings.x_consumer_key and settings.x_bot_user_id:
        x = twitter_adapter(
            settings.x_consumer_key,
            _secret(settings.x_consumer_secret),
            _secret(settings.x_access_token),
            _secret(settings.x_access_token_secret),
            settings.x_bot_user_id,
            api_url=settings.x_api_url or None,
            max_age=timedelta(seconds=settings.x_max_age_s),
        )

        async def poll_x(stop: asyncio.Event) -> None:
            await x.poll(handle, seen=seen, stop_event=stop, interval_s=settings.x_poll_interval_s)

        platforms["twitter"] = Platform(
            x,
            router=twitter_router(x, handle, seen),
            poll=poll_x if settings.x_poll_interval_s > 0 else None,
        )
    if settings.slack_bot_token is not None and settings.slack_signing_secret is not None:
        slack = slack_adapter(
            _secret(settings.slack_bot_token),
            _secret(settings.slack_signing_secret),
            base_url=settings.slack_api_url,
        )
        platforms["slack"] = Platform(slack, router=slack_router(slack, handle, seen))
    platforms |= _meta(settings, handle, seen)
    return platforms


def _meta(settings: Settings, handle: Handle, seen: Seen) -> dict[str, Platform]:
    """Messenger and Instagram share one app, so one webhook serves both."""
    if settings.meta_app_secret is None:
        return {}
    secret = _secret(settings.meta_app_secret)
    verify = _secret(settings.meta_verify_token) or None
    max_age = timedelta(seconds=settings.meta_max_age_s)
    adapters: dict[str, MetaAdapter] = {}
    if settings.messenger_page_token is not None:
        adapters["messenger"] = messenger_adapter(
            _secret(settings.messenger_page_token),
            secret,
            verify,
            page_id=settings.meta_page_id or None,
            graph_url=settings.meta_graph_url,
            max_age=max_age,
        )
    if settings.instagram_token is not None:
        adapters["instagram"] = instagram_adapter(
            _secret(settings.instagram_token),
            secret,
            verify,
            account_id=settings.instagram_account_id or None,
            graph_url=settings.meta_graph_url,
            max_age=max_age,
        )
    if not adapters:
        return {}
    router = meta_router(list(adapters.values()), handle, seen)
    first, *rest = adapters
    return {first: Platform(adapters[first], router=router)} | {
        name: Platform(adapters[name]) for name in rest
    }

"""`python -m bot privacy export | erase`: an admin runs a customer's privacy request (§8)."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.rasa.trackers import forget_trackers
from bot.settings import load_settings


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `privacy` command and its two kinds."""
    privacy = commands.add_parser("privacy", help="a customer's data export or erasure (§8)")
    kinds = privacy.add_subparsers(dest="privacy_command", required=True)
    export = kinds.add_parser("export", help="a ZIP of what the desk holds about a customer")
    erase = kinds.add_parser("erase", help="anonymise their conversations, delete their record")
    for kind in (export, erase):
        kind.add_argument("--account", required=True, help="the customer's account id")
        kind.add_argument("--by", required=True, help="your admin id, for the audit log")
    delivery = export.add_mutually_exclusive_group(required=True)
    delivery.add_argument(
        "--email-link", action="store_true", help="mail a download link to the address on file"
    )
    delivery.add_argument("--out", type=Path, help="write the ZIP to this file")
    erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")


async def run(args: argparse.Namespace, sessions: async_sessionmaker[AsyncSession]) -> str:
    """Run one privacy request for an admin; what to print."""
    from bot import privacy
    from bot.db.models import Agent
    from bot.errors import Forbidden
    from bot.staff.accounts import Role

    async with sessions() as session:
        operator = await session.get(Agent, args.by)
    if operator is None or operator.role != Role.ADMIN.value:
        raise Forbidden(f"{args.by!r} is not an admin of this desk", code="not_an_admin")
    settings = load_settings()
    if args.privacy_command == "erase":
        # The assistant's copies (Rasa's trackers) live in the desk's Redis, when we know it.
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        forget = partial(forget_trackers, redis) if redis is not None else None
        try:
            service = privacy.build(settings, sessions, forget)
            counts = await service.erase(await service.customer_id(args.account), args.by)
        finally:
            if redis is not None:
                await redis.aclose()
        done = f"erased {args.account}: " + ", ".join(f"{n} {k}" for k, n in counts.items())
        if redis is None:
            done += "\n(REDIS_URL unset: the assistant's copies of the chats expire within a week)"
        return done
    service = privacy.build(settings, sessions)
    customer = await service.customer_id(args.account)
    if args.out is not None:
        counts = await service.export_to_file(customer, args.by, args.out)
        return f"wrote {args.out}: " + ", ".join(f"{n} {k}" for k, n in counts.items())
    mailed = await service.export_by_email(customer, args.by)
    return f"mailed a download link to the address on file, valid for {mailed.hours} h"

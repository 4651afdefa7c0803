"""Command line of the desk: `python -m bot run | hub | migrate`."""

from __future__ import annotations

import argparse
import asyncio

from bot.settings import load_settings


async def _migrate(seed: bool) -> None:
    from bot.db import create_engine, session_factory
    from bot.db.migrate import upgrade
    from bot.tickets.demo import seed_demo

    engine = create_engine(load_settings().effective_database_url)
    try:
        await upgrade(engine)
        if seed:
            await seed_demo(session_factory(engine))
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the whole desk (embedded Redis, Rasa, hub)")
    hub = commands.add_parser("hub", help="migrate the database, then serve the hub alone")
    hub.add_argument("--no-migrate", action="store_true", help="skip migrations (replicas)")
    migrate = commands.add_parser("migrate", help="bring the database to the newest schema")
    migrate.add_argument("--demo", action="store_true", help="also seed demo customers/agents")
    args = parser.parse_args(argv)

    if args.command == "run":
        from bot.launcher import run_desk

        return asyncio.run(run_desk(load_settings()))
    if args.command == "migrate":
        asyncio.run(_migrate(args.demo))
        return 0

    import uvicorn

    settings = load_settings()
    if not args.no_migrate:
        asyncio.run(_migrate(settings.demo_data))
    uvicorn.run(
        "bot.app:create_app",
        factory=True,
        host=settings.hub_host,
        port=settings.hub_port,
        log_level=settings.log_level,
    )
    return 0

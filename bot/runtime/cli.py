"""Command line of the desk: `python -m bot run | hub | migrate | user`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from bot.settings import load_settings


async def _migrate(seed: bool) -> None:
    from bot.db import create_engine, session_factory
    from bot.db.migrate import upgrade
    from bot.runtime.demo import seed_demo

    settings = load_settings()
    engine = create_engine(settings.effective_database_url)
    try:
        await upgrade(engine)
        if seed:
            await seed_demo(session_factory(engine), settings.demo_password.get_secret_value())
    finally:
        await engine.dispose()


async def _add_user(args: argparse.Namespace, password: str) -> None:
    from bot.db import create_engine, session_factory
    from bot.staff.accounts import Accounts, Role

    engine = create_engine(load_settings().effective_database_url)
    try:
        accounts = Accounts(session_factory(engine))
        if args.reset_password:
            await accounts.set_password(args.id, password)
        else:
            await accounts.create_user(
                args.id,
                name=args.name or args.id,
                role=Role(args.role),
                password=password,
                queues=args.queue,
                tier=args.tier,
                email=args.email,
            )
    finally:
        await engine.dispose()


def _password(from_stdin: bool) -> str:
    """From stdin (scripts) or typed twice at a prompt; never from the command line."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("the passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the whole desk (embedded Redis, Rasa, hub)")
    hub = commands.add_parser("hub", help="migrate the database, then serve the hub alone")
    hub.add_argument("--no-migrate", action="store_true", help="skip migrations (replicas)")
    migrate = commands.add_parser("migrate", help="bring the database to the newest schema")
    migrate.add_argument("--demo", action="store_true", help="also seed demo customers/agents")
    user = commands.add_parser("user", help="add a console user (or reset their password)")
    user.add_argument("id", help="sign-in name, e.g. lea")
    user.add_argument("--name", help="display name (default: the id)")
    user.add_argument(
        "--role", default="agent", choices=["agent", "supervisor", "content_editor", "admin"]
    )
    user.add_argument("--queue", action="append", default=[], help="a queue worked (repeat)")
    user.add_argument("--tier", type=int, default=1)
    user.add_argument("--email")
    user.add_argument("--password-stdin", action="store_true", help="read the password on stdin")
    user.add_argument("--reset-password", action="store_true", help="only set a new password")
    args = parser.parse_args(argv)

    if args.command == "run":
        from bot.runtime.launcher import run_desk

        return asyncio.run(run_desk(load_settings()))
    if args.command == "migrate":
        asyncio.run(_migrate(args.demo))
        return 0
    if args.command == "user":
        from bot.errors import DeskError

        asyncio.run(_migrate(seed=False))
        try:
            asyncio.run(_add_user(args, _password(args.password_stdin)))
        except DeskError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
        print(f"{'password reset for' if args.reset_password else 'added'} {args.id}")
        return 0

    import uvicorn

    settings = load_settings()
    if not args.no_migrate:
        asyncio.run(_migrate(settings.demo_data))
    uvicorn.run(
        "bot.http.app:create_app",
        factory=True,
        host=settings.hub_host,
        port=settings.hub_port,
        log_level=settings.log_level,
        timeout_graceful_shutdown=5,  # open console feeds must not hold a stop forever
    )
    return 0

"""Command line of the desk: `python -m bot run | hub | migrate | user | privacy`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

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


def _privacy_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


async def _privacy(args: argparse.Namespace) -> str:
    """Run one privacy request for an admin; what to print."""
    from bot import privacy
    from bot.db import create_engine, session_factory
    from bot.db.models import Agent
    from bot.errors import Forbidden
    from bot.staff.accounts import Role

    settings = load_settings()
    engine = create_engine(settings.effective_database_url)
    try:
        sessions = session_factory(engine)
        async with sessions() as session:
            operator = await session.get(Agent, args.by)
        if operator is None or operator.role != Role.ADMIN.value:
            raise Forbidden(f"{args.by!r} is not an admin of this desk", code="not_an_admin")
        service = privacy.build(settings, sessions)
        customer = await service.customer_id(args.account)
        if args.privacy_command == "erase":
            counts = await service.erase(customer, args.by)
            return f"erased {args.account}: " + ", ".join(f"{n} {k}" for k, n in counts.items())
        if args.out is not None:
            counts = await service.export_to_file(customer, args.by, args.out)
            return f"wrote {args.out}: " + ", ".join(f"{n} {k}" for k, n in counts.items())
        mailed = await service.export_by_email(customer, args.by)
        return f"mailed a download link to the address on file, valid for {mailed.hours} h"
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
    _privacy_commands(commands)
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

    if args.command == "privacy":
        from bot.errors import DeskError

        if args.privacy_command == "erase" and not args.yes:
            print("error: an erasure cannot be undone: add --yes to go ahead", file=sys.stderr)
            return 2
        asyncio.run(_migrate(seed=False))
        try:
            print(asyncio.run(_privacy(args)))
        except DeskError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
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

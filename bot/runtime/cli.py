"""Command line of the desk: `python -m bot run | hub | migrate | user | token | privacy`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.runtime import privacy_commands
from bot.settings import load_settings

CLI_ACTOR = "cli"  # who the audit log names for what an operator did on the command line


@asynccontextmanager
async def _database() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The configured database, migrated to the newest schema."""
    from bot.db import create_engine, session_factory
    from bot.db.migrate import upgrade

    engine = create_engine(load_settings().effective_database_url)
    try:
        await upgrade(engine)
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def _migrate() -> None:
    async with _database():
        pass


async def _add_user(args: argparse.Namespace, password: str) -> None:
    from bot.staff.accounts import Accounts, Role
    from bot.staff.audit import AuditLog

    async with _database() as sessions:
        accounts = Accounts(sessions)
        if args.reset_password:
            await accounts.set_password(args.id, password)
            await AuditLog(sessions).record(CLI_ACTOR, "password_reset", args.id)
            return
        await accounts.create_user(
            args.id,
            name=args.name or args.id,
            role=Role(args.role),
            password=password,
            queues=args.queue,
            tier=args.tier,
            email=args.email,
        )
        data = {"role": args.role, "queues": args.queue, "tier": args.tier}
        await AuditLog(sessions).record(CLI_ACTOR, "person_added", args.id, data)


async def _token(args: argparse.Namespace) -> str:
    """What the `token` command prints."""
    from bot.staff.audit import AuditLog
    from bot.staff.tokens import ApiTokens

    async with _database() as sessions:
        tokens, audit = ApiTokens(sessions), AuditLog(sessions)
        if args.action == "issue":
            token, row = await tokens.issue(args.agent, name=args.name, by=CLI_ACTOR)
            await audit.record(CLI_ACTOR, "token_issued", args.agent, {"token": row.id})
            return (
                f"{token}\n"
                f"token #{row.id} for {args.agent} ({row.name}): shown only now; send it as "
                "'Authorization: Bearer <token>'"
            )
        if args.action == "revoke":
            row = await tokens.revoke(args.id)
            await audit.record(CLI_ACTOR, "token_revoked", row.agent_id, {"token": row.id})
            return f"revoked token #{row.id} of {row.agent_id} ({row.name})"
        lines = [f"{'id':>4}  {'agent':<16}{'name':<24}{'token':<12}{'last used':<18}status"]
        for row in await tokens.tokens(args.agent):
            used = row.last_used_at.strftime("%Y-%m-%d %H:%M") if row.last_used_at else "never"
            status = "revoked" if row.revoked_at else "active"
            lines.append(
                f"{row.id:>4}  {row.agent_id:<16}{row.name[:23]:<24}{row.hint + '…':<12}"
                f"{used:<18}{status}"
            )
        return "\n".join(lines)


def _password(from_stdin: bool) -> str:
    """From stdin (scripts) or typed twice at a prompt; never from the command line."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("the passwords differ")
    return first


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the whole desk (embedded Redis, Rasa, hub, demo data)")
    hub = commands.add_parser("hub", help="migrate the database, then serve the hub alone")
    hub.add_argument("--no-migrate", action="store_true", help="skip migrations (replicas)")
    commands.add_parser("migrate", help="bring the database to the newest schema")
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
    token = commands.add_parser("token", help="per-person API tokens of the agent API")
    actions = token.add_subparsers(dest="action", required=True)
    issue = actions.add_parser("issue", help="a new token acting as <agent> (printed once)")
    issue.add_argument("agent", help="the person it acts as, e.g. lea")
    issue.add_argument("--name", default="API token", help="what it is for, e.g. 'CRM'")
    revoke = actions.add_parser("revoke", help="stop a token for good")
    revoke.add_argument("id", type=int, help="the token's number (see `token list`)")
    listing = actions.add_parser("list", help="every token (never the tokens themselves)")
    listing.add_argument("--agent", help="only this person's")
    privacy_commands.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "run":
        from bot.runtime.launcher import run_desk

        return asyncio.run(run_desk(load_settings()))
    if args.command == "migrate":
        asyncio.run(_migrate())
        return 0
    if args.command == "privacy":
        return _privacy(args)
    if args.command in ("user", "token"):
        from bot.errors import DeskError

        try:
            if args.command == "token":
                print(asyncio.run(_token(args)))
                return 0
            asyncio.run(_add_user(args, _password(args.password_stdin)))
        except DeskError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
        print(f"{'password reset for' if args.reset_password else 'added'} {args.id}")
        return 0
    return _serve_hub(args.no_migrate)


def _privacy(args: argparse.Namespace) -> int:
    from bot.errors import DeskError

    if args.privacy_command == "erase" and not args.yes:
        print("error: an erasure cannot be undone: add --yes to go ahead", file=sys.stderr)
        return 2

    async def request() -> str:
        async with _database() as sessions:
            return await privacy_commands.run(args, sessions)

    try:
        print(asyncio.run(request()))
    except DeskError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    return 0


def _serve_hub(no_migrate: bool) -> int:
    import uvicorn

    from bot.runtime.serve import refusals, uvicorn_options

    settings = load_settings()
    reasons = refusals(settings)
    for reason in reasons:
        print(f"error: {reason}", file=sys.stderr)
    if reasons:
        return 2
    if not no_migrate:
        asyncio.run(_migrate())
    uvicorn.run("bot.http.app:create_app", factory=True, **uvicorn_options(settings))
    return 0

"""Console users, their roles, argon2 passwords and server-side sessions.

A console user is a row of `agents` with a role and a password hash. The session cookie holds a
random token; the database keeps only its SHA-256, so a leaked table signs nobody in. Each session
has its own CSRF token, which every state-changing request must echo.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Agent, ConsoleSession, utcnow
from bot.errors import Conflict, InvalidField, NotFound, Unauthorized
from bot.triage import policy


class Role(enum.StrEnum):
    """What a person does in the console."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    CONTENT_EDITOR = "content_editor"
    ADMIN = "admin"


class Permission(enum.StrEnum):
    """What a role allows."""

    TICKETS = "tickets"  # the queue, conversations, replies
    SUPERVISE = "supervise"  # the supervisor view, reassigning
    CONTENT = "content"  # the help centre and what the bot failed at
    USERS = "users"  # managing console users


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.AGENT: frozenset({Permission.TICKETS}),
    Role.SUPERVISOR: frozenset({Permission.TICKETS, Permission.SUPERVISE}),
    Role.CONTENT_EDITOR: frozenset({Permission.CONTENT}),
    Role.ADMIN: frozenset(Permission),
}
MIN_PASSWORD = 10  # characters
SESSION_TTL = timedelta(hours=12)  # a working day, then sign in again
IDLE_TTL = timedelta(hours=2)  # a console left alone that long is signed out
TOUCH_EVERY = timedelta(minutes=1)  # how stale `last_seen_at` may get before a write
# Verified when the user does not exist, so a wrong name costs as long as a wrong password.
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """The signed-in person, as the console and the API see them (never the hash)."""

    id: str
    name: str
    role: Role
    queues: tuple[str, ...]
    tier: int
    csrf: str

    def can(self, permission: Permission) -> bool:
        """Whether the role allows `permission`."""
        return permission in PERMISSIONS[self.role]


def token_id(token: str) -> str:
    """What the table stores of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    """An argon2id hash of a password long enough to keep."""
    if len(password) < MIN_PASSWORD:
        raise InvalidField(
            f"a password needs at least {MIN_PASSWORD} characters",
            code="weak_password",
            field="password",
        )
    return _HASHER.hash(password)


class Accounts:
    """Creates console users, signs them in and out, and finds who holds a session token."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock = utcnow,
        ttl: timedelta = SESSION_TTL,
        idle: timedelta = IDLE_TTL,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.ttl = ttl
        self._idle = idle

    async def create_user(
        self,
        user_id: str,
        *,
        name: str,
        role: Role,
        password: str,
        queues: Sequence[str] = (),
        tier: int = 1,
        email: str | None = None,
    ) -> Agent:
        """Add a console user; an existing id is a conflict (use `set_password`)."""
        unknown = sorted(set(queues) - set(policy.QUEUES))
        if unknown:
            raise InvalidField(f"unknown queues: {', '.join(unknown)}", field="queues")
        if not 1 <= tier <= policy.MAX_TIER:
            raise InvalidField(f"tier must be 1..{policy.MAX_TIER}", field="tier")
        hashed = hash_password(password)
        async with self._sessions.begin() as session:
            if await session.get(Agent, user_id) is not None:
                raise Conflict(f"user {user_id!r} exists", code="user_exists")
            agent = Agent(
                id=user_id,
                name=name,
                email=email,
                role=role.value,
                password_hash=hashed,
                queues=list(queues),
                tier=tier,
                available=False,
            )
            session.add(agent)
        return agent

    async def set_password(self, user_id: str, password: str) -> None:
        """Give a user a new password and sign out all their consoles."""
        hashed = hash_password(password)
        async with self._sessions.begin() as session:
            agent = await session.get(Agent, user_id)
            if agent is None:
                raise NotFound(f"no user {user_id!r}", code="user_not_found")
            agent.password_hash = hashed
            await session.execute(delete(ConsoleSession).where(ConsoleSession.agent_id == user_id))

    async def sign_in(self, user_id: str, password: str) -> tuple[str, ConsoleUser]:
        """A new session for the right password: its token (for the cookie) and the user."""
        async with self._sessions.begin() as session:
            agent = await session.get(Agent, user_id)
            stored = agent.password_hash if agent is not None else None
            if not _verify(stored or _DUMMY_HASH, password) or agent is None or stored is None:
                raise Unauthorized("wrong user name or password", code="bad_credentials")
            if _HASHER.check_needs_rehash(stored):
                agent.password_hash = _HASHER.hash(password)
            token = secrets.token_urlsafe(32)
            now = self._clock()
            record = ConsoleSession(
                id=token_id(token),
                agent_id=agent.id,
                csrf=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
                expires_at=now + self.ttl,
            )
            session.add(record)
            return token, _user(agent, record.csrf)

    async def user_for(self, token: str | None) -> ConsoleUser | None:
        """Who holds the token, or None (unknown, expired or idle too long)."""
        if not token:
            return None
        now = self._clock()
        async with self._sessions.begin() as session:
            record = await session.get(ConsoleSession, token_id(token))
            if record is None:
                return None
            if record.expires_at <= now or record.last_seen_at + self._idle <= now:
                await session.delete(record)
                return None
            agent = await session.get(Agent, record.agent_id)
            if agent is None:
                return None
            if now - record.last_seen_at >= TOUCH_EVERY:
                await session.execute(
                    update(ConsoleSession)
                    .where(ConsoleSession.id == record.id)
                    .values(last_seen_at=now)
                )
            return _user(agent, record.csrf)

    async def sign_out(self, token: str) -> None:
        """End the session the token holds (a no-op for an unknown token)."""
        async with self._sessions.begin() as session:
            await session.execute(
                delete(ConsoleSession).where(ConsoleSession.id == token_id(token))
            )


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _user(agent: Agent, csrf: str) -> ConsoleUser:
    return ConsoleUser(
        id=agent.id,
        name=agent.name,
        role=Role(agent.role),
        queues=tuple(agent.queues),
        tier=agent.tier,
        csrf=csrf,
    )

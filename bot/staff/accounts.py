"""Console users, their roles, argon2 passwords and server-side sessions.

A console user is a row of `agents` with a role and a password hash. The session cookie holds a
random token; the database keeps only its SHA-256, so a leaked table signs nobody in. Each session
has its own CSRF token, which every state-changing request must echo. A disabled person signs in
nowhere and their sessions end; a password an admin set must be replaced at the next sign-in.
"""

from __future__ import annotations

import enum
import hashlib
import re
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
USER_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # sign-in names: in URLs, logs and keys
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
    must_change_password: bool = False  # only the password page until they choose their own

    def can(self, permission: Permission) -> bool:
        """Whether the role allows `permission`."""
        return permission in PERMISSIONS[self.role]


def token_id(token: str) -> str:
    """What the table stores of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_work(queues: Sequence[str], tier: int) -> None:
    """Queues must be the policy's, and the tier one of its tiers."""
    unknown = sorted(set(queues) - set(policy.QUEUES))
    if unknown:
        raise InvalidField(f"unknown queues: {', '.join(unknown)}", field="queues")
    if not 1 <= tier <= policy.MAX_TIER:
        raise InvalidField(f"tier must be 1..{policy.MAX_TIER}", field="tier")


def one_time_password() -> str:
    """A password an admin hands over once (96 random bits); its holder replaces it."""
    return secrets.token_urlsafe(12)


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
        must_change_password: bool = False,
    ) -> Agent:
        """Add a console user; an existing id is a conflict (use `set_password`)."""
        check_work(queues, tier)
        if not USER_ID.fullmatch(user_id):
            raise InvalidField(
                "a user name is 1-64 lowercase letters, digits, dots, dashes or underscores",
                field="id",
            )
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
                must_change_password=must_change_password,
            )
            session.add(agent)
        return agent

    async def set_password(self, user_id: str, password: str, *, one_time: bool = False) -> None:
        """Give a user a new password and sign out all their consoles; a `one_time` password
        (an admin's reset) must be replaced at the next sign-in."""
        hashed = hash_password(password)
        async with self._sessions.begin() as session:
            agent = await session.get(Agent, user_id)
            if agent is None:
                raise NotFound(f"no user {user_id!r}", code="user_not_found")
            agent.password_hash = hashed
            agent.must_change_password = one_time
            await session.execute(delete(ConsoleSession).where(ConsoleSession.agent_id == user_id))

    async def change_password(self, token: str, current: str, new: str) -> None:
        """The signed-in person chooses a new password (the current one proves it is them);
        their other consoles are signed out, this one stays."""
        if current == new:
            raise InvalidField(
                "choose a password different from the current one",
                code="same_password",
                field="password",
            )
        hashed = hash_password(new)
        async with self._sessions.begin() as session:
            record = await session.get(ConsoleSession, token_id(token))
            agent = await session.get(Agent, record.agent_id) if record is not None else None
            if record is None or agent is None:
                raise Unauthorized("sign in to the console", code="signed_out")
            if not _verify(agent.password_hash or _DUMMY_HASH, current):
                raise Unauthorized("the current password is wrong", code="bad_credentials")
            agent.password_hash = hashed
            agent.must_change_password = False
            await session.execute(
                delete(ConsoleSession).where(
                    ConsoleSession.agent_id == agent.id, ConsoleSession.id != record.id
                )
            )

    async def sign_in(self, user_id: str, password: str) -> tuple[str, ConsoleUser]:
        """A new session for the right password: its token (for the cookie) and the user."""
        async with self._sessions.begin() as session:
            agent = await session.get(Agent, user_id)
            stored = agent.password_hash if agent is not None else None
            right = _verify(stored or _DUMMY_HASH, password)
            # A disabled person gets the same answer: the form never confirms a password.
            if not right or agent is None or stored is None or agent.disabled_at is not None:
                raise Unauthorized("wrong user name or password", code="bad_credentials")
            if _HASHER.check_needs_rehash(stored):
                agent.password_hash = _HASHER.hash(password)
            token = secrets.token_urlsafe(32)
            now = self._clock()
            agent.last_sign_in_at = now
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
            if agent is None or agent.disabled_at is not None:
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
        must_change_password=agent.must_change_password,
    )

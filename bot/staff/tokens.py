"""Per-person API tokens of the agent API: issued by an admin, shown once, stored hashed,
revocable, and acting only as the person they were issued for, with that person's role.

The table keeps the SHA-256 of each token, not argon2: a token is 256 random bits, so there is
no dictionary to try and a preimage search is out of reach however fast the hash is. A slow,
salted hash protects guessable secrets (passwords); here it would only cost every API call
tens of milliseconds of CPU and rule out finding the row by its hash.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Agent, ApiToken, utcnow
from bot.errors import Conflict, InvalidField, NotFound
from bot.staff.accounts import PERMISSIONS, Clock, Permission, Role

PREFIX = "ik_"  # marks the desk's tokens for secret scanners and people alike
HINT_CHARS = 7  # the prefix and four characters: enough to tell tokens apart, nothing to guess
MAX_NAME = 64
TOUCH_EVERY = timedelta(minutes=1)  # how stale `last_used_at` may get before a write


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """Who an API token acts as: its agent, their current role, and which token it was."""

    agent_id: str
    role: Role
    token_id: int

    @property
    def permissions(self) -> frozenset[Permission]:
        """What the agent's role allows, read at each call (a role change applies at once)."""
        return PERMISSIONS[self.role]


def digest(token: str) -> str:
    """What the table keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokens:
    """Issues, lists, revokes and checks the agent API's per-person tokens."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    async def issue(self, agent_id: str, *, name: str, by: str) -> tuple[str, ApiToken]:
        """A new token for `agent_id`: the token itself (shown once, never stored) and its row."""
        name = name.strip() or "API token"
        if len(name) > MAX_NAME:
            raise InvalidField(f"a token name has at most {MAX_NAME} characters", field="name")
        token = PREFIX + secrets.token_urlsafe(32)
        async with self._sessions.begin() as session:
            agent = await session.get(Agent, agent_id)
            if agent is None:
                raise NotFound(f"no user {agent_id!r}", code="user_not_found")
            if agent.disabled_at is not None:
                raise Conflict(f"{agent_id} is disabled", code="user_disabled")
            row = ApiToken(
                agent_id=agent_id,
                name=name,
                token_hash=digest(token),
                hint=token[:HINT_CHARS],
                created_by=by,
                created_at=self._clock(),
            )
            session.add(row)
        return token, row

    async def revoke(self, token_id: int) -> ApiToken:
        """Stop a token for good (revoking twice keeps the first time)."""
        async with self._sessions.begin() as session:
            row = await session.get(ApiToken, token_id)
            if row is None:
                raise NotFound(f"no API token {token_id}", code="token_not_found")
            if row.revoked_at is None:
                row.revoked_at = self._clock()
            return row

    async def tokens(self, agent_id: str | None = None) -> list[ApiToken]:
        """Every token (or one agent's), newest first, revoked ones included."""
        query = select(ApiToken).order_by(ApiToken.id.desc())
        if agent_id is not None:
            query = query.where(ApiToken.agent_id == agent_id)
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def holder(self, token: str) -> TokenHolder | None:
        """Who the token acts as, or None: unknown, revoked, or its agent is disabled."""
        if not token.startswith(PREFIX):
            return None
        now = self._clock()
        async with self._sessions.begin() as session:
            row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
            if row is None or row.revoked_at is not None:
                return None
            agent = await session.get(Agent, row.agent_id)
            if agent is None or agent.disabled_at is not None:
                return None
            if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
                await session.execute(
                    update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now)
                )
            return TokenHolder(agent.id, Role(agent.role), row.id)

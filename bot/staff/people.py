"""The admin's side of accounts: who works the desk, their role, queues and tier, and turning a
person off and on again. Passwords and sessions stay with `accounts`, tokens with `tokens`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Agent, ApiToken, ConsoleSession, utcnow
from bot.errors import Conflict, InvalidField, NotFound
from bot.staff.accounts import Clock, Role, check_work

MAX_NAME = 128


@dataclass(frozen=True, slots=True)
class Person:
    """One person as the admin page lists them (never their password hash)."""

    id: str
    name: str
    email: str | None
    role: Role
    queues: tuple[str, ...]
    tier: int
    enabled: bool
    last_sign_in_at: datetime | None
    must_change_password: bool
    active_tokens: int


class People:
    """Lists people and changes what they may do; every change says what it changed."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    async def everyone(self) -> list[Person]:
        """Every person, enabled first, then by id."""
        async with self._sessions() as session:
            agents = list(await session.scalars(select(Agent)))
            counts = await self._active_tokens(session)
        people = [_person(agent, counts.get(agent.id, 0)) for agent in agents]
        return sorted(people, key=lambda p: (not p.enabled, p.id))

    async def get(self, person_id: str) -> Person:
        """One person (404 when there is no such id)."""
        async with self._sessions() as session:
            agent = await self._agent(session, person_id)
            counts = await self._active_tokens(session, person_id)
        return _person(agent, counts.get(person_id, 0))

    async def update(
        self,
        person_id: str,
        *,
        name: str,
        role: Role,
        queues: Sequence[str],
        tier: int,
    ) -> dict[str, list[Any]]:
        """Set name, role, queues and tier; returns what changed as `{field: [before, after]}`.
        Nobody may demote the last enabled admin (the desk would have nobody to manage it)."""
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise InvalidField(f"a name has 1-{MAX_NAME} characters", field="name")
        check_work(queues, tier)
        async with self._sessions.begin() as session:
            agent = await self._agent(session, person_id)
            if agent.role == Role.ADMIN and role != Role.ADMIN and agent.disabled_at is None:
                await self._keep_an_admin(session, person_id)
            after = {"name": name, "role": role.value, "queues": list(queues), "tier": tier}
            before = {
                "name": agent.name,
                "role": agent.role,
                "queues": agent.queues,
                "tier": agent.tier,
            }
            changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
            agent.name, agent.role, agent.queues, agent.tier = name, role.value, list(queues), tier
        return changes

    async def disable(self, person_id: str, *, by: str) -> None:
        """Turn a person off: their sessions end, their API tokens are revoked, they go offline.
        Nobody disables themselves, nor the last enabled admin."""
        if person_id == by:
            raise Conflict("you cannot disable yourself; ask another admin", code="self_disable")
        now = self._clock()
        async with self._sessions.begin() as session:
            agent = await self._agent(session, person_id)
            if agent.disabled_at is not None:
                return
            if agent.role == Role.ADMIN:
                await self._keep_an_admin(session, person_id)
            agent.disabled_at, agent.available = now, False
            await session.execute(
                delete(ConsoleSession).where(ConsoleSession.agent_id == person_id)
            )
            await session.execute(
                update(ApiToken)
                .where(ApiToken.agent_id == person_id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    async def enable(self, person_id: str) -> None:
        """Turn a person on again (their old tokens stay revoked: issue new ones)."""
        async with self._sessions.begin() as session:
            agent = await self._agent(session, person_id)
            agent.disabled_at = None

    @staticmethod
    async def _agent(session: AsyncSession, person_id: str) -> Agent:
        agent = await session.get(Agent, person_id)
        if agent is None:
            raise NotFound(f"no user {person_id!r}", code="user_not_found")
        return agent

    @staticmethod
    async def _keep_an_admin(session: AsyncSession, leaving: str) -> None:
        others = await session.scalar(
            select(func.count())
            .select_from(Agent)
            .where(Agent.role == Role.ADMIN, Agent.disabled_at.is_(None), Agent.id != leaving)
        )
        if not others:
            raise Conflict("the desk needs at least one enabled admin", code="last_admin")

    @staticmethod
    async def _active_tokens(session: AsyncSession, person_id: str | None = None) -> dict[str, int]:
        query = (
            select(ApiToken.agent_id, func.count())
            .where(ApiToken.revoked_at.is_(None))
            .group_by(ApiToken.agent_id)
        )
        if person_id is not None:
            query = query.where(ApiToken.agent_id == person_id)
        return {str(agent): int(count) for agent, count in await session.execute(query)}


def _person(agent: Agent, active_tokens: int) -> Person:
    return Person(
        id=agent.id,
        name=agent.name,
        email=agent.email,
        role=Role(agent.role),
        queues=tuple(agent.queues),
        tier=agent.tier,
        enabled=agent.disabled_at is None,
        last_sign_in_at=agent.last_sign_in_at,
        must_change_password=agent.must_change_password,
        active_tokens=active_tokens,
    )

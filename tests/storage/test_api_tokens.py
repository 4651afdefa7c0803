"""Per-person API tokens on SQLite and PostgreSQL: shown once and stored as a hash, acting only
as their person with that person's role, stopped by revocation or by disabling the person."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import session_factory
from bot.db.models import ApiToken
from bot.errors import Conflict, InvalidField, NotFound
from bot.staff.accounts import Accounts, Permission, Role
from bot.staff.people import People
from bot.staff.tokens import ApiTokens
from tests.clock import Clock
from tests.storage.test_tickets import WEDNESDAY_10

PASSWORD = "correct horse battery"


@pytest.fixture
async def services(engine: AsyncEngine) -> tuple[ApiTokens, People, Clock]:
    clock = Clock(WEDNESDAY_10)
    sessions = session_factory(engine)
    accounts = Accounts(sessions, clock)
    for person, role in (("lea", Role.AGENT), ("devi", Role.SUPERVISOR), ("root", Role.ADMIN)):
        await accounts.create_user(person, name=person, role=role, password=PASSWORD)
    return ApiTokens(sessions, clock), People(sessions, clock), clock


async def test_a_token_is_stored_only_as_its_sha256_and_acts_as_its_person(
    engine: AsyncEngine, services: tuple[ApiTokens, People, Clock]
) -> None:
    tokens, _, _ = services
    token, row = await tokens.issue("lea", name="CRM", by="root")
    assert token.startswith("ik_")
    assert len(token) >= 40  # 32 random bytes, url-safe
    async with session_factory(engine)() as session:
        stored = list(await session.scalars(select(ApiToken)))
    assert [(t.agent_id, t.name, t.created_by) for t in stored] == [("lea", "CRM", "root")]
    assert stored[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr([vars(t) for t in stored])  # no column holds the token itself
    assert stored[0].hint == token[:7]
    holder = await tokens.holder(token)
    assert holder is not None
    assert (holder.agent_id, holder.role, holder.token_id) == ("lea", Role.AGENT, row.id)
    assert holder.permissions == {Permission.TICKETS}


async def test_use_is_recorded_at_most_once_a_minute(
    services: tuple[ApiTokens, People, Clock],
) -> None:
    tokens, _, clock = services
    token, _ = await tokens.issue("lea", name="CRM", by="root")
    assert (await tokens.tokens("lea"))[0].last_used_at is None
    await tokens.holder(token)
    first = (await tokens.tokens("lea"))[0].last_used_at
    assert first == clock.now
    clock.now += timedelta(seconds=30)
    await tokens.holder(token)
    assert (await tokens.tokens("lea"))[0].last_used_at == first
    clock.now += timedelta(seconds=31)
    await tokens.holder(token)
    assert (await tokens.tokens("lea"))[0].last_used_at == clock.now


async def test_revoked_unknown_and_foreign_tokens_act_as_nobody(
    services: tuple[ApiTokens, People, Clock],
) -> None:
    tokens, _, clock = services
    token, row = await tokens.issue("lea", name="CRM", by="root")
    other, _ = await tokens.issue("lea", name="script", by="root")
    revoked = await tokens.revoke(row.id)
    assert revoked.revoked_at == clock.now
    assert await tokens.holder(token) is None
    assert await tokens.holder(other) is not None  # revoking one leaves the others
    clock.now += timedelta(hours=1)
    assert (await tokens.revoke(row.id)).revoked_at == revoked.revoked_at  # the first time stays
    for forged in ("", token[:-1], "ik_" + "A" * 43, token.removeprefix("ik_"), "Bearer " + other):
        assert await tokens.holder(forged) is None
    with pytest.raises(NotFound):
        await tokens.revoke(9999)


async def test_a_role_change_applies_to_tokens_at_once(
    services: tuple[ApiTokens, People, Clock],
) -> None:
    tokens, people, _ = services
    token, _ = await tokens.issue("lea", name="CRM", by="root")
    await people.update("lea", name="lea", role=Role.SUPERVISOR, queues=[], tier=1)
    holder = await tokens.holder(token)
    assert holder is not None
    assert Permission.SUPERVISE in holder.permissions


async def test_disabling_a_person_revokes_their_tokens_for_good(
    services: tuple[ApiTokens, People, Clock],
) -> None:
    tokens, people, _ = services
    token, _ = await tokens.issue("lea", name="CRM", by="root")
    kept, _ = await tokens.issue("devi", name="report", by="root")
    await people.disable("lea", by="root")
    assert await tokens.holder(token) is None
    with pytest.raises(Conflict, match="disabled"):
        await tokens.issue("lea", name="again", by="root")
    await people.enable("lea")
    assert await tokens.holder(token) is None  # enabling again does not bring old tokens back
    assert all(t.revoked_at is not None for t in await tokens.tokens("lea"))
    assert await tokens.holder(kept) is not None


async def test_issuing_checks_the_person_and_the_name(
    services: tuple[ApiTokens, People, Clock],
) -> None:
    tokens, _, _ = services
    with pytest.raises(NotFound):
        await tokens.issue("ghost", name="x", by="root")
    with pytest.raises(InvalidField):
        await tokens.issue("lea", name="n" * 65, by="root")
    _, unnamed = await tokens.issue("lea", name="  ", by="root")
    assert unnamed.name == "API token"
    _, second = await tokens.issue("devi", name="b", by="root")
    assert [t.id for t in await tokens.tokens()] == [second.id, unnamed.id]  # newest first
    assert [t.agent_id for t in await tokens.tokens("devi")] == ["devi"]

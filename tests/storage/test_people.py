"""What an admin changes about people, on SQLite and PostgreSQL: role, queues and tier, disable
and enable, one-time passwords; and the rule that the desk always keeps an enabled admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations.delivery import Deliveries
from bot.db import session_factory
from bot.db.models import Agent
from bot.errors import Conflict, InvalidField, NotFound, Unauthorized
from bot.staff.accounts import Accounts, Role
from bot.staff.people import People
from bot.tickets.service import TicketService
from tests.clock import Clock
from tests.storage.test_tickets import WEDNESDAY_10

PASSWORD = "correct horse battery"


@pytest.fixture
async def staff(engine: AsyncEngine) -> tuple[Accounts, People, Clock]:
    clock = Clock(WEDNESDAY_10)
    sessions = session_factory(engine)
    accounts = Accounts(sessions, clock)
    await accounts.create_user(
        "lea", name="Léa", role=Role.AGENT, password=PASSWORD, queues=["support"]
    )
    await accounts.create_user("root", name="Root", role=Role.ADMIN, password=PASSWORD)
    return accounts, People(sessions, clock), clock


async def test_changes_are_stored_and_reported_field_by_field(
    staff: tuple[Accounts, People, Clock],
) -> None:
    accounts, people, _ = staff
    changes = await people.update(
        "lea", name="Léa", role=Role.SUPERVISOR, queues=["support", "urgent"], tier=2
    )
    assert changes == {
        "role": ["agent", "supervisor"],
        "queues": [["support"], ["support", "urgent"]],
        "tier": [1, 2],
    }
    lea = await people.get("lea")
    assert (lea.role, lea.queues, lea.tier, lea.name) == (
        Role.SUPERVISOR,
        ("support", "urgent"),
        2,
        "Léa",
    )
    _, user = await accounts.sign_in("lea", PASSWORD)
    assert user.role is Role.SUPERVISOR
    same = await people.update("lea", name="Léa", role=Role.SUPERVISOR, queues=lea.queues, tier=2)
    assert same == {}


@pytest.mark.parametrize(
    ("name", "queues", "tier", "field"),
    [("", [], 1, "name"), ("Léa", ["billing"], 1, "queues"), ("Léa", [], 4, "tier")],
)
async def test_invalid_changes_are_refused_and_change_nothing(
    staff: tuple[Accounts, People, Clock], name: str, queues: list[str], tier: int, field: str
) -> None:
    _, people, _ = staff
    with pytest.raises(InvalidField) as refused:
        await people.update("lea", name=name, role=Role.ADMIN, queues=queues, tier=tier)
    assert refused.value.details["field"] == field
    lea = await people.get("lea")
    assert (lea.role, lea.queues, lea.tier) == (Role.AGENT, ("support",), 1)
    with pytest.raises(NotFound):
        await people.update("ghost", name="G", role=Role.AGENT, queues=[], tier=1)


async def test_disabling_ends_sessions_and_sign_in_and_takes_the_person_offline(
    engine: AsyncEngine, staff: tuple[Accounts, People, Clock]
) -> None:
    accounts, people, clock = staff
    token, _ = await accounts.sign_in("lea", PASSWORD)
    tickets = TicketService(session_factory(engine), Deliveries(), clock)
    await tickets.set_presence("lea", True)
    assert await tickets.agents_online("support") == 1
    await people.disable("lea", by="root")
    assert await accounts.user_for(token) is None
    with pytest.raises(Unauthorized) as refused:
        await accounts.sign_in("lea", PASSWORD)
    assert refused.value.message == "wrong user name or password"  # no hint it was right
    assert await tickets.agents_online("support") == 0
    assert [load.agent.id for load in await tickets.agent_loads()] == []  # not offered work
    lea = await people.get("lea")
    assert not lea.enabled
    everyone = await people.everyone()
    assert [p.id for p in everyone] == ["root", "lea"]  # enabled first
    await people.disable("lea", by="root")  # twice is once
    await people.enable("lea")
    clock.now += timedelta(minutes=1)
    _, user = await accounts.sign_in("lea", PASSWORD)
    assert user.id == "lea"
    assert (await people.get("lea")).last_sign_in_at == clock.now


async def test_the_desk_keeps_an_enabled_admin(staff: tuple[Accounts, People, Clock]) -> None:
    accounts, people, _ = staff
    with pytest.raises(Conflict) as alone:
        await people.update("root", name="Root", role=Role.AGENT, queues=[], tier=1)
    assert alone.value.code == "last_admin"
    with pytest.raises(Conflict) as itself:
        await people.disable("root", by="root")
    assert itself.value.code == "self_disable"
    with pytest.raises(Conflict) as by_anyone:
        await people.disable("root", by="cli")
    assert by_anyone.value.code == "last_admin"
    await accounts.create_user("ada", name="Ada", role=Role.ADMIN, password=PASSWORD)
    await people.disable("ada", by="root")  # root is still there
    with pytest.raises(Conflict) as disabled_ones_do_not_count:
        await people.update("root", name="Root", role=Role.AGENT, queues=[], tier=1)
    assert disabled_ones_do_not_count.value.code == "last_admin"
    await people.enable("ada")
    changes = await people.update("root", name="Root", role=Role.AGENT, queues=[], tier=1)
    assert changes == {"role": ["admin", "agent"]}


async def test_a_one_time_password_must_be_replaced_and_ends_other_sessions(
    engine: AsyncEngine, staff: tuple[Accounts, People, Clock]
) -> None:
    accounts, people, _ = staff
    old, _ = await accounts.sign_in("lea", PASSWORD)
    await accounts.set_password("lea", "handed over once", one_time=True)
    assert await accounts.user_for(old) is None
    token, user = await accounts.sign_in("lea", "handed over once")
    assert user.must_change_password
    other, _ = await accounts.sign_in("lea", "handed over once")
    with pytest.raises(Unauthorized):
        await accounts.change_password(token, "not the current one", "my own password")
    with pytest.raises(InvalidField):
        await accounts.change_password(token, "handed over once", "handed over once")
    await accounts.change_password(token, "handed over once", "my own password")
    still = await accounts.user_for(token)
    assert still is not None
    assert not still.must_change_password
    assert await accounts.user_for(other) is None  # the other console signed out
    assert not (await people.get("lea")).must_change_password
    async with session_factory(engine)() as session:
        lea = await session.get(Agent, "lea")
    assert lea is not None
    assert lea.password_hash is not None
    assert lea.password_hash.startswith("$argon2id$")

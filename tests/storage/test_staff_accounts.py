"""Console users and sessions on SQLite and PostgreSQL, with a clock the tests move."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import session_factory
from bot.db.models import Agent, ConsoleSession
from bot.errors import Conflict, InvalidField, NotFound, Unauthorized
from bot.runtime.demo import seed_demo, seed_install
from bot.staff.accounts import Accounts, Role, token_id
from tests.clock import Clock
from tests.storage.test_tickets import WEDNESDAY_10

PASSWORD = "correct horse battery"


@pytest.fixture
async def accounts(engine: AsyncEngine) -> tuple[Accounts, Clock]:
    clock = Clock(WEDNESDAY_10)
    accounts = Accounts(session_factory(engine), clock)
    await accounts.create_user(
        "lea", name="Léa", role=Role.AGENT, password=PASSWORD, queues=["support"]
    )
    return accounts, clock


async def test_the_right_password_opens_a_session_whose_token_is_not_stored(
    engine: AsyncEngine, accounts: tuple[Accounts, Clock]
) -> None:
    service, _ = accounts
    token, user = await service.sign_in("lea", PASSWORD)
    assert (user.id, user.role, user.queues) == ("lea", Role.AGENT, ("support",))
    async with session_factory(engine)() as session:
        rows = list(await session.scalars(select(ConsoleSession)))
        agent = await session.get(Agent, "lea")
    assert [row.id for row in rows] == [token_id(token)]  # only the hash of the token
    assert agent is not None
    assert agent.password_hash is not None
    assert agent.password_hash.startswith("$argon2id$")
    assert PASSWORD not in agent.password_hash
    assert "argon2" not in repr(agent)  # a logged row never shows the hash
    found = await service.user_for(token)
    assert found is not None
    assert found.csrf == user.csrf


@pytest.mark.parametrize(
    ("user_id", "password"), [("lea", "wrong password!"), ("nobody", PASSWORD)]
)
async def test_a_wrong_password_or_user_is_refused_alike(
    accounts: tuple[Accounts, Clock], user_id: str, password: str
) -> None:
    service, _ = accounts
    with pytest.raises(Unauthorized) as refused:
        await service.sign_in(user_id, password)
    assert refused.value.message == "wrong user name or password"  # says nothing of which


async def test_sessions_expire_when_idle_and_after_a_day_of_work(
    accounts: tuple[Accounts, Clock],
) -> None:
    service, clock = accounts
    token, _ = await service.sign_in("lea", PASSWORD)
    for _ in range(10):  # active all day: each check-in keeps the session alive
        clock.now += timedelta(hours=1, minutes=10)
        assert await service.user_for(token) is not None
    clock.now += timedelta(hours=1, minutes=10)  # 12 h 50 after sign-in: the day is over
    assert await service.user_for(token) is None
    idle, _ = await service.sign_in("lea", PASSWORD)
    clock.now += timedelta(hours=2)
    assert await service.user_for(idle) is None  # left alone for two hours


async def test_sign_out_and_a_new_password_end_sessions(accounts: tuple[Accounts, Clock]) -> None:
    service, _ = accounts
    first, _ = await service.sign_in("lea", PASSWORD)
    second, _ = await service.sign_in("lea", PASSWORD)
    await service.sign_out(first)
    assert await service.user_for(first) is None
    assert await service.user_for(second) is not None
    await service.set_password("lea", "another long password")
    assert await service.user_for(second) is None
    with pytest.raises(Unauthorized):
        await service.sign_in("lea", PASSWORD)
    await service.sign_in("lea", "another long password")


async def test_creating_users_checks_what_it_is_given(accounts: tuple[Accounts, Clock]) -> None:
    service, _ = accounts
    with pytest.raises(Conflict):
        await service.create_user("lea", name="L", role=Role.AGENT, password=PASSWORD)
    with pytest.raises(InvalidField, match="at least 10"):
        await service.create_user("sam", name="S", role=Role.AGENT, password="short")
    with pytest.raises(InvalidField, match="unknown queues: billing"):
        await service.create_user(
            "sam", name="S", role=Role.AGENT, password=PASSWORD, queues=["billing"]
        )
    with pytest.raises(NotFound):
        await service.set_password("ghost", PASSWORD)
    assert await service.user_for("made-up") is None
    assert await service.user_for(None) is None


async def test_demo_users_get_the_demo_password_and_their_roles(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    await seed_demo(sessions, PASSWORD)
    service = Accounts(sessions)
    roles = {u: (await service.sign_in(u, PASSWORD))[1].role for u in ("lea", "devi", "carla")}
    assert roles == {"lea": Role.AGENT, "devi": Role.SUPERVISOR, "carla": Role.CONTENT_EDITOR}
    await seed_demo(sessions, "a different password")  # seeding again changes nobody's password
    await service.sign_in("admin", PASSWORD)


async def test_make_run_makes_the_demo_password_once_per_install(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    made = await seed_install(sessions)
    assert made is not None
    assert len(made) >= 16
    assert made != "imageko-demo"  # the constant every install of main shared
    service = Accounts(sessions)
    for person in ("lea", "devi", "admin"):
        await service.sign_in(person, made)
    assert await seed_install(sessions) is None  # later starts: nothing new, nothing printed
    await service.sign_in("admin", made)
    async with session_factory(engine)() as session:
        hashes = list(await session.scalars(select(Agent.password_hash)))
    assert hashes
    assert all(h is not None and h.startswith("$argon2id$") and made not in h for h in hashes)


async def test_demo_password_given_is_used_and_not_echoed(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    assert await seed_install(sessions, "the e2e tests' password") is None
    await Accounts(sessions).sign_in("carla", "the e2e tests' password")

"""Demo customers and agents, so `make run` has someone to serve and someone to answer.

Only `make run` seeds them (`python -m bot hub` refuses to start with DEMO_DATA on). Their
password is made for each install at the first seeding and printed once; the database keeps
only its argon2 hash. DEMO_PASSWORD, when set, is used instead (the end-to-end tests set it).
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Agent, Customer, CustomerIdentity
from bot.staff.accounts import Role, hash_password

# Demo accounts for `make run` and the tests: one per plan, each reachable on a channel.
DEMO_CUSTOMERS: tuple[dict[str, Any], ...] = (
    {
        "account_id": "acc-1001",
        "email": "ana.free@example.com",
        "name": "Ana Free",
        "plan": "free",
        "lang": "es",
        "identities": [("telegram", "70010001")],
    },
    {
        "account_id": "acc-2002",
        "email": "paul.premium@example.com",
        "name": "Paul Premium",
        "plan": "premium",
        "lang": "fr",
        # Two-factor authentication on: the demo of authenticator-code verification.
        "totp_secret": "JBSWY3DPEHPK3PXP",
        "identities": [("slack", "U0PREMIUM1")],
    },
    {
        "account_id": "acc-3003",
        "email": "erin.enterprise@example.com",
        "name": "Erin Enterprise",
        "plan": "enterprise",
        "lang": "en",
        "identities": [("twitter", "3003000003")],
    },
)


# One agent per queue and tier, so every ticket the bot opens has someone who can take it;
# plus one person of each other console role.
DEMO_AGENTS: tuple[dict[str, Any], ...] = (
    {"id": "lea", "name": "Léa Martin", "queues": ["support"], "tier": 1, "role": Role.AGENT},
    {"id": "sam", "name": "Sam Okafor", "queues": ["support", "urgent"], "tier": 2},
    {"id": "tomas", "name": "Tomás Ruiz", "queues": ["trust", "urgent"], "tier": 2},
    {
        "id": "devi",
        "name": "Devi Rao",
        "queues": ["support", "trust", "urgent"],
        "tier": 3,
        "role": Role.SUPERVISOR,
    },
    {"id": "carla", "name": "Carla Núñez", "queues": [], "tier": 1, "role": Role.CONTENT_EDITOR},
    {"id": "admin", "name": "Desk Admin", "queues": [], "tier": 1, "role": Role.ADMIN},
)


async def seed_demo(sessions: async_sessionmaker[AsyncSession], password: str | None = None) -> int:
    """Insert the demo customers and agents that are missing; returns how many rows were added.

    With a `password`, demo agents who have none can sign in to the console with it.
    """
    hashed = hash_password(password) if password else None
    added = 0
    async with sessions.begin() as session:
        for demo in DEMO_CUSTOMERS:
            found = await session.scalar(
                select(Customer.id).where(Customer.account_id == demo["account_id"])
            )
            if found is not None:
                continue
            customer = Customer(
                account_id=demo["account_id"],
                email=demo["email"],
                name=demo["name"],
                plan=demo["plan"],
                lang=demo["lang"],
                totp_secret=demo.get("totp_secret"),
            )
            customer.identities = [
                CustomerIdentity(channel=channel, external_id=external)
                for channel, external in demo["identities"]
            ]
            session.add(customer)
            added += 1
        for demo in DEMO_AGENTS:
            agent = await session.get(Agent, demo["id"])
            if agent is None:
                role = Role(demo.get("role", Role.AGENT))
                agent = Agent(
                    **{**demo, "role": role.value},
                    email=f"{demo['id']}@imageko.com",
                    available=False,
                )
                session.add(agent)
                added += 1
            if agent.password_hash is None:
                agent.password_hash = hashed
    return added


async def seed_install(
    sessions: async_sessionmaker[AsyncSession], password: str | None = None
) -> str | None:
    """Seed the demo data of `make run`. Demo agents without a password get `password`, or
    else one made now for this install, which is returned (to be printed, once); None when
    nobody needed one or the password was given."""
    ids = [demo["id"] for demo in DEMO_AGENTS]
    async with sessions() as session:
        ready = set(
            await session.scalars(
                select(Agent.id).where(Agent.id.in_(ids), Agent.password_hash.is_not(None))
            )
        )
    if ready == set(ids):
        await seed_demo(sessions)  # customers an older seeding lacked; nobody's password
        return None
    made = None if password else secrets.token_urlsafe(12)
    await seed_demo(sessions, password or made)
    return made

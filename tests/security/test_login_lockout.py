"""Sign-in throttling against someone who wants to lock an agent out, or to guess around the
limits; the client address as the real server (uvicorn) sees it, with and without a trusted
proxy. On main five wrong passwords from anywhere locked a user name for everyone, and any
`X-Forwarded-For` sent from the host itself chose the address the limits counted."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from redis.asyncio import Redis

from bot.db import create_engine, session_factory
from bot.db.migrate import upgrade
from bot.http.app import create_app
from bot.runtime.demo import seed_demo
from bot.runtime.launcher import free_port
from bot.runtime.serve import uvicorn_options
from bot.settings import Settings
from bot.staff import throttle
from bot.staff.audit import AuditLog
from bot.staff.throttle import LoginThrottle

PASSWORD = "correct horse battery"
SAM_DESK = "198.51.100.7"  # where sam works
ATTACKER = "203.0.113.66"
Browser = Callable[[str], Awaitable[httpx.AsyncClient]]
Serve = Callable[[str], Awaitable[str]]


@pytest.fixture
async def browser(app: FastAPI, redis: Redis) -> AsyncIterator[Browser]:
    """A browser at a given address (the connection's peer, as the server reports it)."""
    await seed_demo(session_factory(app.state.engine), PASSWORD)
    opened: list[httpx.AsyncClient] = []

    async def at(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://hub.test")
        opened.append(client)
        return client

    yield at
    for client in opened:
        await client.aclose()


async def _sign_in(
    client: httpx.AsyncClient, user: str, password: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    client.cookies.delete("imageko_console")  # every attempt starts signed out
    form = await client.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    return await client.post(
        "/console/login",
        data={"username": user, "password": password, "csrf": csrf.group(1)},
        headers=headers or {},
    )


async def test_wrong_passwords_from_elsewhere_never_lock_the_person_out(browser: Browser) -> None:
    attacker = await browser(ATTACKER)
    answers = [(await _sign_in(attacker, "sam", f"guess {i:04d}!")).status_code for i in range(12)]
    assert answers[: throttle.FREE_FAILURES] == [401] * throttle.FREE_FAILURES
    assert set(answers[throttle.FREE_FAILURES :]) == {429}  # the guesser is slowed down …
    assert (await _sign_in(attacker, "sam", PASSWORD)).status_code == 429  # … even if right
    sam = await browser(SAM_DESK)
    assert (await _sign_in(sam, "sam", "a typo!!!!")).status_code == 401  # … sam is not: his
    assert (await _sign_in(sam, "sam", PASSWORD)).status_code == 303  # own count starts at 0


async def test_a_lock_doubles_with_each_failure_after_it(app: FastAPI, browser: Browser) -> None:
    app.state.login_throttle = LoginThrottle(app.state.redis, base_lock_s=1)
    attacker = await browser(ATTACKER)
    for _ in range(throttle.FREE_FAILURES):
        assert (await _sign_in(attacker, "sam", "not it at all")).status_code == 401
    first = await _sign_in(attacker, "sam", "not it at all")
    assert (first.status_code, first.headers["retry-after"]) == (429, "1")
    for _ in range(50):  # the lock runs out (Redis expires it) within ten seconds
        again = await _sign_in(attacker, "sam", "still not it")
        if again.status_code != 429:
            break
        await asyncio.sleep(0.2)
    assert again.status_code == 401
    second = await _sign_in(attacker, "sam", "not it at all")
    assert (second.status_code, second.headers["retry-after"]) == (429, "2")


async def test_many_addresses_against_one_person_stop_only_unknown_addresses(
    browser: Browser,
) -> None:
    sam = await browser(SAM_DESK)
    assert (await _sign_in(sam, "sam", PASSWORD)).status_code == 303  # sam's desk is known
    for n in range(throttle.USER_CAP):
        bot = await browser(f"203.0.113.{n + 1}")
        assert (await _sign_in(bot, "sam", f"guess {n}!!!!!")).status_code == 401
    newcomer = await browser("192.0.2.200")
    assert (await _sign_in(newcomer, "sam", PASSWORD)).status_code == 429
    assert (await _sign_in(sam, "sam", PASSWORD)).status_code == 303
    lea = await browser("192.0.2.201")
    assert (await _sign_in(lea, "lea", PASSWORD)).status_code == 303  # other names untouched


async def test_spraying_names_from_one_address_stops_that_address(browser: Browser) -> None:
    office = await browser(ATTACKER)
    assert (await _sign_in(office, "lea", PASSWORD)).status_code == 303  # lea works here
    for n in range(throttle.ADDRESS_CAP):
        assert (await _sign_in(office, f"name{n}", "password123!")).status_code == 401
    assert (await _sign_in(office, "tomas", PASSWORD)).status_code == 429
    assert (await _sign_in(office, "lea", PASSWORD)).status_code == 303  # known here: passes
    elsewhere = await browser(SAM_DESK)
    assert (await _sign_in(elsewhere, "tomas", PASSWORD)).status_code == 303


# --- the address, as uvicorn reports it


@pytest.fixture
async def served(settings: Settings, redis: Redis) -> AsyncIterator[Serve]:
    """Serve the hub with the hub command's own uvicorn options (given TRUSTED_PROXIES) on a
    free loopback port; yields a starter that returns the base URL."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    engine = create_engine(settings.effective_database_url)
    await upgrade(engine)
    await seed_demo(session_factory(engine), PASSWORD)
    await engine.dispose()

    async def start(trusted: str) -> str:
        configured = settings.model_copy(update={"trusted_proxies": trusted})
        hub = create_app(configured)
        options = {**uvicorn_options(configured), "port": free_port(), "log_level": "warning"}
        server = uvicorn.Server(uvicorn.Config(hub, **options))
        task = asyncio.create_task(server.serve())
        servers.append((server, task))
        async with asyncio.timeout(120):
            while not server.started:  # noqa: ASYNC110 - uvicorn has no event to await
                await asyncio.sleep(0.05)
        return f"http://127.0.0.1:{options['port']}"

    yield start
    for server, task in servers:
        server.should_exit = True
        await task


async def _addresses(app_url: str, forwarded: list[str]) -> list[int]:
    """Fail a sign-in as sam once per forged X-Forwarded-For; the statuses in order."""
    statuses = []
    async with httpx.AsyncClient(base_url=app_url, timeout=30) as client:
        for address in forwarded:
            reply = await _sign_in(client, "sam", "wrong guess!!", {"X-Forwarded-For": address})
            statuses.append(reply.status_code)
    return statuses


async def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(
    served: Serve,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # uvicorn's own variable must not widen what the hub trusts either.
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    url = await served("")
    forged = [f"198.18.0.{n}" for n in range(throttle.FREE_FAILURES + 2)]
    statuses = await _addresses(url, forged)
    # One address for all of them: the pair locks after its free failures.
    assert statuses == [401] * throttle.FREE_FAILURES + [429, 429]
    audit = await _audit_addresses(settings)
    assert audit == {"127.0.0.1"}


async def test_x_forwarded_for_counts_behind_a_trusted_proxy(
    served: Serve, settings: Settings
) -> None:
    url = await served("127.0.0.1")  # the proxy in front of this hub is the loopback peer
    forged = [f"198.18.0.{n}" for n in range(throttle.FREE_FAILURES + 2)]
    statuses = await _addresses(url, forged)
    assert statuses == [401] * len(forged)  # each client address has its own count
    assert await _audit_addresses(settings) == set(forged)


async def _audit_addresses(settings: Settings) -> set[str]:
    engine = create_engine(settings.effective_database_url)
    try:
        lines = await AuditLog(session_factory(engine)).recent(action="sign_in_failed")
    finally:
        await engine.dispose()
    return {line.address or "" for line in lines}

"""`make bench-console`: how fast a handoff reaches open consoles, on the same hub and another.

Two hubs run in this process on one SQLite file and one Redis, as two replicas would. A console
signed in on each listens to its hub's live feed (server-sent events). Each round opens a ticket
on hub A and times, from the start of the handoff, the moment each console receives it. The
target is a second; the two columns side by side show what crossing hubs through Redis costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from tqdm import tqdm

from bot.db import create_engine, session_factory
from bot.db.migrate import upgrade
from bot.http.app import create_app
from bot.runtime.demo import seed_demo
from bot.runtime.launcher import free_port
from bot.settings import Settings
from bot.triage.routing import route
from channels.base import InboundMessage

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PASSWORD = "bench password 1"
TARGET_MS = 1000.0


async def _serve(app: FastAPI) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(120):  # the hub warms its models before it listens
        while not server.started:  # noqa: ASYNC110 - uvicorn has no event to await
            await asyncio.sleep(0.05)
    return server, task, f"http://127.0.0.1:{port}"


async def _console(url: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, timeout=30)
    form = await client.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf, "no sign-in form"
    signed = await client.post(
        "/console/login", data={"username": "sam", "password": PASSWORD, "csrf": csrf.group(1)}
    )
    assert signed.status_code == 303, signed.text
    return client


async def _listen(
    client: httpx.AsyncClient, arrivals: dict[str, float], ready: asyncio.Event
) -> None:
    async with client.stream("GET", "/console/events") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("retry:"):
                ready.set()
            elif line.startswith("data:"):
                event = json.loads(line[5:])
                if event.get("kind") == "created":
                    arrivals[event["number"]] = time.perf_counter()


def _row(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return (
        f"{name:<22}{statistics.median(ordered):>9.1f}{p95:>9.1f}{ordered[-1]:>9.1f}"
        f"{sum(v <= TARGET_MS for v in ordered) / len(ordered):>12.0%}"
    )


async def main(rounds: int) -> None:
    var = Path(tempfile.mkdtemp(prefix="bench-console-"))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{var / 'desk.db'}",
        redis_url=REDIS_URL,
        rasa_url="http://127.0.0.1:9",
        var_dir=var,
        demo_data=False,
        sla_check_interval_s=3600,
    )
    engine = create_engine(settings.effective_database_url)
    await upgrade(engine)
    await seed_demo(session_factory(engine), PASSWORD)
    await engine.dispose()
    hub_a, hub_b = create_app(settings), create_app(settings)
    served = [await _serve(hub_a), await _serve(hub_b)]
    arrivals: list[dict[str, float]] = [{}, {}]
    readers, clients = [], []
    for (_, _, url), seen in zip(served, arrivals, strict=True):
        client = await _console(url)
        ready = asyncio.Event()
        readers.append(asyncio.create_task(_listen(client, seen, ready)))
        clients.append(client)
        await asyncio.wait_for(ready.wait(), 10)
    await asyncio.sleep(0.5)  # both subscriptions are live on Redis
    decision = route("human_request", 1.0, "a person", "en", None, handoff=True).as_dict()
    same: list[float] = []
    other: list[float] = []
    try:
        for i in tqdm(range(rounds), desc="handoffs", unit="ticket"):
            cid = f"bench-{i}-{time.time_ns()}"
            await hub_a.state.store.record_inbound(InboundMessage(cid, "api", "a person"), "en")
            started = time.perf_counter()
            opened = await hub_a.state.tickets.open_from_handoff(
                cid, decision, channel="api", lang="en", plan=None
            )
            number = opened.ticket.number
            async with asyncio.timeout(10):
                while number not in arrivals[0] or number not in arrivals[1]:  # noqa: ASYNC110
                    await asyncio.sleep(0.001)
            same.append((arrivals[0][number] - started) * 1000)
            other.append((arrivals[1][number] - started) * 1000)
    finally:
        for reader in readers:
            reader.cancel()
        for client in clients:
            await client.aclose()
        for server, task, _ in served:
            server.should_exit = True
            await task
    print(f"\nA handoff stored on hub A, until a console shows it ({rounds} rounds, ms)")
    print(f"{'console on':<22}{'p50':>9}{'p95':>9}{'max':>9}{'within 1 s':>12}")
    print(_row("hub A (same hub)", same))
    print(_row("hub B (via Redis)", other))
    print(f"ratio p50 B/A: {statistics.median(other) / statistics.median(same):.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    asyncio.run(main(parser.parse_args().rounds))

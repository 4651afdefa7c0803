"""A hub started as a production service refuses demo data and a missing SECRET_KEY, run as an
operator runs it (`python -m bot hub`); `make run`'s launcher keeps one key per install and
hands its hub what passes those checks. On main the hub seeded demo users with the known
password `imageko-demo` and made up a random key per process."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.runtime.launcher import Desk, install_secret
from bot.runtime.serve import refusals
from bot.settings import PROJECT_ROOT, load_settings

KEY = "0123456789abcdef" * 4


def _hub(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEMO_DATA")}
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}",
        "VAR_DIR": str(tmp_path / "var"),
        "HUB_PORT": "9",  # never reached: the hub must stop before it serves
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "hub"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**clean, **settings, **env},
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEMO_DATA": "true", "SECRET_KEY": KEY}, "DEMO_DATA"),
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": KEY, "TRUSTED_PROXIES": "*"}, "TRUSTED_PROXIES"),
    ],
)
def test_the_hub_refuses_to_start_naming_the_variable(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    started = _hub(tmp_path, **env)
    assert started.returncode == 2, started.stderr
    assert f"error: {named}" in started.stderr
    assert not (tmp_path / "desk.db").exists()  # refused before touching the database


def test_the_launcher_keeps_one_private_key_per_install(tmp_path: Path) -> None:
    first = install_secret(tmp_path)
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64
    assert install_secret(tmp_path) == first  # restarts agree
    path.chmod(0o644)
    assert install_secret(tmp_path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # a loosened file is tightened
    path.write_text("")
    renewed = install_secret(tmp_path)
    assert len(renewed) == 64  # an empty key protects nothing: a new one
    assert renewed != first


def test_the_launcher_hands_its_hub_what_passes_the_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the e2e tests and a newcomer start it: DEMO_DATA on, no SECRET_KEY of their own.
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DEMO_DATA", "true")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    desk = Desk(load_settings())
    assert desk.demo
    assert refusals(load_settings())  # the launcher's own environment would be refused …
    for name, value in desk.hub_credentials().items():
        monkeypatch.setenv(name, value)
    assert refusals(load_settings()) == []  # … what it gives its hub is not
    assert load_settings().secret_key is not None
    assert desk.secret_key == (tmp_path / "secret_key").read_text().strip()
    monkeypatch.setenv("SECRET_KEY", KEY)  # an explicit key wins over the install's
    assert Desk(load_settings()).hub_credentials()["SECRET_KEY"] == KEY


async def test_make_run_prints_the_demo_password_at_the_first_start_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'desk.db'}")
    monkeypatch.delenv("DEMO_DATA", raising=False)
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    first_log, second_log = io.StringIO(), io.StringIO()
    first = Desk(load_settings(), first_log)
    await first.seed()
    first.banner()
    assert first.demo_password is not None
    assert first_log.getvalue().count(first.demo_password) == 2  # when seeded, and in the banner
    second = Desk(load_settings(), second_log)
    await second.seed()
    second.banner()
    assert second.demo_password is None
    assert first.demo_password not in second_log.getvalue()
    assert "-m bot user admin --reset-password" in second_log.getvalue()

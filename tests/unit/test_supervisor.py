"""The supervisor on real child processes: output, readiness, and stopping with no leftovers."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from bot.supervisor import ProcessFailed, ProcessSpec, Supervisor


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


async def test_output_lines_are_prefixed_with_the_process_name() -> None:
    out = io.StringIO()
    supervisor = Supervisor(out)
    await supervisor.start(ProcessSpec("echo", python("print('one'); print('two')")))
    await supervisor.wait_any_exit()
    await supervisor.stop()
    assert "echo  | one\n" in out.getvalue()
    assert "echo  | two\n" in out.getvalue()


async def test_a_process_that_exits_before_ready_fails_the_start() -> None:
    supervisor = Supervisor(io.StringIO())

    async def never() -> bool:
        return False

    with pytest.raises(ProcessFailed, match="exited with code 3"):
        await supervisor.start(ProcessSpec("bad", python("raise SystemExit(3)"), ready=never))
    await supervisor.stop()


async def test_readiness_has_a_deadline() -> None:
    supervisor = Supervisor(io.StringIO())

    async def never() -> bool:
        return False

    spec = ProcessSpec(
        "slow", python("import time; time.sleep(30)"), ready=never, ready_timeout_s=0.5
    )
    with pytest.raises(ProcessFailed, match="not ready"):
        await supervisor.start(spec)
    pid = supervisor.pids["slow"]
    await supervisor.stop()
    assert not alive(pid)


async def test_stop_kills_a_process_that_ignores_sigterm_and_its_children(tmp_path: Path) -> None:
    pids_file = tmp_path / "child.pid"
    # Like `rasa run` may: ignore SIGTERM; and leave a grandchild that ignores it too.
    code = (
        "import os, signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pids_file)!r}, 'w').write(str(child.pid))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )

    async def child_started() -> bool:
        return pids_file.exists() and pids_file.read_text() != ""

    supervisor = Supervisor(io.StringIO(), grace_s=0.5)
    await supervisor.start(ProcessSpec("stubborn", python(code), ready=child_started))
    parent, child = supervisor.pids["stubborn"], int(pids_file.read_text())
    assert alive(parent)
    assert alive(child)
    await supervisor.stop()
    assert not alive(parent)
    assert not alive(child)


async def test_wait_any_exit_names_the_process_that_died() -> None:
    supervisor = Supervisor(io.StringIO())
    await supervisor.start(ProcessSpec("long", python("import time; time.sleep(30)")))
    await supervisor.start(ProcessSpec("short", python("pass")))
    assert await supervisor.wait_any_exit() == "short"
    await supervisor.stop()

"""The supervisor on real child processes: output, readiness, and stopping with no leftovers."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.runtime.supervisor import ProcessFailed, ProcessSpec, Supervisor
from bot.settings import PROJECT_ROOT


async def gone_within(pid: int, seconds: float) -> bool:
    """Poll (bounded) until `pid` is gone."""
    for _ in range(int(seconds / 0.05)):
        if not alive(pid):
            return True
        await asyncio.sleep(0.05)
    return not alive(pid)


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
    # SIGKILL reaches the orphaned grandchild asynchronously; under load it takes a moment.
    assert await gone_within(child, 2.0)


async def test_wait_any_exit_names_the_process_that_died() -> None:
    supervisor = Supervisor(io.StringIO())
    await supervisor.start(ProcessSpec("long", python("import time; time.sleep(30)")))
    await supervisor.start(ProcessSpec("short", python("pass")))
    assert await supervisor.wait_any_exit() == "short"
    await supervisor.stop()


async def test_a_vanished_log_does_not_stop_the_shutdown() -> None:
    # `make run | tee` after Ctrl-C: tee is gone, every write to the log raises EPIPE.
    read_end, write_end = os.pipe()
    os.close(read_end)
    out = os.fdopen(write_end, "w")
    supervisor = Supervisor(out, grace_s=0.5)
    chatter = "import time\nwhile True:\n    print('line', flush=True)\n    time.sleep(0.01)"
    await supervisor.start(ProcessSpec("chatty", python(chatter)))
    pid = supervisor.pids["chatty"]
    await asyncio.sleep(0.2)  # let the pump hit the broken pipe
    supervisor.log("desk", "stopping…")
    await supervisor.stop()
    assert not alive(pid)


def test_children_die_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = (
        "import asyncio, io, sys\n"
        "from bot.runtime.supervisor import ProcessSpec, Supervisor\n"
        "async def main():\n"
        "    supervisor = Supervisor(io.StringIO())\n"
        "    await supervisor.start(ProcessSpec('sleeper', ['sleep', '60']))\n"
        f"    open({str(pid_file)!r}, 'w').write(str(supervisor.pids['sleeper']))\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    launcher = subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT_ROOT)
    try:
        deadline = time.monotonic() + 20
        while not (pid_file.exists() and pid_file.read_text()):
            assert time.monotonic() < deadline, "the supervisor did not start its child"
            time.sleep(0.05)
        child = int(pid_file.read_text())
        assert alive(child)
        launcher.kill()  # no cleanup runs: only the kernel can take the child down
        launcher.wait(10)
        deadline = time.monotonic() + 5
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(child)
    finally:
        launcher.kill()

"""A small async process supervisor: start, wait ready, one prefixed log, stop with no leftovers."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

ReadyCheck = Callable[[], Awaitable[bool]]


@dataclass
class ProcessSpec:
    """How to start one process and how to tell it is ready."""

    name: str
    argv: Sequence[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    ready: ReadyCheck | None = None
    ready_timeout_s: float = 180.0


class ProcessFailed(RuntimeError):
    """A supervised process exited, or never became ready."""


@dataclass
class _Running:
    spec: ProcessSpec
    process: asyncio.subprocess.Process
    pump: asyncio.Task[None]


class Supervisor:
    """Runs processes in their own process groups, so that stopping one stops its children too."""

    def __init__(self, out: TextIO = sys.stdout, grace_s: float = 10.0) -> None:
        self._out = out
        self._grace_s = grace_s
        self._running: list[_Running] = []
        self._width = 6
        self._out_open = True

    @property
    def pids(self) -> dict[str, int]:
        """Pid of each started process, by name."""
        return {r.spec.name: r.process.pid for r in self._running}

    def log(self, name: str, line: str) -> None:
        """Write one line of the combined log, prefixed with its process name.

        A log that went away (`make run | tee` after Ctrl-C, a closed terminal) is dropped:
        losing log lines must never stop us from stopping the processes.
        """
        if not self._out_open:
            return
        try:
            self._out.write(f"{name:<{self._width}}| {line}\n")
            self._out.flush()
        except (OSError, ValueError):
            self._out_open = False

    async def start(self, spec: ProcessSpec) -> None:
        """Start `spec`, stream its output into the combined log, and wait until it is ready."""
        self._width = max(self._width, len(spec.name))
        process = await asyncio.create_subprocess_exec(
            *spec.argv,
            env={**os.environ, **spec.env},
            cwd=spec.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # own group: a terminal's Ctrl-C reaches us, not them
            preexec_fn=_die_with_parent,
        )
        pump = asyncio.create_task(self._pump(spec.name, process))
        self._running.append(_Running(spec, process, pump))
        if spec.ready is not None:
            await self._wait_ready(spec, process)

    async def _pump(self, name: str, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            self.log(name, raw.decode("utf-8", "replace").rstrip())

    async def _wait_ready(self, spec: ProcessSpec, process: asyncio.subprocess.Process) -> None:
        assert spec.ready is not None
        deadline = asyncio.get_running_loop().time() + spec.ready_timeout_s
        while True:
            if process.returncode is not None:
                raise ProcessFailed(f"{spec.name} exited with code {process.returncode}")
            with contextlib.suppress(Exception):
                if await spec.ready():
                    return
            if asyncio.get_running_loop().time() > deadline:
                raise ProcessFailed(f"{spec.name} not ready after {spec.ready_timeout_s:g} s")
            await asyncio.sleep(0.25)

    async def wait_any_exit(self) -> str:
        """Wait until one supervised process exits; return its name."""
        waits = {asyncio.create_task(r.process.wait()): r.spec.name for r in self._running}
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return waits[done.pop()]

    async def stop(self) -> None:
        """Stop in reverse start order: SIGTERM to each group, SIGKILL after the grace period.

        Escalation matters: `rasa run` can ignore SIGTERM.
        """
        for running in reversed(self._running):
            await self._stop_one(running)
        self._running.clear()

    async def _stop_one(self, running: _Running) -> None:
        process = running.process
        pgid = process.pid  # start_new_session made it the group leader
        _signal_group(pgid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), self._grace_s)
        except TimeoutError:
            self.log(running.spec.name, f"no exit {self._grace_s:g} s after SIGTERM: SIGKILL")
        # Children of the process (workers, helpers) may outlive it: clear the whole group.
        _signal_group(pgid, signal.SIGKILL)
        await process.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await running.pump


def _die_with_parent() -> None:
    """In the child, before exec: be killed if the supervisor dies without stopping us."""
    if sys.platform == "linux":
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)

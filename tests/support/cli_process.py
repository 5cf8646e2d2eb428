"""One run of an assistant CLI as a child process: its stdout lines with the moment each arrived, its stderr, its
exit code and how long it took. Waits are bounded and event-driven (a line arriving, the process exiting).

The child gets its own session, so a signal can go to its whole process group; whatever escapes the group (claude
runs its Bash tool commands in sessions of their own) is the network namespace's to kill.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = ["CliRun", "RunningCli", "TimedLine"]


@dataclass(frozen=True)
class TimedLine:
    at: float
    """``time.monotonic()`` when the line was read from the pipe."""
    text: str

    @property
    def event(self) -> dict[str, Any] | None:
        """The line as a JSON object (the CLIs' stream events), or None when it is not one."""
        try:
            value = json.loads(self.text)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


@dataclass(frozen=True)
class CliRun:
    argv: tuple[str, ...]
    exit_code: int
    lines: tuple[TimedLine, ...]
    stderr: str
    started_at: float
    ended_at: float
    timed_out: bool = False

    @property
    def seconds(self) -> float:
        return self.ended_at - self.started_at

    @property
    def stdout(self) -> str:
        return "".join(line.text + "\n" for line in self.lines)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [event for line in self.lines if (event := line.event) is not None]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event.get("type") == kind]

    def describe(self) -> str:
        """For assertion messages: exit code, time, the last stdout lines and the stderr tail."""
        tail = "\n".join(line.text[:400] for line in self.lines[-8:])
        head = f"exit {self.exit_code} after {self.seconds:.1f}s"
        return f"{head}\n--- stdout (tail)\n{tail}\n--- stderr\n{self.stderr[-2000:]}"


@dataclass
class RunningCli:
    argv: Sequence[str]
    cwd: Path
    env: Mapping[str, str]
    stdin: str | None = None
    _process: subprocess.Popen[bytes] | None = None
    _lines: list[TimedLine] = field(default_factory=list)
    _stderr: list[bytes] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _readers: list[threading.Thread] = field(default_factory=list)
    _started_at: float = 0.0
    _stdout_closed: bool = False

    def start(self) -> RunningCli:
        self._started_at = time.monotonic()
        self._process = subprocess.Popen(
            list(self.argv),
            cwd=self.cwd,
            env=dict(self.env),
            stdin=subprocess.DEVNULL if self.stdin is None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        assert self._process.stdout is not None
        assert self._process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read_lines, args=(self._process.stdout,), daemon=True),
            threading.Thread(target=self._read_all, args=(self._process.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        if self.stdin is not None:
            assert self._process.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                self._process.stdin.write(self.stdin.encode())
            self._process.stdin.close()
        return self

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def _read_lines(self, pipe: IO[bytes]) -> None:
        for raw in iter(pipe.readline, b""):
            line = TimedLine(time.monotonic(), raw.decode("utf-8", "replace").rstrip("\n"))
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._stdout_closed = True
            self._changed.notify_all()

    def _read_all(self, pipe: IO[bytes]) -> None:
        for chunk in iter(lambda: pipe.read(4096), b""):
            self._stderr.append(chunk)

    def wait_for_line(self, predicate: Callable[[TimedLine], bool], *, timeout: float) -> TimedLine:
        """The first stdout line (already read or still to come) that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self._lines:
                    if predicate(line):
                        return line
                if self._stdout_closed:
                    raise LookupError(f"stdout closed after {len(self._lines)} lines, none matching")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no matching line within {timeout}s; got {len(self._lines)} lines")
                self._changed.wait(left)

    def _close_pipes(self, grace: float) -> None:
        assert self._process is not None
        for reader in self._readers:
            reader.join(timeout=grace)
        for pipe in (self._process.stdout, self._process.stderr):
            if pipe is not None:
                pipe.close()

    def reap(self, *, timeout: float = 10.0) -> None:
        """After the process was killed from outside: collect its exit status and close the pipes."""
        if self._process is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=timeout)
        self._close_pipes(timeout)

    def signal_group(self, signum: int) -> None:
        """Send ``signum`` to the CLI's process group (what a terminal's Ctrl-C or a supervisor does)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signum)

    def wait(self, *, timeout: float, grace: float = 5.0) -> CliRun:
        """Wait for the exit; past ``timeout`` the group gets SIGTERM, then SIGKILL after ``grace``."""
        assert self._process is not None
        timed_out = False
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            self.signal_group(signal.SIGTERM)
            try:
                self._process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self._process.wait(timeout=grace)
        ended_at = time.monotonic()
        self._close_pipes(grace)
        with self._changed:
            lines = tuple(self._lines)
        return CliRun(
            argv=tuple(self.argv),
            exit_code=self._process.returncode,
            lines=lines,
            stderr=b"".join(self._stderr).decode("utf-8", "replace"),
            started_at=self._started_at,
            ended_at=ended_at,
            timed_out=timed_out,
        )

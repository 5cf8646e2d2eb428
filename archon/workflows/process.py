"""Run one node's process and hand over its output line by line as it arrives, until it exits or its timeout
passes (then :class:`~archon.workflows.supervision.Supervisor` stops it and everything it started).

Lines are read as soon as the process writes them (no waiting for the end), so the CLI can show them live. What
the process reads on stdin is given up front (the prompt, for assistant CLIs) and written from a thread of its
own, so a large prompt never blocks the reading of the output; bash nodes get no stdin.
"""

from __future__ import annotations

import contextlib
import errno
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from archon.workflows.supervision import Child, Supervisor

__all__ = ["DRAIN_SECONDS", "LineSink", "ProcessOutcome", "run_streaming"]

DRAIN_SECONDS = 2.0
"""After the process exits, how long its output may still take to end. Whatever still holds the pipes after that
(a background job it left running) is stopped like a timed-out node."""

LineSink = Callable[[str], None]


@dataclass(frozen=True)
class ProcessOutcome:
    started: bool
    returncode: int | None
    timed_out: bool = False
    interrupted: bool = False
    """The run was interrupted (Ctrl-C, SIGTERM) while this process ran."""
    start_error: str | None = None


def _start_error(exc: BaseException) -> str:
    message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    if isinstance(exc, OSError) and exc.errno == errno.E2BIG:
        message += " (an argument or a substituted output is too large to pass; trim it)"
    return message


def _pump(pipe: IO[bytes], sink: LineSink) -> None:
    with contextlib.suppress(OSError, ValueError):
        for raw in iter(pipe.readline, b""):
            sink(raw.decode("utf-8", errors="replace").rstrip("\r\n"))


def _encode(text: str) -> bytes:
    """UTF-8; an argument that was not UTF-8 on the command line (decoded with surrogateescape) goes back as the
    bytes it was, and any other lone surrogate becomes U+FFFD."""
    try:
        return text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace")


def _feed(pipe: IO[bytes], data: bytes) -> None:
    with contextlib.suppress(OSError, ValueError):  # BrokenPipeError: the process did not read it all
        pipe.write(data)
    with contextlib.suppress(OSError, ValueError):
        pipe.close()


def _threads(child: Child, stdin: str | None, on_stdout: LineSink, on_stderr: LineSink) -> list[threading.Thread]:
    proc = child.proc
    assert proc.stdout is not None  # noqa: S101 - spawn pipes both
    assert proc.stderr is not None  # noqa: S101
    threads = [
        threading.Thread(target=_pump, args=(proc.stdout, on_stdout), daemon=True, name="archon-stdout"),
        threading.Thread(target=_pump, args=(proc.stderr, on_stderr), daemon=True, name="archon-stderr"),
    ]
    if stdin is not None and proc.stdin is not None:
        data = _encode(stdin)
        threads.append(threading.Thread(target=_feed, args=(proc.stdin, data), daemon=True, name="archon-stdin"))
    for thread in threads:
        thread.start()
    return threads


def run_streaming(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    stdin: str | None,
    timeout: float,
    supervisor: Supervisor,
    on_stdout: LineSink,
    on_stderr: LineSink,
) -> ProcessOutcome:
    """Run ``argv`` to its end or until ``timeout`` seconds have passed. Never raises for the process's sake."""
    try:
        child = supervisor.spawn(argv, env=env, cwd=cwd, stdin=stdin is not None)
    except InterruptedError:
        return ProcessOutcome(started=False, returncode=None, interrupted=True, start_error="the run was interrupted")
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in an argument or the environment
        return ProcessOutcome(started=False, returncode=None, start_error=_start_error(exc))
    timed_out = False
    try:
        threads = _threads(child, stdin, on_stdout, on_stderr)
        try:
            child.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            supervisor.stop(child)
        readers = threads[:2]
        for thread in readers:
            thread.join(timeout=DRAIN_SECONDS)
        if any(thread.is_alive() for thread in readers):  # a process it left behind holds the output open
            supervisor.stop(child)
            for thread in readers:
                thread.join(timeout=DRAIN_SECONDS)
    except BaseException:  # a bug on this side: never leave the node's processes running
        supervisor.stop(child)
        raise
    finally:
        supervisor.finished(child)
        for pipe in (child.proc.stdin, child.proc.stdout, child.proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
    return ProcessOutcome(
        started=True,
        returncode=child.proc.returncode,
        timed_out=timed_out,
        interrupted=supervisor.stopping.is_set() and not timed_out and child.proc.returncode != 0,
    )

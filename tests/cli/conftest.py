"""Run the real ``archon`` entry point in-process and capture what it prints."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from archon.buildinfo import BuildInfo, current_build
from archon.cli.app import run
from archon.runtime import Runtime
from tests.conftest import TEST_KEY


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str


Invoke = Callable[..., Result]

KEYED_BUILD = current_build()._replace(posthog_key=TEST_KEY, posthog_host="http://127.0.0.1:9", version="9.8.7")


@pytest.fixture
def invoke(isolation: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Invoke:
    """``invoke(*args, env={...}, build=...)``: archon's ``run()`` with a runtime that never starts a flusher,
    unless a test passes the ``executable`` a flusher would be started with (e.g. a probe script)."""

    def _invoke(
        *args: str,
        env: Mapping[str, str] | None = None,
        build: BuildInfo | None = None,
        executable: tuple[str, ...] = (),
    ) -> Result:
        capsys.readouterr()
        runtime = Runtime(env=dict(env or {}), home=isolation, cwd=tmp_path, executable=executable)
        code = run(list(args), runtime=runtime, build=build)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _invoke


def _children() -> set[int]:
    """This process's child processes (zombies included), from ``/proc``."""
    found = set()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()  # after "pid (comm)": state, ppid, ...
        if len(fields) > 1 and fields[1] == str(os.getpid()):
            found.add(int(entry.name))
    return found


@dataclass
class FlusherProbe:
    """A stand-in for the flusher executable (a script that sleeps a while, then ends itself), so a test can see
    whether a command started a flusher. The flusher is spawned as a child of this process, and it exists as soon
    as the spawn returns, so the children that appeared since the fixture began are exactly the ones started."""

    script: Path
    before: set[int]

    @property
    def executable(self) -> tuple[str, ...]:
        return (sys.executable, str(self.script))

    def started(self) -> list[int]:
        return sorted(_children() - self.before)


@pytest.fixture
def flusher_probe(tmp_path: Path) -> Iterator[FlusherProbe]:
    if not sys.platform.startswith("linux"):
        pytest.skip("finds the started flusher through /proc")
    script = tmp_path / "flusher-probe.py"
    script.write_text("import time\ntime.sleep(20)\n", encoding="utf-8")
    probe = FlusherProbe(script, before=_children())
    yield probe
    for pid in probe.started():  # only the probes this test started; reap them so no zombie is left
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)

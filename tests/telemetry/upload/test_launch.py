"""Starting the flusher: only when something is pending and none runs, fully detached, never raising.

The executable is the one world value a test may point elsewhere: here a probe script that reports how it was
started (session, stdio, descriptors, environment), instead of an archon flusher.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from archon.filelock import FileLock
from archon.paths import ArchonPaths
from archon.runtime import Runtime
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.upload import FLUSH_ARGUMENT
from archon.telemetry.upload.launch import flusher_command, start_flusher
from tests.support.delivery import make_event

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="probes /proc and POSIX sessions")

PROBE = """
import json, os, sys, time
deadline = time.monotonic() + 5  # the command moves it to the idle class right after starting it
while hasattr(os, "SCHED_IDLE") and os.sched_getscheduler(0) != os.SCHED_IDLE and time.monotonic() < deadline:
    time.sleep(0.01)
fds = {}
for name in os.listdir("/proc/self/fd"):
    try:
        fds[name] = os.readlink(f"/proc/self/fd/{name}")
    except OSError:
        pass
report = {
    "argv": sys.argv[1:],
    "session_leader": os.getsid(0) == os.getpid(),
    "fds": fds,
    "posthog_env": sorted(k for k in os.environ if k.startswith("POSTHOG_")),
    "archon_home": os.environ.get("ARCHON_HOME"),
    "idle": hasattr(os, "SCHED_IDLE") and os.sched_getscheduler(0) == os.SCHED_IDLE,
}
out = os.path.join(os.environ["ARCHON_HOME"], "probe.json")
with open(out + ".tmp", "w") as handle:
    json.dump(report, handle)
os.replace(out + ".tmp", out)
"""


def _runtime(paths: ArchonPaths, tmp_path: Path, **env: str) -> Runtime:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    environment = {"ARCHON_HOME": str(paths.home), "PATH": os.environ.get("PATH", ""), **env}
    return Runtime(env=environment, home=paths.home, cwd=tmp_path, executable=(sys.executable, str(probe)))


def _wait_for_report(paths: ArchonPaths) -> dict[str, Any]:
    report = paths.home / "probe.json"
    deadline = time.monotonic() + 30
    while not report.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    data: dict[str, Any] = json.loads(report.read_text())
    return data


def test_the_flusher_is_started_detached(paths: ArchonPaths, tmp_path: Path) -> None:
    Outbox(paths).append(make_event())
    read_end, write_end = os.pipe()
    os.set_inheritable(write_end, True)  # as if our caller's caller had passed us a pipe
    try:
        started = start_flusher(runtime=_runtime(paths, tmp_path, POSTHOG_RELEASE_ID="x"), paths=paths)
        assert started
        report = _wait_for_report(paths)
    finally:
        os.close(read_end)
        os.close(write_end)

    assert report["argv"] == [FLUSH_ARGUMENT]
    assert report["session_leader"]  # its own session: no terminal, no signals from the user's shell
    assert {report["fds"][fd] for fd in ("0", "1", "2")} == {os.devnull}
    assert not any(target.startswith("pipe:") for target in report["fds"].values())
    assert report["posthog_env"] == []
    assert report["archon_home"] == str(paths.home)
    assert report["idle"] == hasattr(os, "SCHED_IDLE")  # from the start: its start-up never races the command's exit


def test_a_caller_that_has_just_recorded_is_not_asked_to_list_the_outbox(paths: ArchonPaths, tmp_path: Path) -> None:
    paths.home.mkdir()  # where the probe reports; the outbox is empty, as if a flusher had taken the events meanwhile
    assert start_flusher(runtime=_runtime(paths, tmp_path), paths=paths, known_pending=True)
    assert _wait_for_report(paths)["argv"] == [FLUSH_ARGUMENT]  # it finds nothing, and ends


def test_nothing_pending_starts_nothing(paths: ArchonPaths, tmp_path: Path) -> None:
    assert not start_flusher(runtime=_runtime(paths, tmp_path), paths=paths)
    time.sleep(0.3)
    assert not (paths.home / "probe.json").exists()


def test_a_running_flusher_means_no_second_one(paths: ArchonPaths, tmp_path: Path) -> None:
    Outbox(paths).append(make_event())
    running = FileLock(paths.flush_lock)
    assert running.acquire()
    try:
        assert not start_flusher(runtime=_runtime(paths, tmp_path), paths=paths)
    finally:
        running.release()


def test_a_missing_executable_is_not_an_error(paths: ArchonPaths, tmp_path: Path) -> None:
    Outbox(paths).append(make_event())
    runtime = Runtime(env={}, home=paths.home, cwd=tmp_path, executable=(str(tmp_path / "gone" / "archon"),))
    assert not start_flusher(runtime=runtime, paths=paths)
    assert not start_flusher(runtime=Runtime(env={}, home=paths.home, cwd=tmp_path), paths=paths)


def test_the_command_re_executes_this_archon() -> None:
    frozen = Runtime(env={}, home=Path("/h"), cwd=Path("/"), executable=("/opt/archon/archon",))
    module = Runtime(env={}, home=Path("/h"), cwd=Path("/"), executable=("/venv/bin/python", "-m", "archon"))
    assert flusher_command(frozen) == ["/opt/archon/archon", FLUSH_ARGUMENT]
    assert flusher_command(module) == ["/venv/bin/python", "-m", "archon", FLUSH_ARGUMENT]


_CLI_RUN = """
import dataclasses, json, sys
from archon.buildinfo import current_build
from archon.cli.app import run
from archon.paths import ArchonPaths
from archon.runtime import Runtime
from archon.telemetry.outbox.store import Outbox

runtime = Runtime.from_os()._replace(executable=(sys.executable, sys.argv[1]))
build = current_build()._replace(posthog_key="phc_archonTestKey", posthog_host="http://127.0.0.1:9")
codes = [run(["telemetry", "on"], runtime=runtime, build=build), run(["version"], runtime=runtime, build=build)]
print(json.dumps({"codes": codes, "posthog": "posthog" in sys.modules,
                  "pending": Outbox(ArchonPaths(runtime.home)).pending_count()}))
"""


def test_the_cli_process_never_imports_posthog_even_when_it_starts_a_flusher(
    paths: ArchonPaths, tmp_path: Path
) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    result = subprocess.run(
        [sys.executable, "-c", _CLI_RUN, str(probe)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=tmp_path,
    )
    outcome = json.loads(result.stdout.splitlines()[-1])

    assert outcome == {"codes": [0, 0], "posthog": False, "pending": 2}
    assert _wait_for_report(paths)["argv"] == [FLUSH_ARGUMENT]  # a flusher was started, and this process went on


def test_the_flusher_moves_itself_to_the_lowest_cpu_priority() -> None:
    code = "import os; from archon.telemetry.upload.process import run_in_background; run_in_background(); "
    code += "print(os.sched_getscheduler(0) if hasattr(os, 'SCHED_IDLE') else os.getpriority(os.PRIO_PROCESS, 0))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)

    expected = os.SCHED_IDLE if hasattr(os, "SCHED_IDLE") else 10
    assert int(result.stdout) == expected

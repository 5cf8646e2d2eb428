"""Telemetry under faults and load, with real processes: the installed keyed wheel, its detached flushers, and
the loopback ingest server answering 200, 503, 400, or accepting and never answering.

Every command here is a real ``archon`` process; every flusher is the one archon starts by itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from archon.filelock import is_locked
from archon.paths import ArchonPaths
from archon.telemetry.outbox.counters import read_counters
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.upload.process import FLUSH_DEADLINE_SECONDS
from tests.e2e.processes import flusher_pids, wait_for_no_flusher
from tests.support.artefacts import InstalledArchon
from tests.support.ingest import IngestServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find flusher processes"),
]

EVENTS_PER_RUN = 2  # cli.command_invoked + cli.command_completed (a wheel is not the binary: no binary.startup)
FLUSHER_LIMIT = FLUSH_DEADLINE_SECONDS  # the kernel kills a flusher this long after its start
PATIENCE = FLUSHER_LIMIT + 15.0


@pytest.fixture
def home(isolation: Path) -> Path:
    return isolation


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def run(
    installed: InstalledArchon, workdir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(installed.archon), *args],
        env={**os.environ, **(env or {})},
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def opt_in(installed: InstalledArchon, workdir: Path) -> None:
    result = run(installed, workdir, "telemetry", "on")
    assert result.returncode == 0, result.stderr


def settle(home: Path, workdir: Path) -> None:
    """Wait (bounded) until every flusher this home started has ended by itself."""
    assert wait_for_no_flusher(home, workdir, timeout=PATIENCE) == []


def uuids(events: Sequence[dict[str, Any]]) -> Counter[str]:
    return Counter(str(event["uuid"]) for event in events)


def recorded_uuids(home: Path) -> set[str]:
    return {event["uuid"] for event in Outbox(ArchonPaths(home)).pending()}


def test_503s_then_recovery_delivers_every_event_exactly_once(
    keyed_archon: InstalledArchon, session_ingest: IngestServer, home: Path, workdir: Path
) -> None:
    session_ingest.reset("unavailable")
    opt_in(keyed_archon, workdir)
    for _ in range(3):  # the first starts a flusher; the others find it running, or back off
        assert run(keyed_archon, workdir, "version").returncode == 0
    settle(home, workdir)
    assert len(session_ingest.snapshot()) >= 1  # the flushers did try, and were refused
    state = read_counters(ArchonPaths(home).telemetry_state)
    assert state.consecutive_failures >= 1
    assert state.next_attempt_at is not None
    waiting = recorded_uuids(home)
    assert len(waiting) == 3 * EVENTS_PER_RUN  # nothing lost while the server was down

    session_ingest.reset("ok")  # the server is back; from here on only 200s are recorded
    assert run(keyed_archon, workdir, "version").returncode == 0
    settle(home, workdir)

    received = uuids(session_ingest.events())
    assert set(received) >= waiting
    assert len(received) == 4 * EVENTS_PER_RUN
    assert set(received.values()) == {1}  # exactly once
    assert Outbox(ArchonPaths(home)).pending_count() == 0


def test_twenty_parallel_archon_processes_deliver_every_event_exactly_once(
    keyed_archon: InstalledArchon, session_ingest: IngestServer, home: Path, workdir: Path
) -> None:
    opt_in(keyed_archon, workdir)
    session_ingest.reset("ok")
    commands = [
        subprocess.Popen(
            [str(keyed_archon.archon), "version"],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(20)
    ]
    assert [command.wait(timeout=120) for command in commands] == [0] * 20

    session_ingest.wait_for_events(20 * EVENTS_PER_RUN, timeout=PATIENCE)
    settle(home, workdir)

    received = uuids(session_ingest.events())
    assert len(received) == 20 * EVENTS_PER_RUN
    assert set(received.values()) == {1}
    assert Outbox(ArchonPaths(home)).pending_count() == 0
    assert read_counters(ArchonPaths(home).telemetry_state).sent == 20 * EVENTS_PER_RUN


def test_sigkill_of_the_flusher_mid_send_loses_nothing(
    keyed_archon: InstalledArchon,
    session_ingest: IngestServer,
    home: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(session_ingest, "hang_seconds", 5.0)
    opt_in(keyed_archon, workdir)
    session_ingest.reset("hang")  # the request arrives and is never answered: the flusher is mid-send
    assert run(keyed_archon, workdir, "version").returncode == 0
    deadline = time.monotonic() + PATIENCE
    while not session_ingest.snapshot() and time.monotonic() < deadline:
        time.sleep(0.02)
    (in_flight,) = session_ingest.snapshot()
    first = uuids(in_flight.events)
    (flusher,) = flusher_pids(home, workdir)

    os.kill(flusher, signal.SIGKILL)
    settle(home, workdir)
    assert set(first) <= recorded_uuids(home)  # still recorded (claimed into inflight/, not lost)

    session_ingest.reset("ok")
    assert run(keyed_archon, workdir, "version").returncode == 0
    session_ingest.wait_for_events(2 * EVENTS_PER_RUN, timeout=PATIENCE)
    settle(home, workdir)

    received = uuids(session_ingest.events())
    assert set(first) <= set(received)  # re-sent with the same uuids
    assert len(received) == 2 * EVENTS_PER_RUN
    assert set(received.values()) == {1}
    assert Outbox(ArchonPaths(home)).pending_count() == 0


def test_a_host_that_never_answers_never_makes_a_command_wait(
    keyed_archon: InstalledArchon,
    session_ingest: IngestServer,
    home: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(session_ingest, "hang_seconds", 60.0)
    opt_in(keyed_archon, workdir)
    session_ingest.reset("hang")

    assert run(keyed_archon, workdir, "version").returncode == 0
    deadline = time.monotonic() + 10
    while not session_ingest.snapshot() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(session_ingest.snapshot()) == 1  # the flusher's request is stuck at the server
    (flusher,) = flusher_pids(home, workdir)
    if hasattr(os, "SCHED_IDLE"):  # it waits in the idle scheduling class: it never competes for the CPU
        assert _scheduling_policy(flusher) == os.SCHED_IDLE
    for _ in range(2):
        assert run(keyed_archon, workdir, "version").returncode == 0
        # This command has exited while the flusher is still stuck on the request: nobody waited for it.
        assert len(flusher_pids(home, workdir)) == 1  # one at a time, never piling up
    assert len(session_ingest.snapshot()) == 1

    settle(home, workdir)  # and the flusher ends by itself, within its hard limit
    assert len(recorded_uuids(home)) == 3 * EVENTS_PER_RUN
    assert read_counters(ArchonPaths(home).telemetry_state).last_error == "timeout"


def _scheduling_policy(pid: int) -> int:
    """Field 41 of /proc/PID/stat (fields after the command name start at field 3)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[38])


def _watch_for_flushers(home: Path, workdir: Path, stop_after: float) -> list[int]:
    seen: set[int] = set()
    deadline = time.monotonic() + stop_after
    while time.monotonic() < deadline:
        seen.update(flusher_pids(home, workdir))
        time.sleep(0.005)
    return sorted(seen)


@pytest.mark.parametrize(
    "case",
    [("default", {}), ("opted-in", {"DO_NOT_TRACK": "1"}), ("opted-out", {})],
    ids=["never-opted-in", "do-not-track", "opted-out"],
)
def test_no_flusher_is_ever_started_when_telemetry_is_off(
    keyed_archon: InstalledArchon,
    session_ingest: IngestServer,
    home: Path,
    workdir: Path,
    case: tuple[str, dict[str, str]],
) -> None:
    setup, env = case
    session_ingest.reset("ok")
    if setup != "default":
        opt_in(keyed_archon, workdir)
    if setup == "opted-out":
        assert run(keyed_archon, workdir, "version").returncode == 0  # leaves events pending...
        assert run(keyed_archon, workdir, "telemetry", "off").returncode == 0  # ...which off deletes
        settle(home, workdir)
        session_ingest.reset("ok")
    flush_lock = ArchonPaths(home).flush_lock
    flush_lock.unlink(missing_ok=True)

    commands = [("version",), ("telemetry", "status")]
    for command in commands:
        process = subprocess.Popen(
            [str(keyed_archon.archon), *command],
            env={**os.environ, **env},
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert _watch_for_flushers(home, workdir, stop_after=0.5) == []
        assert process.wait(timeout=60) == 0
    assert _watch_for_flushers(home, workdir, stop_after=1.0) == []
    assert not flush_lock.exists()  # no flusher ever took the lock
    assert session_ingest.snapshot() == []


_RECORD_MANY = """
import sys
from archon.buildinfo import current_build
from archon.paths import ArchonPaths
from archon.runtime import Runtime
from archon.config import read_config
from archon.telemetry.consent import resolve_consent
from archon.telemetry.recorder import Recorder
from archon.telemetry.schema import CliCommandInvoked, SafeName

runtime = Runtime.from_os()
paths = ArchonPaths(runtime.home)
consent = resolve_consent(runtime.env, lambda: read_config(paths.config))
session = Recorder(runtime=runtime, paths=paths, build=current_build(), consent=consent, show=print)
for _ in range(int(sys.argv[1])):
    session.record(CliCommandInvoked(command=SafeName("version"), subcommand=SafeName("")))
print(session.recorded)
"""


def test_the_outbox_stays_bounded_after_ten_thousand_events(
    keyed_archon: InstalledArchon, session_ingest: IngestServer, home: Path, workdir: Path
) -> None:
    opt_in(keyed_archon, workdir)
    session_ingest.reset("unavailable")
    recorder = subprocess.run(
        [str(keyed_archon.python), "-P", "-c", _RECORD_MANY, "10000"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert recorder.returncode == 0, recorder.stderr
    assert recorder.stdout.strip() == "10000"

    outbox = Outbox(ArchonPaths(home))
    pending, counters = outbox.pending_count(), read_counters(ArchonPaths(home).telemetry_state)
    assert pending <= outbox.max_events
    assert pending + counters.dropped_overflow == 10_000
    size = sum(path.stat().st_size for path in ArchonPaths(home).outbox.iterdir())
    assert size <= outbox.max_bytes
    status = run(keyed_archon, workdir, "telemetry", "status")
    assert status.returncode == 0
    assert str(counters.dropped_overflow) in status.stdout


# -- bad environments: archon's own commands still work, with their normal exit codes --------------------------

_WITH_NO_FILE_SPACE = (
    "import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0)); os.execv(sys.argv[1], sys.argv[1:])"
)


def _commands_still_work(installed: InstalledArchon, workdir: Path, *, prefix: Sequence[str] = ()) -> None:
    for args, expected in ((("version",), 0), (("telemetry", "status"), 0)):
        result = subprocess.run(
            [*prefix, str(installed.archon), *args],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == expected, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stdout.strip()
    missing = subprocess.run(
        [*prefix, str(installed.archon), "workflow", "run", "no-such-workflow"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode in (1, 2)  # a normal failure, not a crash
    assert "Traceback" not in missing.stderr


def test_a_full_disk_changes_nothing_for_commands(
    keyed_archon: InstalledArchon, session_ingest: IngestServer, home: Path, workdir: Path
) -> None:
    opt_in(keyed_archon, workdir)
    session_ingest.reset("ok")
    _commands_still_work(keyed_archon, workdir, prefix=(sys.executable, "-c", _WITH_NO_FILE_SPACE))
    settle(home, workdir)
    assert Outbox(ArchonPaths(home)).pending_count() == 0  # nothing could be written, nothing half-written


def test_an_archon_home_that_cannot_be_created_changes_nothing_for_commands(
    keyed_archon: InstalledArchon,
    session_ingest: IngestServer,
    tmp_path: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ARCHON_HOME", str(blocker / "archon-home"))
    monkeypatch.setenv("ARCHON_TELEMETRY", "on")
    session_ingest.reset("ok")
    _commands_still_work(keyed_archon, workdir)
    assert session_ingest.snapshot() == []


_READ_ONLY_MOUNT = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"'


def _read_only(home: Path) -> list[str]:
    """Make ``home`` read-only for the commands run with the returned prefix: by permissions for a normal user,
    by a read-only bind mount in a private mount namespace for root (whom permissions do not stop)."""
    if os.geteuid() != 0:
        for directory in (home / "telemetry" / "outbox", home / "telemetry", home):
            directory.chmod(0o500)
        return []
    unshare = shutil.which("unshare")
    probe = [unshare or "unshare", "-m", "sh", "-c", _READ_ONLY_MOUNT + " 2>/dev/null", str(home), "true"]
    if unshare is None or subprocess.run(probe, capture_output=True, check=False, timeout=30).returncode != 0:
        pytest.skip("running as root without the right to make a private read-only mount")
    return [unshare, "-m", "sh", "-c", _READ_ONLY_MOUNT, str(home)]


def test_a_read_only_archon_home_changes_nothing_for_commands(
    keyed_archon: InstalledArchon, session_ingest: IngestServer, home: Path, workdir: Path
) -> None:
    opt_in(keyed_archon, workdir)
    session_ingest.reset("unavailable")
    assert run(keyed_archon, workdir, "version").returncode == 0
    settle(home, workdir)
    before = sorted(path.name for path in ArchonPaths(home).outbox.iterdir())
    assert len(before) == EVENTS_PER_RUN  # kept for later: the home holds an outbox with events in it
    prefix = _read_only(home)
    try:
        _commands_still_work(keyed_archon, workdir, prefix=prefix)
        settle(home, workdir)
    finally:
        for directory in (home, home / "telemetry", home / "telemetry" / "outbox"):
            directory.chmod(0o700)
    assert sorted(path.name for path in ArchonPaths(home).outbox.iterdir()) == before


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00telemetry:\n  enabled: true\n", b"telemetry: [enabled: true\n", b"- just\n- a list\n"],
    ids=["non-utf8", "malformed", "not-a-mapping"],
)
def test_an_unreadable_config_means_off_and_commands_work(
    keyed_archon: InstalledArchon, session_ingest: IngestServer, home: Path, workdir: Path, content: bytes
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_bytes(content)
    session_ingest.reset("ok")
    _commands_still_work(keyed_archon, workdir)
    settle(home, workdir)
    assert session_ingest.snapshot() == []
    assert not ArchonPaths(home).outbox.exists()


def test_a_garbage_telemetry_id_is_never_sent(
    keyed_archon: InstalledArchon, session_ingest: IngestServer, home: Path, workdir: Path
) -> None:
    opt_in(keyed_archon, workdir)
    garbage = b"\x00\xff not-a-uuid \n\xfe"
    (home / "telemetry-id").write_bytes(garbage)
    session_ingest.reset("ok")
    _commands_still_work(keyed_archon, workdir)
    session_ingest.wait_for_events(1, timeout=PATIENCE)
    settle(home, workdir)

    received = session_ingest.events()
    assert received
    for event in received:
        assert str(uuid.UUID(str(event["distinct_id"]))) == event["distinct_id"]
    assert b"not-a-uuid" not in b"".join(request.raw_body for request in session_ingest.snapshot())
    assert not is_locked(ArchonPaths(home).flush_lock)


# -- a command killed right after it records ----------------------------------------------------------------------

_KILLED_RIGHT_AFTER = """
import os, signal, sys
from archon.cli import recording
from archon.cli.app import main
from archon.telemetry.schema import SafeName, WorkflowRunStarted

after = sys.argv[1]
named, ended = recording.Recording.name, recording.Recording.ended


def name(self, command, subcommand):
    named(self, command, subcommand)  # records cli.command_invoked: from here on it must never be lost
    if after == "event":
        self.telemetry.record(WorkflowRunStarted(workflow_name=SafeName("user-defined"), node_count=1,
                                                 provider="none", is_cli_invoked=True))
    if after in ("invoked", "event"):
        os.kill(os.getpid(), signal.SIGKILL)


def end(self, **facts):
    ended(self, **facts)  # records cli.command_completed
    os.kill(os.getpid(), signal.SIGKILL)


recording.Recording.name = name
if after == "completed":
    recording.Recording.ended = end
sys.argv = ["archon", "version"]
main()
"""


KILLED_AFTER = {
    "invoked": ["cli.command_invoked"],
    "event": ["cli.command_invoked", "workflow.run_started"],
    "completed": ["cli.command_invoked", "cli.command_completed"],
}


@pytest.mark.parametrize("way_and_after", [(way, after) for way in ("prepared", "long way") for after in KILLED_AFTER])
def test_a_command_killed_right_after_it_records_loses_nothing(
    keyed_archon: InstalledArchon,
    session_ingest: IngestServer,
    home: Path,
    workdir: Path,
    way_and_after: tuple[str, str],
) -> None:
    """ "Right after" is the moment the call that records an event has returned: SIGKILL then, and the event is in
    the outbox (a whole file, never a part of one), and the next command's flusher sends it, once."""
    way, after = way_and_after
    opt_in(keyed_archon, workdir)
    session_ingest.reset("ok")
    assert run(keyed_archon, workdir, "version").returncode == 0  # the first run: the long way, which prepares
    settle(home, workdir)
    session_ingest.reset("ok")
    if way == "long way":
        (home / "telemetry" / ".prepared-events").unlink()

    killed = subprocess.run(
        [str(keyed_archon.python), "-P", "-c", _KILLED_RIGHT_AFTER, after],
        env={**os.environ, "ARCHON_HOME": str(home)},
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    expected = KILLED_AFTER[after]
    stored = Outbox(ArchonPaths(home)).pending()
    assert [event["event"] for event in stored] == expected
    assert not [name for name in os.listdir(ArchonPaths(home).outbox) if name.endswith(".tmp")]

    assert run(keyed_archon, workdir, "version").returncode == 0  # its flusher sends what the killed run left
    session_ingest.wait_for_events(len(expected) + EVENTS_PER_RUN, timeout=PATIENCE)
    settle(home, workdir)
    received = uuids(session_ingest.events())
    assert {event["uuid"] for event in stored} <= set(received)
    assert set(received.values()) == {1}  # exactly once

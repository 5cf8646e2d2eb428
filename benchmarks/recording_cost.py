"""What telemetry costs inside the command's own process, measured in-process with a keyed build.

- ``record`` with telemetry on (consent resolved, identity read, event made, appended to the outbox) vs off
  (consent resolved, nothing recorded), interleaved;
- ``Outbox.append`` alone (one record file: write + rename);
- the end-of-command check that decides whether to start a flusher (outbox listing + lock probe), measured
  while a flusher holds the lock, so nothing is started.

Every sample is one call; the table gives medians and p95 in microseconds. The archon home is a temporary
directory on the same file system as ``--dir`` (default: the system temp dir).

    python -m benchmarks.recording_cost --samples 2000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from archon.buildinfo import current_build
from archon.config import read_config, set_config_value
from archon.filelock import FileLock
from archon.paths import ArchonPaths
from archon.runtime import Runtime
from archon.telemetry.consent import resolve_consent
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.recorder import Recorder
from archon.telemetry.schema import CliCommandCompleted, SafeName
from archon.telemetry.upload.launch import start_flusher
from benchmarks.keyed_archon import TEST_KEY, describe_machine, percentile
from tests.support.delivery import make_event

EVENT = CliCommandCompleted(command=SafeName("version"), subcommand=SafeName(""), exit_code=0, duration_ms=3)


def _session(home: Path, *, enabled: bool) -> Recorder:
    paths = ArchonPaths(home)
    set_config_value(paths.config, ("telemetry", "enabled"), enabled)
    build = current_build()._replace(posthog_key=TEST_KEY, posthog_host="http://127.0.0.1:9")
    runtime = Runtime(env={}, home=home, cwd=home)
    consent = resolve_consent(runtime.env, lambda: read_config(paths.config))
    return Recorder(runtime=runtime, paths=paths, build=build, consent=consent, show=lambda _: None)


def _sample(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _row(name: str, samples: list[float]) -> str:
    median, p95 = statistics.median(samples) * 1e6, percentile(samples, 0.95) * 1e6
    return f"| {name} | {median:.0f} | {p95:.0f} | {len(samples)} |"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="archon-cost-", dir=args.dir))

    on, off = _session(root / "on", enabled=True), _session(root / "off", enabled=False)
    on.record(EVENT)  # first event: consent read, identity created, directories made
    off.record(EVENT)
    record_on: list[float] = []
    record_off: list[float] = []
    for index in range(args.samples):
        for session, samples in ((on, record_on), (off, record_off))[:: 1 if index % 2 else -1]:
            samples.append(_sample(lambda s=session: s.record(EVENT)))  # type: ignore[misc]
            if len(record_on) % 500 == 0:
                Outbox(ArchonPaths(root / "on")).clear()  # stay far from the bound: measure appends, not trims

    paths = ArchonPaths(root / "append")
    outbox = Outbox(paths)
    events = [make_event() for _ in range(args.samples)]
    appends = []
    for number, event in enumerate(events, start=1):
        appends.append(_sample(lambda e=event: outbox.append(e)))  # type: ignore[misc]
        if number % 500 == 0:
            outbox.clear()

    outbox.append(make_event())
    running = FileLock(paths.flush_lock)
    running.acquire()
    runtime = Runtime(env={}, home=paths.home, cwd=paths.home, executable=(sys.executable, "-c", "pass"))
    checks = [_sample(lambda: start_flusher(runtime=runtime, paths=paths)) for _ in range(args.samples)]
    running.release()

    shutil.rmtree(root, ignore_errors=True)
    print(f"# machine: {describe_machine()}; python {sys.version.split()[0]}; home on {root.parent}\n")
    print("| in the command's process | median (µs) | p95 (µs) | samples |")
    print("|---|---|---|---|")
    print(_row("record one event, telemetry on", record_on))
    print(_row("record one event, telemetry off", record_off))
    print(_row("Outbox.append alone", appends))
    print(_row("end of command: should a flusher start? (one is running)", checks))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

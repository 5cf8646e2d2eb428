"""Every benchmark issue 20 asks for, in one run, printed as one table (target | measured | verdict).

    python -m benchmarks.issue20                 # a quiet machine
    python -m benchmarks.issue20 --busy          # the same, with a busy loop holding one CPU for the whole run

It builds the real artefacts of this tree with a test key and a loopback ingest host (the keyed wheel in a fresh
venv; the onedir binary with ``scripts/build-binaries.sh``, unless ``--no-binary``), then measures, each comparison
side by side and interleaved (ABBA or rotated, so load that changes during the run hits every side alike), with
``wait4`` (never ``subprocess.run(timeout=)``, whose polling rounds wall times up):

1. ``archon version`` with telemetry on vs off, the ingest host answering 200, 503, never answering, and
   blackholed (issue 20: median ratio <= 1.03 each). Before every run, flushers from earlier runs are left to go
   quiet (idle or gone). One more row, for information: 200, with every run alone (no flusher left lingering
   from the run before, so each run starts one);
2. ``archon version`` against ``python -c "import typer"`` in the same venv, telemetry off by ``config.yaml`` and
   with no ``config.yaml`` (<= 1.10);
3. delivery: from a run's exit to its ``cli.command_completed`` at the ingest server, p95 (<= 2 s);
4. the onedir binary's ``archon version`` against the wheel's console script, in the same home (<= 1.10).

Medians, their ratios, and the median of the paired differences are printed; nothing is asserted. Linux only (it
reads ``/proc`` to find flushers). Nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.delivery import latency
from benchmarks.exit_time import against_floor, blackholed, on_vs_off
from benchmarks.keyed_archon import KeyedArchon, describe_machine, percentile, ratio_row
from tests.support.ingest import IngestServer, Mode

ON_OFF_TARGET = 1.03
FLOOR_TARGET = 1.10
BINARY_TARGET = 1.10
DELIVERY_P95_TARGET = 2.0

_HOG = "import os, sys\nos.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True:\n    pass\n"


@contextmanager
def cpu_hog(enabled: bool) -> Iterator[str]:
    """A busy loop on the last CPU for the duration (the machine's "other core" is busy); its description."""
    if not enabled:
        yield "no"
        return
    cpu = max(os.sched_getaffinity(0))
    hog = subprocess.Popen([sys.executable, "-c", _HOG, str(cpu)])
    try:
        yield f"yes: a busy loop pinned to CPU {cpu}"
    finally:
        hog.kill()
        hog.wait()


def binary_vs_wheel(keyed: KeyedArchon, executable: Path, runs: int) -> tuple[list[float], list[float]]:
    """``archon version`` of the wheel's console script and of the binary, ABBA, in the same home (telemetry off)."""
    wheel = [str(keyed.installed.archon), "version"]
    binary = [str(executable), "version"]
    for argv in (wheel, binary, wheel, binary):  # warm-up: page cache, bytecode
        keyed.time_command(argv)
    samples: dict[str, list[float]] = {"wheel": [], "binary": []}
    for index in range(runs):
        order = ("wheel", "binary") if index % 2 == 0 else ("binary", "wheel")
        for name in order:
            samples[name].append(keyed.time_command(wheel if name == "wheel" else binary))
    return samples["wheel"], samples["binary"]


def build_binary(host: str, work: Path) -> Path:
    from tests.support.binary import build_frozen_archon
    from tests.support.delivery import TEST_KEY

    print("# building the onedir binary (scripts/build-binaries.sh) ...", file=sys.stderr, flush=True)
    return build_frozen_archon(work, key=TEST_KEY, host=host).executable


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=30, help="side-by-side pairs (or rounds) per comparison")
    parser.add_argument("--delivery-runs", type=int, default=20)
    parser.add_argument("--busy", action="store_true", help="keep one CPU busy for the whole run")
    parser.add_argument("--no-binary", action="store_true", help="skip building and timing the binary")
    parser.add_argument("--binary", type=Path, help="an onedir binary already built from this tree with TEST_KEY")
    args = parser.parse_args(argv)

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="archon-issue20-"))
    server = IngestServer(hang_seconds=120.0).start()
    keyed = KeyedArchon.build(server.url, root=work / "wheel")
    executable = args.binary
    if executable is None and not args.no_binary:
        executable = build_binary(server.url, work / "binary")
    machine_before = describe_machine()
    rows: list[str] = []
    try:
        with cpu_hog(args.busy) as busy:
            rows = measure(keyed, server, executable, args)
    finally:
        server.stop()
        keyed.remove()
        shutil.rmtree(work, ignore_errors=True)

    print(f"# machine: {machine_before} (before); {describe_machine()} (after)")
    print(f"# python {sys.version.split()[0]}; busy CPU: {busy}; {args.runs} runs per comparison")
    print(f"# took {time.monotonic() - started:.0f} s\n")
    print("| comparison | baseline median (ms) | measured median (ms) | paired difference (ms) | ratio | target | |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    return 0


def measure(keyed: KeyedArchon, server: IngestServer, executable: Path | None, args: argparse.Namespace) -> list[str]:
    """Every comparison, in an order that needs the ingest server only until the blackholed one, which is last."""
    rows: list[str] = []
    for _ in range(2):  # warm-up: bytecode, page cache, the prepared events
        keyed.run("home-off", "version")
        keyed.run("home-on", "version")
    keyed.wait_gone()
    server.reset("ok")
    off, on = on_vs_off(keyed, args.runs)
    rows.append(ratio_row("telemetry on vs off, ingest answers 200", off, on, ON_OFF_TARGET))
    off, on = on_vs_off(keyed, args.runs, alone=True)
    lone = ratio_row("(for information) the same, every run alone: no flusher lingering", off, on, ON_OFF_TARGET)
    failing: tuple[tuple[Mode, str], ...] = (("unavailable", "answers 503"), ("hang", "never answers"))
    for mode, label in failing:
        keyed.wait_gone()
        server.reset(mode)
        off, on = on_vs_off(keyed, args.runs)
        rows.append(ratio_row(f"telemetry on vs off, ingest {label}", off, on, ON_OFF_TARGET))
    keyed.wait_gone()
    server.reset("ok")
    floor, with_config, without_config = against_floor(keyed, args.runs)
    rows.append(ratio_row("`archon version` vs `import typer`, config.yaml off", floor, with_config, FLOOR_TARGET))
    rows.append(ratio_row("`archon version` vs `import typer`, no config.yaml", floor, without_config, FLOOR_TARGET))
    if executable is not None:
        wheel, binary = binary_vs_wheel(keyed, executable, args.runs)
        rows.append(ratio_row("onedir binary vs wheel, `archon version`", wheel, binary, BINARY_TARGET))
    keyed.wait_gone()
    samples = latency(keyed, server, args.delivery_runs)
    p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
    verdict = "met" if p95 <= DELIVERY_P95_TARGET else "MISSED"
    cells = [
        f"delivery, run exit to arrival, p50 / p95 ({len(samples)} runs)",
        "",
        f"{p50 * 1e3:.0f} / {p95 * 1e3:.0f}",
    ]
    rows.append("| " + " | ".join([*cells, "", "", "p95 <= 2000 ms", verdict]) + " |")
    keyed.wait_gone()
    server.stop()  # the same port, now swallowing connections: what a firewalled host does
    off, on = blackholed(keyed, server.port, args.runs)
    rows.append(ratio_row("telemetry on vs off, ingest blackholed", off, on, ON_OFF_TARGET))
    rows.append(lone)
    return rows


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

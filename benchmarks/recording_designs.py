"""Two designs of the recording path side by side: telemetry on vs off of this tree's keyed wheel and of another
checkout's, in one interleaved run.

Issue 20 compared (a) handing the run's facts to a detached process, which builds, filters, stores and sends, with
(b) a prepared append and (c) a lingering flusher (docs/performance.md, "Recording"). (a) is kept, measured and not
taken, on the branch ``speed-option-a``:

    git worktree add /tmp/option-a speed-option-a
    python -m benchmarks.recording_designs --other /tmp/option-a --runs 40

Each round runs ``archon version`` in both homes of both builds (the designs alternating first, on and off ABBA),
each run after the flushers of both builds have gone quiet, timed with ``wait4``. Prints, per build, the medians of
wall and CPU time (user + system of the command's own process), their on/off ratios and the median of the paired
differences. Nothing is asserted; nothing leaves loopback. Linux only.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.keyed_archon import KeyedArchon, describe_machine, time_process
from tests.support.ingest import IngestServer

HOMES = ("home-off", "home-on")


def measure(builds: dict[str, KeyedArchon], runs: int) -> dict[tuple[str, str], list[tuple[float, float]]]:
    def once(keyed: KeyedArchon, home: str) -> tuple[float, float]:
        for each in builds.values():
            each.wait_quiet()
        return time_process([str(keyed.installed.archon), "version"], env=keyed.env(home), cwd=keyed.root / "work")

    for keyed in builds.values():  # warm-up: page cache, bytecode, the prepared events
        for _ in range(2):
            for home in HOMES:
                once(keyed, home)
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {(n, h): [] for n in builds for h in HOMES}
    for index in range(runs):
        names = list(builds) if index % 2 == 0 else list(reversed(builds))
        for name in names:
            for home in HOMES if index % 4 < 2 else tuple(reversed(HOMES)):
                samples[(name, home)].append(once(builds[name], home))
    return samples


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--other", type=Path, required=True, help="another checkout of archon (e.g. speed-option-a)")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="archon-designs-"))
    server = IngestServer().start()
    builds: dict[str, KeyedArchon] = {}
    try:
        server.reset("ok")
        builds["this tree"] = KeyedArchon.build(server.url, root=work / "this")
        builds[str(args.other)] = KeyedArchon.build(server.url, root=work / "other", source=args.other.resolve())
        samples = measure(builds, args.runs)
    finally:
        for keyed in builds.values():
            keyed.remove()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"# {describe_machine()}; {args.runs} runs per home; `archon version`")
    head = ["build", "off wall (ms)", "on wall (ms)", "ratio", "paired difference (ms)", "off CPU (ms)", "on CPU (ms)"]
    print("| " + " | ".join([*head, "ratio"]) + " |")
    print("|---|---|---|---|---|---|---|---|")
    for name in builds:
        off, on = samples[(name, "home-off")], samples[(name, "home-on")]
        wall = [statistics.median(run[0] for run in side) * 1e3 for side in (off, on)]
        cpu = [statistics.median(run[1] for run in side) * 1e3 for side in (off, on)]
        paired = statistics.median((b[0] - a[0]) * 1e3 for a, b in zip(off, on, strict=True))
        cells = [f"{wall[0]:.1f}", f"{wall[1]:.1f}", f"{wall[1] / wall[0]:.3f}", f"{paired:+.1f}"]
        cells += [f"{cpu[0]:.1f}", f"{cpu[1]:.1f}", f"{cpu[1] / cpu[0]:.3f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

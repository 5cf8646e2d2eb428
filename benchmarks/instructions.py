"""The same comparisons as ``benchmarks.issue20``, counted in instructions (valgrind's callgrind), which no load on
the machine changes: a check that does not depend on having a quiet machine.

Each command runs once under ``valgrind --tool=callgrind`` (after a warm-up run outside it), with
``PYTHONHASHSEED=0``; the count is every instruction the process ran in user space, the dynamic loader's and the
interpreter's included, and not the kernel's (system calls, page faults), which wall time also pays. So a ratio here
says how much more work a command does, not how much longer it takes; docs/performance.md puts the two side by side.

    python -m benchmarks.instructions                 # the keyed wheel of this tree
    python -m benchmarks.instructions --binary PATH   # and the onedir binary built from it with the same key

Linux with valgrind installed. Slow (each run ~50 times longer than without valgrind); nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from archon.filelock import FileLock
from archon.paths import ArchonPaths
from benchmarks.keyed_archon import KeyedArchon

_COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(argv: list[str], env: dict[str, str], cwd: Path, *, follow_exec: bool = False) -> int:
    """User-space instructions of one run of ``argv``: the last image's count when it re-executes itself."""
    subprocess.run(argv, env=env, cwd=cwd, capture_output=True, check=True, timeout=600)  # warm: bytecode, caches
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            f"--trace-children={'yes' if follow_exec else 'no'}",
            *argv,
        ],
        env={**env, "PYTHONHASHSEED": "0"},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    counts = _COLLECTED.findall(done.stderr)
    if not counts:
        raise RuntimeError(f"no count from valgrind:\n{done.stderr[-2000:]}")
    return int(counts[-1])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--binary", type=Path, help="an onedir binary built from this tree with the test key")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 2

    keyed = KeyedArchon.build("http://127.0.0.1:9")  # the counts never depend on the server: nothing is awaited
    try:
        rows = _measure(keyed, args.binary)
    finally:
        keyed.remove()
    print("| comparison | baseline (M instructions) | measured (M instructions) | ratio |")
    print("|---|---|---|---|")
    for name, baseline, measured in rows:
        print(f"| {name} | {baseline / 1e6:.1f} | {measured / 1e6:.1f} | {measured / baseline:.3f} |")
    return 0


def _measure(keyed: KeyedArchon, binary: Path | None) -> list[tuple[str, int, int]]:
    archon = [str(keyed.installed.archon), "version"]
    cwd = keyed.root / "work"
    for _ in range(2):  # the prepared events, the config cache
        keyed.run("home-on", "version")
    keyed.wait_gone()
    jobs = {
        "floor": ([str(keyed.installed.python), "-c", "import typer"], keyed.env("home-off"), False),
        "off": (archon, keyed.env("home-off"), False),
        "none": (archon, keyed.env("home-none"), False),
        "on": (archon, keyed.env("home-on"), False),
    }
    if binary is not None:
        jobs["binary"] = ([str(binary), "version"], keyed.env("home-off"), True)
    with ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2))) as pool:
        lingering = FileLock(ArchonPaths(keyed.home("home-on")).flush_lock)
        lingering.acquire()  # as a flusher waiting for the next command's events holds it
        try:
            futures = {
                name: pool.submit(instructions, argv, env, cwd, follow_exec=follow)
                for name, (argv, env, follow) in jobs.items()
            }
            counts = {name: future.result() for name, future in futures.items()}
        finally:
            lingering.release()
        alone = instructions(archon, keyed.env("home-on"), cwd)  # no flusher running: this run starts one
    rows = [
        ("telemetry on vs off (a flusher lingering)", counts["off"], counts["on"]),
        ("telemetry on vs off (none lingering: this run starts one)", counts["off"], alone),
        ("`archon version` vs `import typer`, config.yaml off", counts["floor"], counts["off"]),
        ("`archon version` vs `import typer`, no config.yaml", counts["floor"], counts["none"]),
    ]
    if binary is not None:
        rows.append(("onedir binary vs wheel, `archon version`", counts["off"], counts["binary"]))
    return rows


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

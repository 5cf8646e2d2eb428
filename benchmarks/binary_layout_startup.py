"""Startup of `archon version`: onedir binary vs onefile binary vs ``python -m archon``, side by side.

Each round runs every command once, in a rotating order (interleaved, so load on the machine hits all of them
alike); the report gives each command's median wall time and CPU time (user + system, which the machine's load
hardly changes) and their ratios to the first command (the baseline). Run it outside the checkout (or with -P)
so ``python -m archon`` imports the installed archon, and with DO_NOT_TRACK=1 and a scratch ARCHON_HOME.

    python -m benchmarks.binary_layout_startup --rounds 40 python="venv/bin/python -P -m archon version" \
        onedir="dist/archon-linux-x86_64/archon version" onefile="/tmp/onefile/archon version"

Build the two layouts with ``pyinstaller ... build_tools/archon.spec -- --onedir`` / ``-- --onefile``
(see docs/release.md). Prints one line per command; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
from pathlib import Path

from benchmarks.keyed_archon import time_process


def _time_once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run, waited for with ``wait4`` (see :func:`benchmarks.keyed_archon.time_process`:
    ``subprocess.run(timeout=...)`` polls, which rounds wall times up by up to 50 ms)."""
    return time_process(argv, env=os.environ, cwd=Path.cwd())


def measure(commands: dict[str, list[str]], *, rounds: int, warmup: int = 2) -> dict[str, list[tuple[float, float]]]:
    names = list(commands)
    for _ in range(warmup):
        for name in names:
            _time_once(commands[name])
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(_time_once(commands[name]))
    return samples


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("commands", nargs="+", metavar="NAME=COMMAND", help="the first one is the baseline")
    args = parser.parse_args(argv)
    commands = {}
    for item in args.commands:
        name, _, command = item.partition("=")
        commands[name] = shlex.split(command)
    samples = measure(commands, rounds=args.rounds)
    first = samples[next(iter(commands))]
    wall_base = statistics.median(wall for wall, _ in first)
    cpu_base = statistics.median(cpu for _, cpu in first) or 1.0
    for name, values in samples.items():
        walls = [wall for wall, _ in values]
        wall = statistics.median(walls)
        cpu = statistics.median(cpu for _, cpu in values)
        print(
            f"{name:>14}: wall median {wall * 1000:6.0f} ms (min {min(walls) * 1000:4.0f}, "
            f"max {max(walls) * 1000:5.0f}) ratio {wall / wall_base:.2f}x | "
            f"cpu median {cpu * 1000:5.0f} ms ratio {cpu / cpu_base:.2f}x | n={len(values)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

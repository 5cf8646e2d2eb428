"""Startup of `archon version`: onedir binary vs onefile binary vs ``python -m archon``, side by side.

Each round runs every command once, in a rotating order (interleaved, so load on the machine hits all of them
alike); the report gives each command's median wall time and CPU time (user + system, which the machine's load
hardly changes) and their ratios to the first command (the baseline). Run it outside the checkout (or with -P)
so ``python -m archon`` imports the installed archon, and with DO_NOT_TRACK=1 and a scratch ARCHON_HOME.

    python benchmarks/binary_layout_startup.py --rounds 40 python="venv/bin/python -P -m archon version" \
        onedir="dist/archon-linux-x86_64/archon version" onefile="/tmp/onefile/archon version"

Build the two layouts with ``pyinstaller ... build_tools/archon.spec -- --onedir`` / ``-- --onefile``
(see docs/release.md). Prints one line per command; nothing is asserted.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import time


def _children_cpu() -> float:
    """CPU seconds (user + system) used by finished children so far; 0 where the platform cannot say."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time_once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run. CPU time hardly moves with the machine's load; wall time does."""
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    return time.perf_counter() - start, _children_cpu() - cpu


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

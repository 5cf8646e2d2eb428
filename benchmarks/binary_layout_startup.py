"""Startup of `archon version`: onedir binary vs onefile binary vs ``python -m archon``, side by side.

Each round runs every command once, in a rotating order (interleaved, so load on the machine hits all of them
alike); the report gives each command's median wall time and its ratio to the first command (the baseline).

    python -m benchmarks.binary_layout_startup --rounds 30 \
        python="python -m archon version" onedir="dist/archon/archon version" onefile="/tmp/x/archon version"

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


def _time_once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    return time.perf_counter() - start


def measure(commands: dict[str, list[str]], *, rounds: int, warmup: int = 2) -> dict[str, list[float]]:
    names = list(commands)
    for _ in range(warmup):
        for name in names:
            _time_once(commands[name])
    samples: dict[str, list[float]] = {name: [] for name in names}
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
    baseline = statistics.median(samples[next(iter(commands))])
    for name, values in samples.items():
        median = statistics.median(values)
        print(
            f"{name:>10}: median {median * 1000:7.1f} ms  (min {min(values) * 1000:7.1f} ms, "
            f"max {max(values) * 1000:7.1f} ms, n={len(values)})  ratio {median / baseline:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

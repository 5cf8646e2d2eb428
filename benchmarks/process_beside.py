"""What starting a process beside a command costs that command, whatever the process does: a stand-in command
(a Python process that loads what a small CLI loads, then exits) that starts nothing, or starts one process the
way archon starts its flusher (``posix_spawn`` in a new session, moved to the idle CPU class at once), in one
interleaved run.

    python -m benchmarks.process_beside --runs 40 [--busy]

The child is ``/bin/true`` (exits at once), a Python start-up that then spins in the idle class (what a flusher's
start looks like to the CPU), or that same Python behind a gate: ``/bin/sh`` waiting for the command's end (a pipe
only the command holds) before it runs it (``exec``), so that nothing of the child but a shell waiting on ``read``
runs while the command is still exiting. Wall time and the command's own CPU time (user + system, from ``wait4``);
medians and the median of the paired differences to "none". Nothing is asserted. Linux only (the idle class).
docs/performance.md, "Measured again with 60 pairs", quotes it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from benchmarks.issue20 import cpu_hog
from benchmarks.keyed_archon import describe_machine, paired, rotated, time_process

MODES = ("none", "true", "python", "python-gated")

_COMMAND = r"""
import os, sys, json, argparse, subprocess, datetime, pathlib, typing, dataclasses
mode = sys.argv[1]
if mode != "none":
    child = ["/bin/true"] if mode == "true" else [
        sys.executable, "-c", "import os; os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0)); sum(range(10**7))"
    ]
    actions = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    if mode == "python-gated":
        read_end, write_end = os.pipe()  # held until this process ends
        actions[0] = (os.POSIX_SPAWN_DUP2, read_end, 0)
        child = ["/bin/sh", "-c", 'read -r _; exec "$@" </dev/null', "gate", *child]
    pid = os.posix_spawn(child[0], child, dict(os.environ), file_actions=actions, setsid=True)
    try:
        os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
    except OSError:
        pass
"""


def once(mode: str) -> tuple[float, float]:
    """Wall and CPU seconds of the stand-in command starting ``mode``'s child."""
    return time_process([sys.executable, "-c", _COMMAND, mode], env=os.environ, cwd=Path.cwd())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=40, help="rounds (each runs every mode once, rotated)")
    parser.add_argument("--busy", action="store_true", help="keep one CPU busy for the whole run")
    args = parser.parse_args(argv)
    wall: dict[str, list[float]] = {mode: [] for mode in MODES}
    cpu: dict[str, list[float]] = {mode: [] for mode in MODES}
    with cpu_hog(args.busy) as busy:
        for mode in MODES:  # warm-up: page cache, bytecode
            once(mode)
        for mode in rotated(MODES, args.runs):
            time.sleep(0.4)  # the child of the run before has ended (it spins ~0.2 s)
            seconds, used = once(mode)
            wall[mode].append(seconds)
            cpu[mode].append(used)
    print(f"# {describe_machine()}; busy CPU: {busy}; {args.runs} rounds")
    print("| child started | wall median (ms) | vs none | paired difference (ms) | command's CPU median (ms) |")
    print("|---|---|---|---|---|")
    for mode in MODES:
        median, ratio, difference = paired(wall["none"], wall[mode])
        print(f"| {mode} | {median:.1f} | {ratio:.3f} | {difference:+.1f} | {statistics.median(cpu[mode]) * 1e3:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

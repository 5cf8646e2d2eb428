"""What a flusher running beside a command costs it: ``archon version`` with telemetry off, and on with a flusher
lingering, with that flusher stopped (``SIGSTOP``) for the length of the command, and with none (the command starts
one), in one interleaved run.

    python -m benchmarks.flusher_beside --runs 30

The on-runs differ only in what the flusher does meanwhile: the command's own work is the same (it appends its
events; with a flusher holding the lock it starts none). So "stopped" vs "off" is the command's own cost, and
"lingering" vs "stopped" what the flusher beside it costs (docs/performance.md, "Why on vs off still misses 1.03").
Each on-run with a flusher lingering is prepared by one on-run before it (the primer), whose events are sent before
the measured run starts. Medians and the median of the differences to the "off" run of the same round are
printed; nothing is asserted. Linux only (``/proc``, ``SIGSTOP``); nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from benchmarks.keyed_archon import KeyedArchon, describe_machine, paired, rotated
from tests.support.ingest import IngestServer

KINDS = ("off", "lingering", "stopped", "alone")


def once(keyed: KeyedArchon, kind: str) -> float:
    if kind == "off":
        keyed.wait_quiet()
        return keyed.run("home-off", "version")
    keyed.wait_gone()
    if kind == "alone":
        return keyed.run("home-on", "version")
    keyed.run("home-on", "version")  # the primer: its flusher lingers for the measured run
    keyed.wait_quiet()
    flushers = keyed.flushers()
    if kind == "stopped":
        for pid in flushers:
            os.kill(pid, signal.SIGSTOP)
    try:
        return keyed.run("home-on", "version")
    finally:
        if kind == "stopped":
            for pid in flushers:
                os.kill(pid, signal.SIGCONT)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=30, help="rounds (each runs every kind once, rotated)")
    args = parser.parse_args(argv)
    server = IngestServer().start()
    keyed = KeyedArchon.build(server.url)
    samples: dict[str, list[float]] = {kind: [] for kind in KINDS}
    try:
        for _ in range(2):  # warm-up: page cache, bytecode, the prepared events
            keyed.run("home-on", "version")
            keyed.run("home-off", "version")
        for kind in rotated(KINDS, args.runs):
            samples[kind].append(once(keyed, kind))
    finally:
        keyed.remove()
        server.stop()
    print(f"# {describe_machine()}; {args.runs} rounds; `archon version`, ingest answers 200")
    print("| run | median (ms) | vs off | median of the differences to off (ms) |")
    print("|---|---|---|---|")
    for kind in KINDS:
        median, ratio, difference = paired(samples["off"], samples[kind])
        print(f"| {kind} | {median:.1f} | {ratio:.3f} | {difference:+.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

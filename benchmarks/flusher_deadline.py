"""Does the flusher's hard time limit hold when every CPU is busy? Linux only (reads ``/proc``, uses the idle
scheduling class).

``--hogs`` busy loops (nice 0) saturate the CPUs. They and the measured process share one scheduling group
(same session, no ``setsid``): what a machine without autogroup sees (servers, containers, CI, a desktop whose
systemd slices have the cpu controller), and the worst case for a low-priority process. With autogroup, a
detached flusher in its own session competes as a group of its own and is not starved at all.

1. Mechanisms, with a stand-in process that only burns CPU (as the flusher does while importing and preparing a
   batch): priority (``idle`` = ``SCHED_IDLE``, ``nice19``) x limit (``timer``: a ``threading.Timer`` calling
   ``os._exit``; ``alarm``: ``setitimer(ITIMER_REAL)`` with ``SIGALRM`` left at its default action, kill). For
   each: how long after its 1 s limit the process was gone (its parent's ``waitpid``), and the latest moment its
   own Python code still ran, relative to the limit.
2. The real flusher (``python -P -m archon __archon-telemetry-flush__`` of a keyed wheel built from this tree)
   against an ingest server that accepts and never answers, 100 events queued: when it ended, how, and whether
   every event is still there; then, with the CPUs free and the server answering, one more flusher must deliver
   all 100, each exactly once.

    python -m benchmarks.flusher_deadline --hogs 4 --runs 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from archon.paths import ArchonPaths
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.upload.process import FLUSH_ARGUMENT
from benchmarks.keyed_archon import KeyedArchon, describe_machine
from tests.support.delivery import make_event
from tests.support.ingest import IngestServer

STAND_IN = """
import os, signal, struct, sys, threading, time
policy, limit, seconds, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
if limit == "alarm":
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, seconds)
start = time.monotonic()
if policy == "idle":
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
else:
    os.setpriority(os.PRIO_PROCESS, 0, 19)
if limit == "timer":
    threading.Timer(seconds, os._exit, args=(3,)).start()
os.pwrite(fd, struct.pack("dd", start, start), 0)
n = 0
while True:
    n += 1
    if n % 500 == 0:
        os.pwrite(fd, struct.pack("d", time.monotonic()), 8)
"""
FLUSHER_EVENTS = 100
GIVE_UP_SECONDS = 120.0


def start_hogs(count: int) -> list[subprocess.Popen[bytes]]:
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    time.sleep(0.5)
    return hogs


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.kill()
    for process in processes:
        process.wait()


def how_it_ended(status: int | None) -> str:
    if status is None:
        return f"still running after {GIVE_UP_SECONDS:.0f} s (killed)"
    return f"signal {-status}" if status < 0 else f"exit {status}"


def mechanism(policy: str, limit: str, runs: int, scratch: Path) -> tuple[list[float], list[float], Counter[str]]:
    gone_after, ran_after, endings = [], [], Counter[str]()
    out = scratch / "stand-in"
    for _ in range(runs):
        process = subprocess.Popen([sys.executable, "-c", STAND_IN, policy, limit, "1.0", str(out)])
        status = process.wait()
        gone = time.monotonic()
        start, last = struct.unpack("dd", out.read_bytes()[:16])
        gone_after.append(gone - (start + 1.0))
        ran_after.append(last - (start + 1.0))
        endings[how_it_ended(status)] += 1
    return gone_after, ran_after, endings


def real_flusher(keyed: KeyedArchon, server: IngestServer) -> dict[str, object]:
    paths = ArchonPaths(keyed.home("home-on"))
    outbox = Outbox(paths)
    outbox.clear()
    uuids = set()
    for _ in range(FLUSHER_EVENTS):
        event = make_event()
        outbox.append(event)
        uuids.add(event["uuid"])
    server.reset("hang")
    start = time.monotonic()
    process = subprocess.Popen(
        [str(keyed.installed.python), "-P", "-m", "archon", FLUSH_ARGUMENT],
        env=keyed.env("home-on"),
        cwd=keyed.root / "work",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        status: int | None = process.wait(timeout=GIVE_UP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        status = None
    ended = time.monotonic() - start
    requests = server.snapshot()
    kept = {e["uuid"] for e in outbox.pending()}
    return {
        "ended after (s)": round(ended, 2),
        "how": how_it_ended(status),
        "requests made": len(requests),
        "last request at (s)": round(max(r.at for r in requests) - start, 2) if requests else "-",
        "events kept": f"{len(kept & uuids)} of {FLUSHER_EVENTS}",
    }


def recovery(keyed: KeyedArchon, server: IngestServer) -> str:
    """No hogs, the server answering: one flusher must deliver every kept event exactly once."""
    paths = ArchonPaths(keyed.home("home-on"))
    waiting = {e["uuid"] for e in Outbox(paths).pending()}
    state = paths.telemetry_state
    state.unlink(missing_ok=True)  # no backoff left over from the hung runs: this run should send at once
    server.reset("ok")
    subprocess.run(
        [str(keyed.installed.python), "-P", "-m", "archon", FLUSH_ARGUMENT],
        env=keyed.env("home-on"),
        cwd=keyed.root / "work",
        check=True,
        timeout=60,
    )
    arrived = Counter(e["uuid"] for e in server.events())
    once = all(count == 1 for count in arrived.values())
    return f"{len(set(arrived) & waiting)} of {len(waiting)} delivered, {'each once' if once else 'DUPLICATES'}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hogs", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--flusher-runs", type=int, default=2)
    args = parser.parse_args(argv)

    print(f"# machine: {describe_machine()}; python {sys.version.split()[0]}; {args.hogs} busy loops\n")
    scratch = Path(tempfile.mkdtemp(prefix="archon-deadline-"))
    print("| priority | limit | gone after the limit, median / max (ms) | own code ran after it, max (ms) | ended by |")
    print("|---|---|---|---|---|")
    hogs = start_hogs(args.hogs)
    try:
        for policy in ("idle", "nice19"):
            for limit in ("timer", "alarm"):
                gone, ran, endings = mechanism(policy, limit, args.runs, scratch)
                cells = [
                    policy,
                    limit,
                    f"{statistics.median(gone) * 1e3:.0f} / {max(gone) * 1e3:.0f}",
                    f"{max(ran) * 1e3:+.0f}",
                    ", ".join(f"{n}x {how}" for how, n in endings.items()),
                ]
                print("| " + " | ".join(cells) + " |", flush=True)
    finally:
        stop(hogs)

    server = IngestServer(hang_seconds=GIVE_UP_SECONDS).start()
    try:
        keyed = KeyedArchon.build(server.url)
        print()
        for _ in range(args.flusher_runs):
            keyed.wait_gone()
            hogs = start_hogs(args.hogs)
            try:
                print("real flusher, CPUs saturated, server never answers:", real_flusher(keyed, server), flush=True)
            finally:
                stop(hogs)
        keyed.wait_gone()
        print("then, CPUs free, server answering:", recovery(keyed, server))
        keyed.remove()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

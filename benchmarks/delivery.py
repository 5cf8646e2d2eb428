"""Delivery latency (command exit -> event at the ingest server) and drain throughput, with real processes.

Latency: ``archon version`` with telemetry on, ``--runs`` times; for each run, the time from the command's
exit (as its parent sees it) to the arrival of its ``cli.command_completed`` event at the loopback ingest
server (both clocks are this process's monotonic clock). Reports p50, p95 and max.

Drain: ``--rounds`` times, a full outbox (1000 events, the bound) is handed to one real flusher process
(``python -P -m archon __archon-telemetry-flush__``); reports events per second including the flusher's
start-up, and the number of requests (batches) it made.

    python -m benchmarks.delivery --runs 20 --rounds 10
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from archon.paths import ArchonPaths
from archon.telemetry.outbox.store import DEFAULT_MAX_EVENTS, Outbox
from archon.telemetry.upload.process import FLUSH_ARGUMENT
from benchmarks.keyed_archon import KeyedArchon, describe_machine, percentile
from tests.support.delivery import make_event
from tests.support.ingest import IngestServer

LATENCY_TARGET_P95 = 2.0


def latency(keyed: KeyedArchon, server: IngestServer, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        keyed.wait_gone()
        server.reset("ok")
        keyed.run("home-on", "version")
        exited = time.monotonic()
        deadline = exited + 30
        arrival = None
        while arrival is None and time.monotonic() < deadline:
            for request in server.snapshot():
                if any(event.get("event") == "cli.command_completed" for event in request.events):
                    arrival = request.at
            time.sleep(0.002)
        if arrival is None:
            raise RuntimeError("an event did not arrive within 30 s")
        samples.append(arrival - exited)
    return samples


def drain(keyed: KeyedArchon, server: IngestServer, rounds: int) -> tuple[float, int, list[float]]:
    paths = ArchonPaths(keyed.home("home-on"))
    total_time = 0.0
    requests = 0
    per_round = []
    for _ in range(rounds):
        keyed.wait_gone()
        outbox = Outbox(paths)
        outbox.clear()
        for _ in range(DEFAULT_MAX_EVENTS):
            outbox.append(make_event())
        server.reset("ok")
        start = time.perf_counter()
        subprocess.run(
            [str(keyed.installed.python), "-P", "-m", "archon", FLUSH_ARGUMENT],
            env=keyed.env("home-on"),
            cwd=keyed.root / "work",
            check=True,
            timeout=60,
        )
        elapsed = time.perf_counter() - start
        delivered = len(server.events())
        if delivered != DEFAULT_MAX_EVENTS or outbox.pending_count():
            raise RuntimeError(f"delivered {delivered} of {DEFAULT_MAX_EVENTS}")
        total_time += elapsed
        requests += len(server.snapshot())
        per_round.append(elapsed)
    return rounds * DEFAULT_MAX_EVENTS / total_time, requests, per_round


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)

    server = IngestServer().start()
    try:
        keyed = KeyedArchon.build(server.url)
        print(f"# machine: {describe_machine()}; python {sys.version.split()[0]}\n")
        keyed.run("home-on", "version")  # warm-up
        keyed.wait_gone()
        samples = latency(keyed, server, args.runs)
        rate, requests, per_round = drain(keyed, server, args.rounds)
        keyed.remove()
    finally:
        server.stop()

    p95 = percentile(samples, 0.95)
    print("| measure | value | target | |")
    print("|---|---|---|---|")
    print(f"| delivery latency p50 ({args.runs} runs) | {percentile(samples, 0.5) * 1000:.0f} ms | | |")
    verdict = "met" if p95 <= LATENCY_TARGET_P95 else "MISSED"
    print(f"| delivery latency p95 ({args.runs} runs) | {p95 * 1000:.0f} ms | <= 2000 ms | {verdict} |")
    print(f"| delivery latency max | {max(samples) * 1000:.0f} ms | | |")
    events = args.rounds * DEFAULT_MAX_EVENTS
    print(f"| drain: {events} events in {args.rounds} flusher runs of {DEFAULT_MAX_EVENTS} | {rate:.0f} events/s | | |")
    print(f"| drain: requests made | {requests} ({events / requests:.0f} events per request) | | |")
    print(f"| drain: one flusher run, median (start-up included) | {statistics.median(per_round) * 1000:.0f} ms | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

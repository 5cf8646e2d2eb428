"""Exit time of ``archon version`` with telemetry on vs off, and against the ``import typer`` floor.

For each state of the ingest host (answering 200, answering 503, accepting and never answering, blackholed)
the on and off runs are interleaved (ABBA), so machine load hits both alike; the table gives medians and the
on/off ratio. Before every run, any flusher from the previous one is left to go quiet (idle or gone), so it
never steals CPU from the next measurement. Then ``python -c "import typer"`` in the same venv against ``archon
version`` with telemetry off by ``config.yaml`` and with no ``config.yaml`` at all, rotated (the targets:
on/off <= 1.03, each against the floor <= 1.10; issue 20).

    python -m benchmarks.exit_time --runs 20
"""

from __future__ import annotations

import argparse
import statistics
import sys

from benchmarks.keyed_archon import Blackhole, KeyedArchon, describe_machine, ratio_row
from tests.support.ingest import IngestServer, Mode

ON_OFF_TARGET = 1.03
FLOOR_TARGET = 1.10


def on_vs_off(keyed: KeyedArchon, runs: int, *, alone: bool = False) -> tuple[list[float], list[float]]:
    """``archon version`` off and on, ABBA; before each run the flushers of earlier runs are left to go quiet (idle
    or gone), or with ``alone`` to end (so every on-run starts a flusher, none lingering from the run before)."""
    on: list[float] = []
    off: list[float] = []
    for index in range(runs):
        order = ("home-off", "home-on") if index % 2 == 0 else ("home-on", "home-off")
        for home in order:
            if alone:
                keyed.wait_gone()
            else:
                keyed.wait_quiet()
            (on if home == "home-on" else off).append(keyed.run(home, "version"))
    return off, on


def blackholed(keyed: KeyedArchon, port: int, runs: int) -> tuple[list[float], list[float]]:
    """:func:`on_vs_off` with ``port`` (the ingest server's, stopped) swallowing connections: a firewalled host."""
    hole = Blackhole(port)
    try:
        off, on = on_vs_off(keyed, runs)
        keyed.wait_gone()
    finally:
        hole.close()
    return off, on


def against_floor(keyed: KeyedArchon, runs: int) -> tuple[list[float], list[float], list[float]]:
    """The floor, ``archon version`` with telemetry off by config.yaml, and with no config.yaml at all, rotated."""
    floor_argv = [str(keyed.installed.python), "-c", "import typer"]
    samples: dict[str, list[float]] = {"floor": [], "home-off": [], "home-none": []}
    order = list(samples)
    for index in range(runs):
        for name in order[index % 3 :] + order[: index % 3]:
            if name == "floor":
                samples[name].append(keyed.time_command(floor_argv))
            else:
                samples[name].append(keyed.run(name, "version"))
    return samples["floor"], samples["home-off"], samples["home-none"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)

    rows = []
    server = IngestServer(hang_seconds=120.0).start()
    port = server.port
    keyed = KeyedArchon.build(server.url)
    print(f"# machine: {describe_machine()}; python {sys.version.split()[0]}; {args.runs} runs per cell\n")
    for _ in range(2):  # warm-up: pyc files, page cache
        keyed.run("home-off", "version")
        keyed.run("home-on", "version")
    keyed.wait_gone()
    modes: tuple[tuple[Mode, str], ...] = (
        ("ok", "ingest answers 200"),
        ("unavailable", "ingest answers 503"),
        ("hang", "ingest never answers"),
    )
    for mode, label in modes:
        server.reset(mode)
        off, on = on_vs_off(keyed, args.runs)
        rows.append(ratio_row(f"`archon version`, telemetry off vs on, {label}", off, on, ON_OFF_TARGET))
        keyed.wait_gone()
    server.stop()
    off, on = blackholed(keyed, port, args.runs)
    rows.append(ratio_row("`archon version`, telemetry off vs on, host blackholed", off, on, ON_OFF_TARGET))
    floor, with_config, without_config = against_floor(keyed, args.runs)
    keyed.remove()
    rows.append(
        ratio_row('`python -c "import typer"` vs `archon version`, config.yaml off', floor, with_config, FLOOR_TARGET)
    )
    rows.append(
        ratio_row('`python -c "import typer"` vs `archon version`, no config.yaml', floor, without_config, FLOOR_TARGET)
    )

    print("| comparison | baseline median (ms) | measured median (ms) | paired difference (ms) | ratio | target | |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    print(
        f"\n(medians of {args.runs} interleaved runs each; stdev of the floor: {statistics.stdev(floor) * 1000:.1f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

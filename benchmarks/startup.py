"""Start-up time of archon's commands against the floor ``python -c "import typer"``, side by side.

Each round runs every command once, in a rotating order (interleaved, so load on the machine hits all of them
alike), after a warm-up; the table gives each command's median wall time and CPU time (user + system, which the
machine's load changes much less) and their ratios to the floor of the same interpreter. Issue 12's target is
``archon version`` <= 1.10x the floor (issue 20).

Every run gets ``DO_NOT_TRACK=1``, a scratch ``ARCHON_HOME`` and a scratch working directory, and runs
``python -P -m archon`` so the installed (or editable) archon is imported, never a checkout in the working
directory; the venv's ``archon`` script (what users run, without ``runpy``), when there is one, is timed too.
``PYTHONDONTWRITEBYTECODE`` is removed from the children's environment so the warm-up compiles bytecode, as
``pip install`` does for a wheel (without it every run recompiles ~250 modules).

    python -m benchmarks.startup --rounds 20
    python -m benchmarks.startup --python now=venv/bin/python --python typer28=/tmp/t28/bin/python
    python -m benchmarks.startup --python before=venv/bin/python:/tmp/archon-before  # an older tree, see below

``LABEL=PYTHON:DIR`` puts ``DIR`` first on ``PYTHONPATH``, so a copy of an older archon (``git archive HEAD
archon | tar -x -C DIR``) runs with the same interpreter and libraries: before/after in one run. The last column
counts the modules each command imports (``-X importtime``). Nothing is asserted; what must never be imported is
pinned by ``tests/test_startup_imports.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from benchmarks.keyed_archon import time_process

FLOOR = "floor"
COMMANDS: dict[str, tuple[str, ...]] = {
    FLOOR: ("-c", "import typer"),
    "version": ("-P", "-m", "archon", "version"),
    "--help": ("-P", "-m", "archon", "--help"),
    "telemetry status": ("-P", "-m", "archon", "telemetry", "status"),
    "workflow list": ("-P", "-m", "archon", "workflow", "list"),
}
SCRIPT = "version, console script"
"""``archon version`` through the venv's ``archon`` script (what users run; no ``runpy``), when there is one."""
TARGET = 1.10


@dataclass(frozen=True)
class Interpreter:
    label: str
    python: str
    pythonpath: str | None = None

    @classmethod
    def parse(cls, text: str) -> Interpreter:
        label, _, rest = text.partition("=")
        if not rest:
            raise argparse.ArgumentTypeError(f"expected LABEL=PYTHON[:DIR], got {text!r}")
        python, _, pythonpath = rest.partition(":")
        return cls(label, python, pythonpath or None)

    @property
    def script(self) -> Path | None:
        script = Path(self.python).parent / "archon"
        return script if script.is_file() else None

    def argv(self, name: str) -> list[str]:
        if name == SCRIPT and self.script is not None:
            return [str(self.script), "version"]
        return [self.python, *COMMANDS[name]]

    def commands(self) -> list[str]:
        return [*COMMANDS, SCRIPT] if self.script is not None else list(COMMANDS)


def _environment(interpreter: Interpreter, home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ARCHON_", "PYTHON"))}
    env.update({"DO_NOT_TRACK": "1", "ARCHON_HOME": str(home), "PYTHONUNBUFFERED": "1"})
    if interpreter.pythonpath:
        env["PYTHONPATH"] = interpreter.pythonpath
    return env


def _module_count(argv: list[str], *, env: Mapping[str, str], cwd: Path) -> int:
    """How many modules the command imports (``-X importtime`` lines, the interpreter's own start-up included)."""
    done = subprocess.run(
        argv,
        check=True,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
        cwd=cwd,
        timeout=120,
    )
    return sum(1 for line in done.stderr.splitlines() if line.startswith("import time:") and "[us]" not in line)


def measure(interpreters: list[Interpreter], *, rounds: int, warmup: int, scratch: Path) -> str:
    cases = [(interpreter, name) for interpreter in interpreters for name in interpreter.commands()]
    setups = {}
    for interpreter in interpreters:
        home = scratch / interpreter.label / "home"
        cwd = scratch / interpreter.label / "cwd"
        cwd.mkdir(parents=True)
        setups[interpreter.label] = (_environment(interpreter, home), cwd)

    def run(case: tuple[Interpreter, str]) -> tuple[float, float]:
        interpreter, name = case
        env, cwd = setups[interpreter.label]
        return time_process(interpreter.argv(name), env=env, cwd=cwd)

    for _ in range(warmup):  # bytecode, page cache, the first-run notice's marker
        for case in cases:
            run(case)
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {(i.label, n): [] for i, n in cases}
    for index in range(rounds):
        shift = index % len(cases)
        for case in cases[shift:] + cases[:shift]:
            samples[(case[0].label, case[1])].append(run(case))

    lines = [
        f"# {platform.machine()}, {os.cpu_count()} CPUs, load {_load()}, python {platform.python_version()}, "
        f"{rounds} interleaved rounds after {warmup} warm-up",
        "",
        "| interpreter | command | wall median (ms) | wall / floor | CPU median (ms) | CPU / floor | modules |",
        "|---|---|---|---|---|---|---|",
    ]
    for interpreter in interpreters:
        env, cwd = setups[interpreter.label]
        floor_wall = statistics.median(w for w, _ in samples[(interpreter.label, FLOOR)])
        floor_cpu = statistics.median(c for _, c in samples[(interpreter.label, FLOOR)]) or 1.0
        for name in interpreter.commands():
            values = samples[(interpreter.label, name)]
            wall = statistics.median(w for w, _ in values)
            cpu = statistics.median(c for _, c in values)
            modules = _module_count(interpreter.argv(name), env=env, cwd=cwd)
            shown = {FLOOR: "`python -c 'import typer'`", SCRIPT: "`archon version` (venv/bin/archon)"}.get(
                name, f"`archon {name}`"
            )
            lines.append(
                f"| {interpreter.label} | {shown} | {wall * 1000:.0f} | {wall / floor_wall:.2f} | "
                f"{cpu * 1000:.0f} | {cpu / floor_cpu:.2f} | {modules} |"
            )
    return "\n".join(lines)


def _load() -> str:
    try:
        return " ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--python",
        dest="interpreters",
        type=Interpreter.parse,
        action="append",
        metavar="LABEL=PYTHON[:DIR]",
        help="an interpreter with archon installed (repeatable; default: this one)",
    )
    args = parser.parse_args(argv)
    interpreters = args.interpreters or [Interpreter("current", sys.executable)]
    with tempfile.TemporaryDirectory(prefix="archon-startup-") as scratch:
        print(measure(interpreters, rounds=args.rounds, warmup=args.warmup, scratch=Path(scratch)))
    print(f"\ntarget (issue 20): `archon version` <= {TARGET}x the floor")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""What the telemetry benchmarks share: a real archon wheel built with a test key and a loopback ingest host,
installed in a fresh venv, two archon homes (telemetry on / off), a way to time one command, and a way to tell
when the detached flushers have gone quiet. Linux (reads ``/proc``). Nothing here ever leaves loopback.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from archon.paths import ArchonPaths
from archon.telemetry.upload.process import FLUSH_ARGUMENT, LINGER_SETTLE_SECONDS
from tests.support.artefacts import InstalledArchon, build_wheel, install_wheel

__all__ = ["Blackhole", "KeyedArchon", "describe_machine", "paired", "percentile", "ratio_row", "rotated"]

TEST_KEY = "phc_archonBenchmarkKey0123456789abcdefghijklmnop"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p50 = median of odd samples, p95 of 20 = the 19th smallest)."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def paired(baseline: Sequence[float], other: Sequence[float]) -> tuple[float, float, float]:
    """``other`` against ``baseline``, both taken side by side: its median (ms), the ratio of the medians, and the
    median of the paired differences (ms; sample i of ``other`` minus sample i of ``baseline``)."""
    median = statistics.median(other)
    difference = statistics.median(b - a for a, b in zip(baseline, other, strict=True))
    return median * 1e3, median / statistics.median(baseline), difference * 1e3


def rotated(kinds: Sequence[str], rounds: int) -> Iterator[str]:
    """Every kind once per round, the order rotated by one each round, so none always runs first or after another."""
    for index in range(rounds):
        shift = index % len(kinds)
        yield from [*kinds[shift:], *kinds[:shift]]


def ratio_row(name: str, baseline: Sequence[float], other: Sequence[float], target: float) -> str:
    """A table row: both medians, their ratio against ``target``, and the median of the paired differences
    (sample i of ``other`` minus sample i of ``baseline``, taken side by side), which cancels slow drifts in load."""
    median, ratio, difference = paired(baseline, other)
    verdict = "met" if ratio <= target else "MISSED"
    base = f"{statistics.median(baseline) * 1e3:.1f}"
    cells = [name, base, f"{median:.1f}", f"{difference:+.1f}", f"{ratio:.3f}", f"<= {target}", verdict]
    return "| " + " | ".join(cells) + " |"


def time_process(argv: list[str], *, env: Mapping[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run.

    Waits with a blocking ``wait4``: ``subprocess.run(timeout=...)`` polls with sleeps of up to 50 ms, which
    rounds wall times up to the next poll. ``wait4`` also gives this child's own CPU time. Where there is no
    ``wait4`` (Windows), a blocking ``wait()`` and no CPU time.
    """
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(env), cwd=cwd)
    cpu = 0.0
    if hasattr(os, "wait4"):
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
    else:  # pragma: no cover - Windows
        process.wait()
        wall = time.perf_counter() - start
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, argv)
    return wall, cpu


def describe_machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return f"{cpu}, {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


class Blackhole:
    """A loopback port that swallows connection attempts: a listener that never accepts, its queue full, so
    the kernel drops every further SYN (what a firewalled host does), without any packet leaving loopback."""

    def __init__(self, port: int) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(0)
        self.fillers: list[socket.socket] = []
        for _ in range(4):
            filler = socket.socket()
            filler.settimeout(0.3)
            try:
                filler.connect(("127.0.0.1", port))
            except OSError:
                filler.close()
                break
            self.fillers.append(filler)

    def close(self) -> None:
        for filler in self.fillers:
            filler.close()
        self.listener.close()


@dataclass
class KeyedArchon:
    installed: InstalledArchon
    root: Path

    @classmethod
    def build(cls, host: str, root: Path | None = None, *, source: Path | None = None) -> KeyedArchon:
        """This tree's keyed wheel (or ``source``'s, another checkout), installed, with its three homes."""
        root = root or Path(tempfile.mkdtemp(prefix="archon-bench-"))
        wheel_dir = root / "wheel"
        result = build_wheel(
            wheel_dir,
            {"POSTHOG_PUBLIC_KEY": TEST_KEY, "POSTHOG_HOST": host, "VERSION": "v0.0.1", "GIT_COMMIT": "0000bec4"},
            **({} if source is None else {"source": source}),
        )
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        (wheel,) = wheel_dir.glob("*.whl")
        keyed = cls(install_wheel(wheel, root / "venv"), root)
        (root / "work").mkdir()
        for name, setting in (("home-on", "on"), ("home-off", "off")):
            keyed.run(name, "telemetry", setting)
        keyed.run("home-none", "version")  # no config.yaml at all: past the first-run notice, nothing else
        return keyed

    def home(self, name: str) -> Path:
        return self.root / name

    def env(self, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHON_", "POSTHOG_", "DO_NOT_TRACK"))}
        env.update(ARCHON_HOME=str(self.home(name)), HOME=str(self.root))
        return env

    def run(self, home: str, *args: str) -> float:
        """Run ``archon args`` with ``home``; the wall time until it exited (see :func:`time_process`)."""
        wall, _cpu = time_process([str(self.installed.archon), *args], env=self.env(home), cwd=self.root / "work")
        return wall

    def time_command(self, argv: Sequence[str]) -> float:
        wall, _cpu = time_process(list(argv), env=self.env("home-off"), cwd=self.root / "work")
        return wall

    def flushers(self) -> list[int]:
        """Running flushers of these homes (found by argv, and the absolute ``ARCHON_HOME`` archon gives them)."""
        found = []
        marker = f"ARCHON_HOME={self.root}".encode()
        for entry in Path("/proc").glob("[0-9]*"):
            try:
                if FLUSH_ARGUMENT.encode() not in (entry / "cmdline").read_bytes().split(b"\0"):
                    continue
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(variable.startswith(marker) for variable in environ):
                found.append(int(entry.name))
        return found

    def wait_quiet(self, timeout: float = 30.0) -> None:
        """Until no flusher runs, or every one is idle (blocked on the network, a backoff or its linger, using no
        CPU) and has sent what it was going to: with events waiting in an outbox, it must stay unchanged for longer
        than a lingering flusher waits before sending them (``LINGER_SETTLE_SECONDS`` and one poll). So one
        measurement's delivery does not eat the next measurement's CPU; commands run back to back, closer than that,
        may still share a CPU with the sending of the one before."""
        deadline = time.monotonic() + timeout
        outboxes = [ArchonPaths(self.home(name)).outbox for name in ("home-on", "home-off")]
        while time.monotonic() < deadline:
            before = {pid: _cpu_ticks(pid) for pid in self.flushers()}
            if not before:
                return
            listed = [_listing(outbox) for outbox in outboxes]
            time.sleep(LINGER_SETTLE_SECONDS + 0.15 if any(listed) else 0.15)
            after = {pid: _cpu_ticks(pid) for pid in before}
            if all(after[pid] == before[pid] for pid in before) and listed == [_listing(o) for o in outboxes]:
                return

    def remove(self) -> None:
        """Delete the venv and the homes, once every flusher they started has ended."""
        self.wait_gone()
        shutil.rmtree(self.root, ignore_errors=True)

    def wait_gone(self, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        while self.flushers() and time.monotonic() < deadline:
            time.sleep(0.05)


def _listing(directory: Path) -> list[str]:
    try:
        return sorted(entry.name for entry in os.scandir(directory))
    except OSError:
        return []


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return -1
    return int(fields[11]) + int(fields[12])

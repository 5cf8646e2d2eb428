"""What /proc says about a process (Linux): enough to tell which session and process group it is in, who its
parent is, and whether it is still alive (a zombie is not)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProcessInfo", "all_processes", "read_process"]

_PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    name: str
    """``comm``: the executable's name, truncated to 15 characters by the kernel."""
    state: str
    ppid: int
    pgrp: int
    sid: int
    argv: tuple[str, ...]

    @property
    def alive(self) -> bool:
        return self.state not in ("Z", "X")


def read_process(pid: int) -> ProcessInfo | None:
    """The process, or None once it is gone."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    name = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2 :].split()
    argv = tuple(part.decode("utf-8", "replace") for part in raw.split(b"\0")[:-1])
    return ProcessInfo(pid, name, fields[0], int(fields[1]), int(fields[2]), int(fields[3]), argv)


def all_processes() -> Iterator[ProcessInfo]:
    for entry in _PROC.iterdir():
        if entry.name.isdigit() and (info := read_process(int(entry.name))) is not None:
            yield info

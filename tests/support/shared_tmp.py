"""What the assistant CLIs leave in the machine's shared ``/tmp``: the entries they are known to make there, so a
test can say that a run (or a whole session) made none.

Only those names are looked at: other programs on the machine (other test runs, other users) come and go in
/tmp, and must neither fail a test nor hide what a CLI did. Seen on codex 0.171.0 and claude 2.1.332:

* codex's ``workspace-write`` sandbox makes ``/tmp`` (and ``$TMPDIR``) writable roots and creates empty
  mount points in each: ``.git``, ``.codex``, ``.agents``, ``.aws``, and ``codex-bwrap-synthetic-mount-targets-N/``;
  a codex killed mid-turn leaves them behind;
  (and in the working tree: ``.agents``, ``.codex``, ``.aws`` where missing);
* codex also makes ``/tmp/codex-daemon-UID/`` (0700, empty) whenever it runs a sandboxed command, whatever
  ``TMPDIR`` says, and keeps it (its app-server daemon's directory; its sandbox mounts it read-only): not
  counted here, nothing archon tells codex moves it;
* claude keeps its per-user state in ``$TMPDIR/claude-UID/<working directory, / as ->/`` and touches
  ``$TMPDIR/cc-socks``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["CODEX_DAEMON", "SHARED_TMP", "CliTraces", "claude_state_dir", "cli_traces", "mount_points"]

SHARED_TMP = Path("/tmp")

_KNOWN = re.compile(r"\.git|\.codex|\.agents|\.aws|codex-(?!daemon-).*|claude-.*|cc-socks")
CODEX_DAEMON = re.compile(r"codex-daemon-\d+")
_MOST = 200
"""Entries listed at most (a bounded answer, whatever /tmp holds)."""

CliTraces = frozenset[tuple[str, int]]
"""Known entries as (name, inode): an entry removed and made again is a new one."""


def cli_traces(directory: Path = SHARED_TMP) -> CliTraces:
    """The entries of ``directory`` that bear a name the CLIs are known to make there."""
    found: set[tuple[str, int]] = set()
    with os.scandir(directory) as entries:
        for entry in entries:
            if _KNOWN.fullmatch(entry.name):
                found.add((entry.name, entry.inode()))
                if len(found) >= _MOST:
                    break
    return frozenset(found)


def claude_state_dir(work: Path, directory: Path = SHARED_TMP) -> Path:
    """Where claude keeps its state for a session in ``work`` when ``directory`` is its TMPDIR."""
    return directory / f"claude-{os.getuid()}" / str(work).replace("/", "-")


def mount_points(pid: int) -> list[Path]:
    """The mount points process ``pid`` sees (``/proc/PID/mountinfo``): inside codex's sandbox, its writable roots
    and the read-only mount points it made in each. Seeing them does not depend on whether the directories were
    there before (another run's leftover ``/tmp/.git`` is used as it is)."""
    points: list[Path] = []
    with open(f"/proc/{pid}/mountinfo", encoding="utf-8") as mountinfo:
        for line in mountinfo:
            fields = line.split()
            if len(fields) > 4:
                points.append(Path(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])))
    return points

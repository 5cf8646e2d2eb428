"""The installed archon as the end-to-end tests drive it: a real executable (the keyed wheel's console script, or
the frozen binary) run in a clean environment with its own ARCHON_HOME and working directory, and what the
loopback ingest server received from it."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.processes import wait_for_no_flusher
from tests.support.ingest import IngestServer

__all__ = ["ARRIVAL_TIMEOUT", "QUIET_SECONDS", "WheelArchon"]

ARRIVAL_TIMEOUT = 30.0  # the original bar; the target is a few seconds
QUIET_SECONDS = 1.0  # after the flushers are gone, how long "nothing arrives" is watched (local files are checked too)


@dataclass
class WheelArchon:
    """An installed archon (the keyed wheel's console script, or the frozen binary), run in a clean environment with
    its own ARCHON_HOME and working directory."""

    executable: Path
    home: Path
    cwd: Path
    ingest: IngestServer

    def run(
        self, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        environment = dict(os.environ)  # the isolation fixture already removed every opt-out and build variable
        environment["ARCHON_HOME"] = str(self.home)
        environment.update(env or {})
        return subprocess.run(
            [str(self.executable), *args],
            env=environment,
            cwd=cwd or self.cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def identity(self) -> str | None:
        path = self.home / "telemetry-id"
        return path.read_text(encoding="ascii").strip() if path.exists() else None

    def opt_in(self) -> str:
        result = self.run("telemetry", "on")
        assert result.returncode == 0, result.stderr
        identity = self.identity()
        assert identity is not None
        return identity

    def received(self, distinct_id: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.ingest.events() if distinct_id is None or e.get("distinct_id") == distinct_id]

    def wait_for(self, distinct_id: str, count: int, *, timeout: float = ARRIVAL_TIMEOUT) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received(distinct_id)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received(distinct_id)

    def quiet(self) -> None:
        """Let any flusher finish, then watch a little longer: whatever was going to arrive has arrived."""
        wait_for_no_flusher(self.home, self.cwd, timeout=ARRIVAL_TIMEOUT)
        time.sleep(QUIET_SECONDS)

"""The installed archon as the delivery end-to-end tests drive it: :class:`~tests.e2e.harness.Cli` (a real
executable, the keyed wheel's console script or the frozen binary, in a clean environment with its own ARCHON_HOME
and working directory), plus what these tests ask of the events the loopback ingest server received."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tests.e2e.harness import Cli
from tests.e2e.processes import wait_for_no_flusher

__all__ = ["ARRIVAL_TIMEOUT", "QUIET_SECONDS", "WheelArchon"]

ARRIVAL_TIMEOUT = 30.0  # the original bar; the target is a few seconds
QUIET_SECONDS = 1.0  # after the flushers are gone, how long "nothing arrives" is watched (local files are checked too)


@dataclass
class WheelArchon(Cli):
    """An installed archon, with the events it sent."""

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

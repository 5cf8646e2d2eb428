"""An installed archon, driven from outside as a user (or an attacker) would: real processes, a real home, the
loopback ingest server. Nothing here imports archon: the tests that use it hold whatever the layout of the package.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.processes import wait_for_no_process_with_home
from tests.support.ingest import IngestServer

__all__ = ["PATIENCE", "Cli"]

PATIENCE = 40.0
"""Longer than the background sender's hard limit (20 s) plus its start-up: whatever it does ends before this."""

RUN_TIMEOUT = 60.0
"""No archon command may take this long; one that does has hung."""

# Set on a developer's machine, these would send the test's requests elsewhere; tests that want them set them.
_PROXY_VARIABLES = frozenset(
    name for base in ("http_proxy", "https_proxy", "all_proxy", "no_proxy") for name in (base, base.upper())
)


@dataclass
class Cli:
    """``executable`` run with ``ARCHON_HOME=home`` in ``cwd``, with the environment the isolation fixture left
    (no opt-out, no build variable, a private HOME) plus ``env``."""

    executable: Path
    home: Path
    cwd: Path
    ingest: IngestServer
    env: dict[str, str] = field(default_factory=dict)

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        environment = {k: v for k, v in os.environ.items() if k not in _PROXY_VARIABLES}
        environment["ARCHON_HOME"] = str(self.home)
        environment.update(self.env)
        environment.update(extra or {})
        return environment

    def run(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        prefix: Sequence[str] = (),
        cwd: Path | None = None,
        timeout: float = RUN_TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        """Run archon and wait for it; a run that outlasts ``timeout`` is killed and fails the test as a hang."""
        try:
            return subprocess.run(
                [*prefix, str(self.executable), *args],
                env=self.environment(env),
                cwd=cwd or self.cwd,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"`archon {' '.join(args)}` hung: still running after {timeout:.0f} s (killed)")

    def status(self, env: Mapping[str, str] | None = None) -> dict[str, Any]:
        result = self.run("telemetry", "status", "--json", env=env)
        assert result.returncode == 0, result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def status_text(self, env: Mapping[str, str] | None = None) -> str:
        result = self.run("telemetry", "status", env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def identity(self) -> str | None:
        """The anonymous id in ``telemetry-id`` (where docs/telemetry.md says it is), if there is one."""
        path = self.home / "telemetry-id"
        return path.read_text(encoding="ascii").strip() if path.exists() else None

    def opt_in(self) -> str:
        result = self.run("telemetry", "on")
        assert result.returncode == 0, result.stderr
        identity = self.identity()
        assert identity is not None
        return identity

    def accepted(self) -> list[dict[str, Any]]:
        return self.ingest.accepted_events()

    def wait_for_accepted(self, count: int, *, timeout: float = PATIENCE) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.accepted()) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.accepted()

    def wait_for_requests(self, count: int, *, timeout: float = PATIENCE) -> int:
        deadline = time.monotonic() + timeout
        while len(self.ingest.snapshot()) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(self.ingest.snapshot())

    def settle(self, *, timeout: float = PATIENCE) -> None:
        """Wait until no process of this home runs any more: the background sender, and anything it started."""
        left = wait_for_no_process_with_home(self.home, timeout=timeout)
        assert left == [], f"still running with ARCHON_HOME={self.home} after {timeout:.0f} s: {_describe(left)}"


def _describe(pids: Sequence[int]) -> list[str]:
    described = []
    for pid in pids:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            argv = "?"
        described.append(f"{pid}: {argv}")
    return described

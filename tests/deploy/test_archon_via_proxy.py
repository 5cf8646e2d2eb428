"""The real archon path through each proxy: a wheel whose embedded POSTHOG_HOST is the proxy's loopback address,
`archon telemetry on`, a command, and the detached flusher delivering the events through the proxy to the
loopback stand-in for PostHog."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from archon.paths import ArchonPaths
from archon.telemetry.outbox.sent_log import sent_events
from tests.conftest import TEST_KEY
from tests.deploy.proxies import RunningProxy, expected_upstream_host
from tests.deploy.request_headers import assert_anonymous
from tests.support.artefacts import REPO_ROOT, InstalledArchon
from tests.support.ingest import IngestServer

pytestmark = pytest.mark.slow

WIRE_FIELDS = ("event", "distinct_id", "uuid", "timestamp", "properties")


def archon(installed: InstalledArchon, *args: str, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the installed archon from inside this checkout, on purpose: the detached flusher it starts must still
    be the installed wheel, not the work tree's ``archon/`` package (which has no key and would send nothing).
    ``quiet`` sets DO_NOT_TRACK so the command records nothing and leaves no flusher behind."""
    result = subprocess.run(
        [str(installed.archon), *args],
        env={**os.environ, **({"DO_NOT_TRACK": "1"} if quiet else {})},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def wire(event: Any) -> dict[str, Any]:
    return {field: event[field] for field in WIRE_FIELDS}


def wait_for_events_of(upstream: IngestServer, distinct_id: str, count: int, *, timeout: float) -> list[dict[str, Any]]:
    """This test's own events (by anonymous id), once ``count`` arrived or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while True:
        mine = [event for event in upstream.events() if event.get("distinct_id") == distinct_id]
        if len(mine) >= count or time.monotonic() > deadline:
            return mine
        time.sleep(0.05)


def sent_history(home: Path, uuids: set[str], *, timeout: float) -> list[dict[str, Any]]:
    """What archon's flusher recorded as accepted, once it includes ``uuids`` (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        sent = [wire(event) for event in sent_events(ArchonPaths(home)) if event["uuid"] in uuids]
        if len(sent) == len(uuids) or time.monotonic() > deadline:
            return sent
        time.sleep(0.05)


def test_archon_events_arrive_through_the_proxy_intact_and_anonymous(
    proxy: RunningProxy, upstream: IngestServer, proxied_archon: InstalledArchon, isolation: Path
) -> None:
    archon(proxied_archon, "telemetry", "on")
    distinct_id = json.loads(archon(proxied_archon, "telemetry", "status", "--json", quiet=True).stdout)["anonymous_id"]
    archon(proxied_archon, "version")

    received = wait_for_events_of(upstream, distinct_id, 2, timeout=30)
    assert sorted(event["event"] for event in received) == ["cli.command_completed", "cli.command_invoked"]
    uuids = {event["uuid"] for event in received}
    assert len(uuids) == 2

    # What archon put on the wire is what arrived behind the proxy: same uuids, ids, times and properties.
    sent = sent_history(isolation, uuids, timeout=15)
    assert sorted(sent, key=lambda e: e["uuid"]) == sorted((wire(e) for e in received), key=lambda e: e["uuid"])
    # ...and what `archon telemetry inspect` shows the user.
    shown = json.loads(archon(proxied_archon, "telemetry", "inspect", quiet=True).stdout)["events"]
    assert sorted((wire(e) for e in shown), key=lambda e: e["uuid"]) == sorted(sent, key=lambda e: e["uuid"])

    requests = [r for r in upstream.snapshot() if any(e.get("distinct_id") == distinct_id for e in r.events)]
    assert requests
    for request in requests:
        assert (request.method, request.path) == ("POST", "/batch/")
        assert request.body["api_key"] == TEST_KEY
        assert request.headers["host"] == expected_upstream_host(proxy)  # it went through the proxy
        assert_anonymous(proxy.kind, request.headers, {})
    assert {event["properties"]["$ip"] for event in received} == {""}

"""The sender, against the loopback ingest server: exactly the stored events arrive, nothing added, and every
answer maps to accepted / retry / rejected. The posthog library is the real one; only the server is a stand-in."""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import Any

import pytest

from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.schema import allowed_properties
from archon.telemetry.upload.sender import Sender
from tests.support.delivery import keyed_build, make_event
from tests.support.ingest import IngestServer


@pytest.fixture
def hostile_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The posthog library's own variables, set the way a user's shell might have them."""
    monkeypatch.setenv("POSTHOG_RELEASE_ID", "release-from-the-environment")
    monkeypatch.setenv("POSTHOG_CAPTURE_MODE", "v1")
    monkeypatch.setenv("POSTHOG_CAPTURE_COMPRESSION", "gzip")


def _send(server: IngestServer, events: list[StoredEvent], *, timeout: float = 5.0) -> Any:
    sender = Sender(build=keyed_build(server.url))
    try:
        return sender.post(events, timeout=timeout)
    finally:
        sender.close()


@pytest.mark.usefixtures("hostile_env")
def test_exactly_the_stored_events_arrive(ingest: IngestServer) -> None:
    events = [make_event(exit_code=code) for code in range(3)]
    result = _send(ingest, events)

    assert result.outcome == "accepted"
    (request,) = ingest.snapshot()
    assert request.path == "/batch/"  # POSTHOG_CAPTURE_MODE=v1 changed nothing
    assert "content-encoding" not in request.headers  # nor did POSTHOG_CAPTURE_COMPRESSION
    received = request.events
    assert [e["uuid"] for e in received] == [e["uuid"] for e in events]
    for sent, stored in zip(received, events, strict=True):
        assert sent == stored  # nothing added by the library: no $lib, no $os, no $python_version
        assert frozenset(sent["properties"]) == allowed_properties(stored["event"])
        assert sent["properties"]["$geoip_disable"] is True
        assert sent["properties"]["$process_person_profile"] is False
        assert sent["properties"]["$ip"] == ""
        assert sent["distinct_id"] == stored["distinct_id"]
        assert sent["timestamp"] == stored["timestamp"]
    body = request.raw_body.decode()
    for leaked in ("release-from-the-environment", "$os", "$python_version", "$python_runtime", "$is_server", "$lib"):
        assert leaked not in body
    assert [dict(e) for e in result.sent] == received  # the result reports exactly what went on the wire


@pytest.mark.parametrize(
    ("mode", "outcome", "status"),
    [("unavailable", "retry", 503), ("rate_limited", "retry", 429), ("rejected", "rejected", 400)],
)
def test_server_answers_map_to_outcomes(ingest: IngestServer, mode: Any, outcome: str, status: int) -> None:
    ingest.reset(mode)
    result = _send(ingest, [make_event()])

    assert (result.outcome, result.status, result.error) == (outcome, status, f"HTTP {status}")
    assert len(ingest.snapshot()) == 1  # one attempt: retries are the flusher's business, not hidden ones


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed(ingest: IngestServer, monkeypatch: pytest.MonkeyPatch, status: int) -> None:
    """The build-time host is the only place events (and the key) may go: a redirect would take them past the
    proxy and past the https/no-query checks made at build time. It is a failure to retry, never a success."""
    with IngestServer() as elsewhere:
        monkeypatch.setattr(ingest, "redirect_to", f"{elsewhere.url}/elsewhere/")
        monkeypatch.setattr(ingest, "redirect_status", status)
        ingest.reset("redirect")
        result = _send(ingest, [make_event()])

        assert elsewhere.snapshot() == []
    assert (result.outcome, result.status, result.error) == ("retry", status, f"HTTP {status} (redirect not followed)")
    assert len(ingest.snapshot()) == 1


def test_a_server_that_never_answers_is_a_timeout(ingest: IngestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "hang_seconds", 3.0)
    ingest.reset("hang")
    result = _send(ingest, [make_event()], timeout=0.5)

    assert (result.outcome, result.error) == ("retry", "timeout")


def test_a_closed_port_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = Sender(build=keyed_build(f"http://127.0.0.1:{port}"))
    result = sender.post([make_event()], timeout=2)
    sender.close()

    assert (result.outcome, result.error) == ("retry", "connection error")


def test_the_library_prints_nothing_on_failure(ingest: IngestServer, capfd: pytest.CaptureFixture[str]) -> None:
    ingest.reset("unavailable")
    _send(ingest, [make_event()])
    captured = capfd.readouterr()
    assert (captured.out, captured.err) == ("", "")


def test_importing_the_sender_does_not_import_posthog() -> None:
    code = "import sys, archon.telemetry.upload.sender, archon.telemetry.upload.drain, archon.telemetry.upload.launch; "
    code += "print('posthog' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "False"

"""The sender, against the loopback ingest server: exactly the stored events arrive, nothing added, nothing ambient
rides along (no netrc credentials, no cookie), and every answer maps to what it means for the events. The posthog
library is the real one; only the server is a stand-in."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.schema import allowed_properties
from archon.telemetry.upload.sender import Outcome, Sender, ca_bundle, from_status, proxy_settings
from tests.support.delivery import keyed_build, make_event
from tests.support.ingest import IngestServer


@pytest.fixture
def hostile_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The posthog library's own variables, set the way a user's shell might have them."""
    monkeypatch.setenv("POSTHOG_RELEASE_ID", "release-from-the-environment")
    monkeypatch.setenv("POSTHOG_CAPTURE_MODE", "v1")
    monkeypatch.setenv("POSTHOG_CAPTURE_COMPRESSION", "gzip")


def _send(
    server: IngestServer, events: list[StoredEvent], *, timeout: float = 5.0, env: Mapping[str, str] | None = None
) -> Any:
    sender = Sender(build=keyed_build(server.url), env=env or {})
    try:
        return sender.post(events, timeout=timeout)
    finally:
        sender.close()


@pytest.mark.usefixtures("hostile_env")
def test_exactly_the_stored_events_arrive(ingest: IngestServer) -> None:
    events = [make_event(exit_code=code) for code in range(3)]
    result = _send(ingest, events)

    assert result.outcome is Outcome.ACCEPTED
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
    ("status", "outcome"),
    [
        (200, Outcome.ACCEPTED),
        (201, Outcome.ACCEPTED),
        (202, Outcome.ACCEPTED),
        (204, Outcome.ACCEPTED),  # the library raises for every answer but 200: archon reads the status itself
        (400, Outcome.INVALID),
        (413, Outcome.TOO_LARGE),
        (401, Outcome.HOLD),
        (403, Outcome.HOLD),
        (404, Outcome.HOLD),
        (405, Outcome.HOLD),
        (415, Outcome.HOLD),
        (408, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (502, Outcome.RETRY),
        (503, Outcome.RETRY),
    ],
)
def test_server_answers_map_to_outcomes(ingest: IngestServer, status: int, outcome: Outcome) -> None:
    ingest.reset("status", answer_status=status, retry_after="45")
    result = _send(ingest, [make_event()])

    assert (result.outcome, result.status) == (outcome, status)
    assert result.error == (None if outcome is Outcome.ACCEPTED else f"HTTP {status}")
    assert result.retry_after == (None if outcome is Outcome.ACCEPTED else 45.0)
    assert len(ingest.snapshot()) == 1  # one attempt: retries are the flusher's business, not hidden ones


def test_an_answer_without_a_status_is_retried() -> None:
    assert from_status("not a number", None).outcome is Outcome.RETRY


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
    assert (result.outcome, result.status, result.error) == (
        Outcome.HOLD,  # a misconfigured host or proxy: kept, and tried again after a long while
        status,
        f"HTTP {status} (redirect not followed)",
    )
    assert len(ingest.snapshot()) == 1


def test_a_server_that_never_answers_is_a_timeout(ingest: IngestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "hang_seconds", 3.0)
    ingest.reset("hang")
    result = _send(ingest, [make_event()], timeout=0.5)

    assert (result.outcome, result.status, result.error) == (Outcome.RETRY, None, "timeout")


def test_a_closed_port_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = Sender(build=keyed_build(f"http://127.0.0.1:{port}"), env={})
    result = sender.post([make_event()], timeout=2)
    sender.close()

    assert (result.outcome, result.status, result.error) == (Outcome.RETRY, None, "connection error")


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


# -- nothing ambient ------------------------------------------------------------------------------------------


def test_netrc_credentials_are_never_sent(
    ingest: IngestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests would add ``Authorization: Basic`` from ``~/.netrc`` (a ``default`` entry matches every host) or
    ``$NETRC`` to every request of a session that trusts the environment."""
    (Path(os.environ["HOME"]) / ".netrc").write_text("default login someone password zq-home-netrc\n", "ascii")
    named = tmp_path / "netrc"
    named.write_text("machine 127.0.0.1 login someone password zq-named-netrc\n", "ascii")
    monkeypatch.setenv("NETRC", str(named))
    for path in (Path(os.environ["HOME"]) / ".netrc", named):
        path.chmod(0o600)
    result = _send(ingest, [make_event()], env=dict(os.environ))

    assert result.outcome is Outcome.ACCEPTED
    (request,) = ingest.snapshot()
    assert "authorization" not in request.headers


def test_no_cookie_a_server_sets_is_sent_back(ingest: IngestServer) -> None:
    ingest.reset("ok", set_cookie="ph_session=zq-cookie; Path=/")
    sender = Sender(build=keyed_build(ingest.url), env={})
    try:
        for _ in range(3):
            assert sender.post([make_event()], timeout=5).outcome is Outcome.ACCEPTED
    finally:
        sender.close()
    assert [request.headers.get("cookie") for request in ingest.snapshot()] == [None, None, None]


def test_the_proxy_the_user_set_is_used(ingest: IngestServer) -> None:
    with IngestServer() as proxy:
        result = _send(ingest, [make_event()], env={"http_proxy": proxy.url})
        (request,) = proxy.snapshot()
    assert result.outcome is Outcome.ACCEPTED
    assert request.proxied
    assert request.path == f"{ingest.url}/batch/"
    assert ingest.snapshot() == []


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {}),
        ({"https_proxy": "http://proxy.corp:3128"}, {"https": "http://proxy.corp:3128"}),
        ({"HTTPS_PROXY": "http://upper:3128"}, {"https": "http://upper:3128"}),
        ({"https_proxy": "http://lower:3128", "HTTPS_PROXY": "http://upper:3128"}, {"https": "http://lower:3128"}),
        ({"http_proxy": "http://plain:3128"}, {}),  # another scheme's proxy is not this host's
        ({"ALL_PROXY": "socks5://all:1080"}, {"https": "socks5://all:1080"}),
        ({"https_proxy": "http://p:3128", "no_proxy": "ingest.example.com"}, {}),
        ({"https_proxy": "http://p:3128", "NO_PROXY": ".example.com"}, {}),
        ({"https_proxy": "http://p:3128", "no_proxy": "*"}, {}),
        ({"https_proxy": "http://p:3128", "no_proxy": "other.example.org"}, {"https": "http://p:3128"}),
    ],
)
def test_proxy_settings_follow_the_usual_variables(env: dict[str, str], expected: dict[str, str]) -> None:
    assert proxy_settings("https://ingest.example.com", env) == expected


def test_no_proxy_accepts_address_ranges() -> None:
    env = {"http_proxy": "http://p:3128", "no_proxy": "10.0.0.0/8"}
    assert proxy_settings("http://10.1.2.3:8000", env) == {}
    assert proxy_settings("http://192.168.1.1:8000", env) == {"http": "http://p:3128"}


def test_a_ca_bundle_the_user_named_is_used() -> None:
    assert ca_bundle({}) is True  # requests' own (certifi)
    assert ca_bundle({"REQUESTS_CA_BUNDLE": "/etc/corp/ca.pem"}) == "/etc/corp/ca.pem"
    assert ca_bundle({"CURL_CA_BUNDLE": "/etc/corp/curl.pem"}) == "/etc/corp/curl.pem"

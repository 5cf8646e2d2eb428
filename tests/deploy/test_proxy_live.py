"""Each production proxy (Worker under workerd, nginx, Caddy) running for real in front of the loopback ingest
server: ingest requests arrive intact and anonymous, everything else is refused without reaching the upstream."""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import posthog.request
import pytest
import requests

from tests.conftest import TEST_KEY
from tests.deploy.proxies import RunningProxy, expected_upstream_host, free_port, locate_tool, run_proxy
from tests.support.ingest import IngestServer

pytestmark = pytest.mark.slow

MAX_BODY = 1024 * 1024

# Sent deliberately with every ingest request; none of them, and none of their values, may reach PostHog.
CLIENT_IDENTIFYING_HEADERS = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Host": "client.example",
    "X-Real-IP": "203.0.113.8",
    "CF-Connecting-IP": "203.0.113.9",
    "CF-Connecting-IPv6": "2001:db8::7",
    "True-Client-IP": "203.0.113.10",
    "Forwarded": "for=203.0.113.11;proto=https",
    "X-Client-IP": "203.0.113.12",
    "X-Cluster-Client-IP": "203.0.113.13",
    "Fastly-Client-IP": "203.0.113.14",
    "X-Originating-IP": "203.0.113.15",
    "Client-IP": "203.0.113.16",
    "X-Remote-Addr": "203.0.113.17",
    "Cookie": "session=cookie-secret",
}
# The unreachable-upstream test sends from this loopback address of its own (Linux routes all of 127/8 to lo), so
# the client's address can be told apart from the proxy's and the upstream's 127.0.0.1 in the logs.
CLIENT_ADDRESS = "127.0.0.2"
# What PostHog may see: the ingest allow-list plus what HTTP itself needs.
UPSTREAM_MAY_SEE = {
    "host",
    "content-length",
    "content-type",
    "content-encoding",
    "user-agent",
    "authorization",
    "posthog-sdk-info",
    "posthog-attempt",
    "posthog-request-id",
    "posthog-request-timestamp",
    "connection",
    "accept",
    "accept-encoding",
}
NOT_INGEST = [
    ("POST", "/flags/?v=4"),
    ("POST", "/decide/?v=3"),
    ("GET", "/api/projects/@current/feature_flags/f/remote_config?token=phc_x"),
    ("POST", "/api/event/"),
    ("POST", "/i/v0/ai/batch/"),
    ("POST", "/s/"),
    ("POST", "/track/"),
    ("GET", "/"),
    ("GET", "/static/array.js"),
    ("POST", "/batch/?ip=1"),
    ("POST", "/batch/../flags/"),
    ("POST", "/batch/%2e%2e/flags/"),
    ("POST", "/flags/..%2Fbatch/"),
    ("POST", "/batch%2F"),
    ("POST", "//batch/"),
    ("POST", "/BATCH/"),
    ("POST", "/batchx"),
]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def send(
    proxy: RunningProxy,
    method: str,
    target: str,
    *,
    body: bytes | Iterable[bytes] | None = None,
    headers: Mapping[str, str] | None = None,
    source: str | None = None,
) -> Answer:
    """One raw HTTP request to the proxy: the target goes on the wire exactly as given. A proxy may answer (and
    close) before reading a body it refuses, so a failure to send the rest of the body is not an error. ``source``
    is the loopback address the request comes from (default: the system's choice, 127.0.0.1)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", proxy.port, timeout=30, source_address=None if source is None else (source, 0)
    )
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        fields = dict(headers or {})
        if isinstance(body, bytes):
            fields["Content-Length"] = str(len(body))
        elif body is not None:
            fields["Transfer-Encoding"] = "chunked"
        for name, value in fields.items():
            connection.putheader(name, value)
        connection.endheaders()
        try:
            if isinstance(body, bytes):
                connection.send(body)
            elif body is not None:
                for chunk in body:
                    connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                connection.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def make_events(count: int, *, padding: str = "") -> list[dict[str, Any]]:
    return [
        {
            "event": "cli.command_completed",
            "distinct_id": "5f0c6a53-7b7e-4b8e-9d55-2d1b3c4e5f60",
            "uuid": str(uuid.uuid4()),
            "timestamp": "2026-11-25T12:00:00+00:00",
            "properties": {
                "command": "workflow",
                "subcommand": "run",
                "exit_code": 0,
                "duration_ms": 1234 + index,
                "$process_person_profile": False,
                "$ip": "",
                **({"padding": padding} if padding else {}),
            },
        }
        for index in range(count)
    ]


def assert_arrived_intact(upstream: IngestServer, sent: list[dict[str, Any]]) -> None:
    received = {event["uuid"]: event for event in upstream.events()}
    assert sorted(received) == sorted(event["uuid"] for event in sent)
    for event in sent:
        got = received[event["uuid"]]
        assert {k: got[k] for k in ("event", "distinct_id", "timestamp", "properties")} == {
            k: event[k] for k in ("event", "distinct_id", "timestamp", "properties")
        }


def assert_anonymous(headers: Mapping[str, str]) -> None:
    names = set(headers)
    assert not names & {name.lower() for name in CLIENT_IDENTIFYING_HEADERS}, names
    assert names <= UPSTREAM_MAY_SEE, names - UPSTREAM_MAY_SEE
    for value in CLIENT_IDENTIFYING_HEADERS.values():
        assert not any(value in seen for seen in headers.values()), value


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_sdk_batch_arrives_intact_and_anonymous(proxy: RunningProxy, upstream: IngestServer, compress: bool) -> None:
    """The posthog SDK's own batch request, with every client-address header and a cookie added on purpose."""
    events = make_events(3)
    with requests.Session() as session:
        session.headers.update(CLIENT_IDENTIFYING_HEADERS)
        response = posthog.request.batch_post(
            TEST_KEY, host=proxy.url, gzip=compress, timeout=30, batch=events, session=session
        )
    assert response.status_code == 200
    assert_arrived_intact(upstream, events)
    (request,) = upstream.snapshot()
    assert (request.method, request.path) == ("POST", posthog.request.EVENTS_ENDPOINT)
    assert request.body["api_key"] == TEST_KEY  # the public key passes through unchanged
    assert request.headers["host"] == expected_upstream_host(proxy)
    assert request.headers.get("content-encoding") == ("gzip" if compress else None)
    assert_anonymous(request.headers)


def test_v1_capture_headers_and_bearer_key_pass_unchanged(proxy: RunningProxy, upstream: IngestServer) -> None:
    body = json.dumps({"created_at": "2026-11-25T12:00:00Z", "batch": make_events(1)}).encode()
    v1_headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {TEST_KEY}",
        "PostHog-Sdk-Info": "posthog-python/7.91.1",
        "PostHog-Attempt": "1",
        "PostHog-Request-Id": "0b7f9f5e-0c6f-4a57-9f0e-2f5b8c1d2e3f",
        "PostHog-Request-Timestamp": "2026-11-25T12:00:01+00:00",
    }
    answer = send(
        proxy, "POST", "/i/v1/analytics/events", body=body, headers={**v1_headers, **CLIENT_IDENTIFYING_HEADERS}
    )
    assert answer.status == 200
    (request,) = upstream.snapshot()
    assert request.path == "/i/v1/analytics/events"
    assert request.raw_body == body
    for name, value in v1_headers.items():
        assert request.headers[name.lower()] == value
    assert_anonymous(request.headers)


def test_only_the_header_allow_list_reaches_the_upstream(proxy: RunningProxy, upstream: IngestServer) -> None:
    """nginx and the Worker forward an allow-list; Caddy 2.6 can only remove headers by pattern (docs/proxy.md)."""
    answer = send(
        proxy,
        "POST",
        "/batch/",
        body=json.dumps({"api_key": TEST_KEY, "batch": make_events(1)}).encode(),
        headers={"Content-Type": "application/json", "X-Archon-Unlisted": "1", "Referer": "https://client.example/"},
    )
    assert answer.status == 200
    (request,) = upstream.snapshot()
    assert "referer" not in request.headers
    assert ("x-archon-unlisted" in request.headers) is (proxy.kind == "caddy")


@pytest.mark.parametrize(("method", "target"), NOT_INGEST)
def test_non_ingest_request_is_404_without_reaching_upstream(
    proxy: RunningProxy, upstream: IngestServer, method: str, target: str
) -> None:
    body = b'{"api_key": "phc_x"}' if method == "POST" else None
    answer = send(proxy, method, target, body=body, headers={"Content-Type": "application/json"})
    assert answer.status == 404
    assert upstream.snapshot() == []


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_other_methods_on_ingest_paths_are_405(proxy: RunningProxy, upstream: IngestServer, method: str) -> None:
    answer = send(proxy, method, "/batch/", body=b"{}" if method in ("PUT", "PATCH") else None)
    assert answer.status == 405
    assert answer.headers.get("allow") == "POST"
    assert upstream.snapshot() == []


def test_body_at_the_cap_is_forwarded_intact(proxy: RunningProxy, upstream: IngestServer) -> None:
    events = make_events(1, padding="p")
    unpadded = len(json.dumps({"api_key": TEST_KEY, "batch": events}).encode()) - 1
    events[0]["properties"]["padding"] = "p" * (MAX_BODY - unpadded)
    body = json.dumps({"api_key": TEST_KEY, "batch": events}).encode()
    assert len(body) == MAX_BODY
    answer = send(proxy, "POST", "/batch/", body=body, headers={"Content-Type": "application/json"})
    assert answer.status == 200
    assert_arrived_intact(upstream, events)


def test_body_over_the_cap_is_413_without_reaching_upstream(proxy: RunningProxy, upstream: IngestServer) -> None:
    answer = send(proxy, "POST", "/batch/", body=b" " * (MAX_BODY + 1), headers={"Content-Type": "application/json"})
    assert answer.status == 413
    assert upstream.snapshot() == []


def test_body_without_declared_length_is_411_without_reaching_upstream(
    proxy: RunningProxy, upstream: IngestServer
) -> None:
    chunks = [json.dumps({"api_key": TEST_KEY, "batch": make_events(1)}).encode()]
    answer = send(proxy, "POST", "/batch/", body=iter(chunks), headers={"Content-Type": "application/json"})
    assert answer.status == 411
    assert upstream.snapshot() == []


@pytest.mark.parametrize(("mode", "status"), [("unavailable", 503), ("rate_limited", 429), ("rejected", 400)])
def test_upstream_status_reaches_the_sender(
    proxy: RunningProxy, upstream: IngestServer, mode: str, status: int
) -> None:
    """archon's sender decides keep/retry/drop from the status, so the proxy must not hide it."""
    upstream.reset(mode)  # type: ignore[arg-type]
    body = json.dumps({"api_key": TEST_KEY, "batch": make_events(1)}).encode()
    answer = send(proxy, "POST", "/batch/", body=body, headers={"Content-Type": "application/json"})
    assert answer.status == status
    assert len(upstream.snapshot()) == 1


def test_unreachable_upstream_is_502_and_logs_no_client_data(proxy: RunningProxy, tmp_path: Path) -> None:
    """A PostHog outage looks like one to the sender (retry later), never like acceptance or rejection. It is also
    the case where proxies log by default (Caddy's error log, nginx's `client:` field): the proxy's whole output
    (stderr, and nginx's error log at level info) must name neither the client's address nor any header value."""
    nothing_there = f"http://127.0.0.1:{free_port()}"
    body = json.dumps({"api_key": TEST_KEY, "batch": make_events(1)}).encode()
    headers = {"Content-Type": "application/json", **CLIENT_IDENTIFYING_HEADERS}
    with run_proxy(
        proxy.kind, tool=locate_tool(proxy.kind), port=free_port(), upstream=nothing_there, workdir=tmp_path / "p"
    ) as cut_off:
        answer = send(cut_off, "POST", "/batch/", body=body, headers=headers, source=CLIENT_ADDRESS)
    assert answer.status == 502
    log = cut_off.log_text()  # complete: the proxy has stopped
    for value in (CLIENT_ADDRESS, *CLIENT_IDENTIFYING_HEADERS.values()):
        assert value not in log, f"{proxy.kind} logged {value!r}:\n{log}"

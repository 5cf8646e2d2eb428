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
from tests.deploy.request_headers import (
    AMBIENT_AUTHORIZATIONS,
    CADDY_2_6_LEAKS,
    CLIENT_IDENTIFYING_HEADERS,
    PROJECT_KEY_AUTHORIZATION,
    assert_anonymous,
    header_battery,
)
from tests.support.ingest import IngestServer

pytestmark = pytest.mark.slow

MAX_BODY = 1024 * 1024

# The unreachable-upstream test sends from this loopback address of its own (Linux routes all of 127/8 to lo), so
# the client's address can be told apart from the proxy's and the upstream's 127.0.0.1 in the logs.
CLIENT_ADDRESS = "127.0.0.2"
JSON = {"Content-Type": "application/json"}
SDK_USER_AGENT = {"User-Agent": "posthog-python/7.91.1"}
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


def ingest_body(count: int = 1) -> bytes:
    return json.dumps({"api_key": TEST_KEY, "batch": make_events(count)}).encode()


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
    # The Worker forwards the JSON it checked, uncompressed (docs/proxy.md); nginx and Caddy forward the body as sent.
    forwarded_encoding = "gzip" if compress and proxy.kind != "worker" else None
    assert request.headers.get("content-encoding") == forwarded_encoding
    assert_anonymous(proxy.kind, request.headers, CLIENT_IDENTIFYING_HEADERS)


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
    assert request.body == json.loads(body)
    if proxy.kind != "worker":  # the Worker re-serialises the JSON it checked
        assert request.raw_body == body
    for name, value in v1_headers.items():
        assert request.headers[name.lower()] == value
    assert_anonymous(proxy.kind, request.headers, CLIENT_IDENTIFYING_HEADERS)


@pytest.mark.parametrize("authorization", AMBIENT_AUTHORIZATIONS.values(), ids=AMBIENT_AUTHORIZATIONS.keys())
def test_ambient_credentials_never_reach_the_upstream(
    proxy: RunningProxy, upstream: IngestServer, authorization: str
) -> None:
    """What the client's environment may attach on its own: an Authorization that is not a PostHog project key
    (requests adds `Basic` from a ~/.netrc `default` entry), cookies, proxy credentials. The batch still arrives,
    with none of them."""
    sent = {
        **JSON,
        **SDK_USER_AGENT,
        "Authorization": authorization,
        "Cookie": "session=cookie-secret; other=2",
        "Proxy-Authorization": "Basic cHJveHk6c2VjcmV0",
    }
    answer = send(proxy, "POST", "/batch/", body=ingest_body(), headers=sent)
    assert answer.status == 200
    (request,) = upstream.snapshot()
    assert "authorization" not in request.headers
    assert not any(authorization in value for value in request.headers.values())
    assert_anonymous(proxy.kind, request.headers, sent)


@pytest.mark.parametrize("path", ["/batch/", "/i/v1/analytics/events"])
def test_project_key_bearer_reaches_the_upstream(proxy: RunningProxy, upstream: IngestServer, path: str) -> None:
    """`Authorization: Bearer phc_...` is how PostHog's v1 endpoint takes the project key: it passes unchanged."""
    sent = {**JSON, **SDK_USER_AGENT, "Authorization": PROJECT_KEY_AUTHORIZATION}
    answer = send(proxy, "POST", path, body=ingest_body(), headers=sent)
    assert answer.status == 200
    (request,) = upstream.snapshot()
    assert request.headers["authorization"] == PROJECT_KEY_AUTHORIZATION
    assert_anonymous(proxy.kind, request.headers, sent)


def test_client_address_headers_that_passed_caddy_2_6_never_reach_the_upstream(
    proxy: RunningProxy, upstream: IngestServer
) -> None:
    sent = {**JSON, **SDK_USER_AGENT, **CADDY_2_6_LEAKS}
    answer = send(proxy, "POST", "/batch/", body=ingest_body(), headers=sent)
    assert answer.status == 200
    (request,) = upstream.snapshot()
    assert_anonymous(proxy.kind, request.headers, sent)


def test_only_the_allow_list_reaches_the_upstream(proxy: RunningProxy, upstream: IngestServer) -> None:
    """A generated battery of client-address, credential and request-identifying headers, in requests of 60 headers
    (the loopback upstream, like Python's http.client, accepts at most 100): none reaches the upstream."""
    battery = sorted(header_battery().items())
    assert len(battery) > 250
    chunks = [dict(battery[start : start + 60]) for start in range(0, len(battery), 60)]
    for chunk in chunks:
        answer = send(proxy, "POST", "/batch/", body=ingest_body(), headers={**JSON, **SDK_USER_AGENT, **chunk})
        assert answer.status == 200
    requests_seen = upstream.snapshot()
    assert len(requests_seen) == len(chunks)
    for request, chunk in zip(requests_seen, chunks, strict=True):
        assert_anonymous(proxy.kind, request.headers, chunk)
        assert request.headers["user-agent"] == SDK_USER_AGENT["User-Agent"]


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
    answer = send(proxy, "POST", "/batch/", body=ingest_body(), headers=JSON)
    assert answer.status == status
    assert len(upstream.snapshot()) == 1


def test_unreachable_upstream_is_502_and_logs_no_client_data(proxy: RunningProxy, tmp_path: Path) -> None:
    """A PostHog outage looks like one to the sender (retry later), never like acceptance or rejection. It is also
    the case where proxies log by default (Caddy's error log, nginx's `client:` field): the proxy's whole output
    (stderr, and nginx's error log at level info) must name neither the client's address nor any header value."""
    nothing_there = f"http://127.0.0.1:{free_port()}"
    body = ingest_body()
    headers = {**JSON, **CLIENT_IDENTIFYING_HEADERS}
    with run_proxy(
        proxy.kind, tool=locate_tool(proxy.kind), port=free_port(), upstream=nothing_there, workdir=tmp_path / "p"
    ) as cut_off:
        answer = send(cut_off, "POST", "/batch/", body=body, headers=headers, source=CLIENT_ADDRESS)
    assert answer.status == 502
    log = cut_off.log_text()  # complete: the proxy has stopped
    for value in (CLIENT_ADDRESS, *CLIENT_IDENTIFYING_HEADERS.values()):
        assert value not in log, f"{proxy.kind} logged {value!r}:\n{log}"

"""The Worker forwards only events it can prove are for the project it serves (``POSTHOG_PROJECT_KEY``), so it is
not an open relay into other PostHog projects. Every body shape PostHog's capture accepts is either checked or
refused; what is forwarded is the JSON the Worker checked, re-serialised, so capture cannot read it differently."""

from __future__ import annotations

import gzip
import json
import socket
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_KEY
from tests.deploy.proxies import ProxyOptions, RunningProxy, free_port, locate_tool, run_proxy
from tests.deploy.test_proxy_live import JSON, SDK_USER_AGENT, make_events, send
from tests.support.ingest import IngestServer

pytestmark = [pytest.mark.slow, pytest.mark.needs_tool("workerd")]

OTHER_KEY = "phc_someoneElsesProject0123456789abcdefghijk"
V1 = "/i/v1/analytics/events"
V1_HEADERS = {
    "PostHog-Sdk-Info": "posthog-python/7.91.1",
    "PostHog-Attempt": "1",
    "PostHog-Request-Id": "0b7f9f5e-0c6f-4a57-9f0e-2f5b8c1d2e3f",
    "PostHog-Request-Timestamp": "2026-11-25T12:00:01+00:00",
}


@pytest.fixture(scope="module")
def worker(proxy_upstream: IngestServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProxy]:
    """The Worker serving TEST_KEY's project, on a port of its own."""
    with run_proxy(
        "worker",
        tool=locate_tool("worker"),
        port=free_port(),
        upstream=proxy_upstream.url,
        workdir=tmp_path_factory.mktemp("worker-key"),
    ) as running:
        yield running


def event(**fields: Any) -> dict[str, Any]:
    (made,) = make_events(1)
    return {**made, **fields}


def with_properties(**properties: Any) -> dict[str, Any]:
    made = event()
    return {**made, "properties": {**made["properties"], **properties}}


@dataclass(frozen=True)
class Case:
    path: str
    body: bytes
    headers: dict[str, str]


def case(
    payload: Any,
    *,
    path: str = "/batch/",
    encode: str = "",
    raw: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> Case:
    """A request: ``payload`` as JSON (or ``raw`` bytes), compressed per ``encode``, with the SDK's headers and
    ``headers`` on top (an empty value removes a header)."""
    body = raw if raw is not None else json.dumps(payload).encode()
    if encode == "gzip":
        body = gzip.compress(body)
    elif encode == "deflate":
        body = zlib.compress(body)
    fields = {**JSON, **SDK_USER_AGENT, **({"Content-Encoding": encode} if encode else {}), **(headers or {})}
    return Case(path, body, {name: value for name, value in fields.items() if value != ""})


def v1_case(authorization: str | None, *events: dict[str, Any]) -> Case:
    """A v1 request (the key in `Authorization`, none in the body unless an event carries one)."""
    auth = {} if authorization is None else {"Authorization": authorization}
    body = {"created_at": "2026-11-25T12:00:01Z", "batch": list(events) or [event()]}
    return case(body, path=V1, headers={**auth, **V1_HEADERS})


BATCH = {"api_key": TEST_KEY, "batch": [event()]}
FORWARDED = {
    "batch-api_key": case({"api_key": TEST_KEY, "batch": [event(), event()]}),
    "batch-token": case({"token": TEST_KEY, "batch": [event()]}),
    "batch-and-event-keys": case({"api_key": TEST_KEY, "batch": [event(api_key=TEST_KEY), event(token=TEST_KEY)]}),
    "single-api_key": case(event(api_key=TEST_KEY), path="/i/v0/e/"),
    "single-$token": case(event(**{"$token": TEST_KEY}), path="/e/"),
    "single-properties-token": case(with_properties(token=TEST_KEY), path="/capture/"),
    "array": case([event(token=TEST_KEY), event(token=TEST_KEY)], path="/e/"),
    "gzip": case({"api_key": TEST_KEY, "batch": [event()]}, encode="gzip"),
    "deflate": case({"api_key": TEST_KEY, "batch": [event()]}, encode="deflate"),
    "v1-bearer": v1_case(f"Bearer {TEST_KEY}"),
    "v1-bearer-lowercase-scheme": v1_case(f"bearer {TEST_KEY}"),
}
FORBIDDEN = {  # 403: the key is not provably the project's
    "other-project": case({"api_key": OTHER_KEY, "batch": [event()]}),
    "no-key": case({"batch": [event()]}),
    "event-key-differs": case({"api_key": TEST_KEY, "batch": [event(api_key=OTHER_KEY)]}),
    "event-token-differs": case({"api_key": TEST_KEY, "batch": [event(), event(token=OTHER_KEY)]}),
    "event-properties-token-differs": case({"api_key": TEST_KEY, "batch": [with_properties(token=OTHER_KEY)]}),
    "token-beside-api_key": case({"token": OTHER_KEY, "api_key": TEST_KEY, "batch": [event()]}),
    "key-not-a-string": case({"api_key": [TEST_KEY], "batch": [event()]}),
    "single-other": case(event(api_key=OTHER_KEY), path="/i/v0/e/"),
    "single-no-key": case(event(), path="/capture/"),
    "array-mixed": case([event(token=TEST_KEY), event(token=OTHER_KEY)], path="/e/"),
    "gzip-other-project": case({"api_key": OTHER_KEY, "batch": [event()]}, encode="gzip"),
    "v1-no-authorization": v1_case(None),
    "v1-other-bearer": v1_case(f"Bearer {OTHER_KEY}"),
    "v1-basic": v1_case("Basic dXNlcjpzM2NyZXQ="),
    "v1-body-key-differs": v1_case(f"Bearer {TEST_KEY}", event(token=OTHER_KEY)),
}
UNSUPPORTED = {  # 415: a body the Worker cannot read, so cannot check
    "form-encoded": case(
        None,
        raw=b"data=eyJhcGlfa2V5IjoicGhjX3gifQ%3D%3D",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    "text-plain": case(BATCH, headers={"Content-Type": "text/plain"}),
    "no-content-type": case(BATCH, headers={"Content-Type": ""}),
    "lz64": case(BATCH, headers={"Content-Encoding": "lz64"}),
    "base64": case(BATCH, headers={"Content-Encoding": "base64"}),
    "br": case(BATCH, headers={"Content-Encoding": "br"}),
    "zstd": case(BATCH, headers={"Content-Encoding": "zstd"}),
}
MALFORMED = {  # 400: what capture would refuse as well
    "not-json": case(None, raw=b"data=eyJhcGlfa2V5IjoicGhjX3gifQ=="),
    "gzip-without-content-encoding": case(None, raw=gzip.compress(json.dumps(BATCH).encode())),
    "corrupt-gzip": case(None, raw=b"not gzip at all", headers={"Content-Encoding": "gzip"}),
    "json-string": case(TEST_KEY),
    "json-null": case(None),
    "invalid-utf8": case(None, raw=b'{"api_key": "' + TEST_KEY.encode() + b'", "batch": [], "x": "\xff"}'),
}


def _cases(table: dict[str, Case]) -> list[Any]:
    return [pytest.param(value, id=name) for name, value in table.items()]


def _forward(worker: RunningProxy, sent: Case) -> int:
    return send(worker, "POST", sent.path, body=sent.body, headers=sent.headers).status


@pytest.mark.parametrize("sent", _cases(FORWARDED))
def test_the_projects_events_are_forwarded_as_checked(worker: RunningProxy, upstream: IngestServer, sent: Case) -> None:
    assert _forward(worker, sent) == 200
    (request,) = upstream.snapshot()
    plain = sent.body
    if sent.headers.get("Content-Encoding") == "gzip":
        plain = gzip.decompress(plain)
    elif sent.headers.get("Content-Encoding") == "deflate":
        plain = zlib.decompress(plain)
    assert request.body == json.loads(plain)
    assert request.headers["content-type"] == "application/json"
    assert "content-encoding" not in request.headers  # forwarded as the JSON the Worker read
    if sent.path == V1:
        assert request.headers["authorization"] == f"Bearer {TEST_KEY}"


@pytest.mark.parametrize("sent", _cases(FORBIDDEN))
def test_other_projects_or_keyless_requests_are_403(worker: RunningProxy, upstream: IngestServer, sent: Case) -> None:
    assert _forward(worker, sent) == 403
    assert upstream.snapshot() == []


@pytest.mark.parametrize("sent", _cases(UNSUPPORTED))
def test_bodies_the_worker_cannot_read_are_415(worker: RunningProxy, upstream: IngestServer, sent: Case) -> None:
    assert _forward(worker, sent) == 415
    assert upstream.snapshot() == []


@pytest.mark.parametrize("sent", _cases(MALFORMED))
def test_malformed_bodies_are_400(worker: RunningProxy, upstream: IngestServer, sent: Case) -> None:
    assert _forward(worker, sent) == 400
    assert upstream.snapshot() == []


def test_a_duplicated_key_reaches_posthog_only_as_the_value_checked(
    worker: RunningProxy, upstream: IngestServer
) -> None:
    """JSON parsers disagree on duplicate names (JavaScript keeps the last, serde refuses or keeps the first): the
    Worker forwards its own serialisation, so the other project's key never reaches PostHog."""
    batch = json.dumps([event()])
    raw = f'{{"api_key": "{OTHER_KEY}", "api_key": "{TEST_KEY}", "batch": {batch}}}'.encode()
    assert _forward(worker, case(None, raw=raw)) == 200
    (request,) = upstream.snapshot()
    assert request.body["api_key"] == TEST_KEY
    assert OTHER_KEY.encode() not in request.raw_body


def test_a_body_that_inflates_past_the_cap_is_413(worker: RunningProxy, upstream: IngestServer) -> None:
    padded = {"api_key": TEST_KEY, "batch": [with_properties(padding=" " * (1024 * 1024))]}
    sent = case(padded, encode="gzip")
    assert len(sent.body) < 1024 * 1024 // 10
    assert _forward(worker, sent) == 413
    assert upstream.snapshot() == []


def test_an_authorization_that_is_not_the_projects_bearer_is_not_forwarded(
    worker: RunningProxy, upstream: IngestServer
) -> None:
    """On the v0 endpoints the key is in the body; another Authorization is dropped, the batch still goes."""
    sent = case(BATCH, headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert _forward(worker, sent) == 200
    (request,) = upstream.snapshot()
    assert "authorization" not in request.headers


@pytest.mark.parametrize("configured", [None, "", "phx_personalKey0123456789abcdefghijklmnop", "not-a-key"])
def test_without_a_project_key_the_worker_forwards_nothing(
    proxy_upstream: IngestServer, tmp_path: Path, configured: str | None
) -> None:
    """A Worker deployed without its POSTHOG_PROJECT_KEY secret (or with something that is not a project key)
    answers 500, which archon's sender keeps events on, and forwards nothing."""
    proxy_upstream.reset("ok")
    with run_proxy(
        "worker",
        tool=locate_tool("worker"),
        port=free_port(),
        upstream=proxy_upstream.url,
        workdir=tmp_path / "w",
        options=ProxyOptions(project_key=configured),
    ) as unconfigured:
        assert _forward(unconfigured, case(BATCH)) == 500
        assert send(unconfigured, "POST", "/flags/", body=b"{}", headers=JSON).status == 404
    assert proxy_upstream.snapshot() == []


def test_a_body_shorter_than_declared_is_400_and_logs_nothing(proxy_upstream: IngestServer, tmp_path: Path) -> None:
    """A client that stops sending mid-body: the Worker answers 400 rather than failing (which workerd logs)."""
    proxy_upstream.reset("ok")
    with (
        run_proxy(
            "worker", tool=locate_tool("worker"), port=free_port(), upstream=proxy_upstream.url, workdir=tmp_path / "w"
        ) as running,
        socket.create_connection(("127.0.0.1", running.port), timeout=10) as client,
    ):
        client.sendall(
            b"POST /batch/ HTTP/1.1\r\nHost: telemetry.test\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"api_key":'
        )
        client.shutdown(socket.SHUT_WR)
        answer = client.recv(200)
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert proxy_upstream.snapshot() == []
    assert running.log_text().strip() == ""

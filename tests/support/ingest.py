"""A loopback HTTP server that stands in for PostHog's ingest API, for tests only.

It records every request (path, headers, decoded JSON body, the status it answered) and answers according to
``mode``:

- ``ok`` (200), ``unavailable`` (503), ``rate_limited`` (429), ``rejected`` (400);
- ``status``: ``answer_status``, any code (401, 403, 404 as a misconfigured proxy answers, 204, 413, ...);
- ``validate``: what PostHog's capture does with a batch holding an invalid event: 400 for the whole request if
  any of its events has a uuid in ``invalid_uuids`` (capture stops at the first invalid event and refuses the
  batch), else 200;
- ``max_batch``: 413 for a request holding more than ``max_batch_events`` events (a body over a proxy's or
  capture's size limit), else 200;
- ``redirect`` (``redirect_status``, 307 unless set, with ``Location: redirect_to``);
- ``hang`` (accept the connection, read the request, never answer until the server stops or ``hang_seconds``
  pass); ``drop`` (read the request, then close the connection without a word: a network error).

``retry_after`` (when set) goes out as ``Retry-After`` with every answer that is not 2xx, and ``set_cookie`` (when
set) as ``Set-Cookie`` with every answer. A request whose target is an absolute URL (``POST http://host/batch/``)
is what a client sends to a forward proxy: it is recorded with ``proxied=True`` and answered like any other, so the
same server can stand in for an HTTP proxy. It only ever binds to loopback addresses, on a free port unless
``bind_port`` names one.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import threading
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self
from urllib.parse import urlsplit

__all__ = ["IngestServer", "Mode", "ReceivedRequest"]

Mode = Literal[
    "ok", "unavailable", "rate_limited", "rejected", "status", "validate", "max_batch", "redirect", "hang", "drop"
]
_STATUS: dict[str, int] = {"ok": 200, "unavailable": 503, "rate_limited": 429, "rejected": 400}
INGEST_PATHS = ("/batch", "/i/v0/e", "/e", "/capture", "/i/v1/analytics/events", "/track")


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    body: Any
    at: float
    status: int | None = None
    """What the server answered; None when it never answered (``hang``, ``drop``)."""
    proxied: bool = False
    """The request target was an absolute URL: the client took this server for its HTTP proxy."""

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def events(self) -> list[dict[str, Any]]:
        """The events carried by this request, for both the batch and the single-event shapes."""
        return _events_of(self.body)


def _events_of(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict):
        if isinstance(body.get("batch"), list):
            return [e for e in body["batch"] if isinstance(e, dict)]
        if "event" in body:
            return [body]
    if isinstance(body, list):
        return [e for e in body if isinstance(e, dict)]
    return []


def _decode(headers: dict[str, str], raw: bytes) -> Any:
    encoding = headers.get("content-encoding", "").lower()
    data = raw
    if encoding == "gzip" or raw[:2] == b"\x1f\x8b":
        data = gzip.decompress(raw)
    elif encoding == "deflate":
        data = zlib.decompress(raw)
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


@dataclass
class IngestServer:
    host: str = "127.0.0.1"
    bind_port: int = 0
    mode: Mode = "ok"
    hang_seconds: float = 30.0
    redirect_to: str = ""
    redirect_status: int = 307
    answer_status: int = 200
    invalid_uuids: frozenset[str] = frozenset()
    max_batch_events: int = 1
    retry_after: str | None = None
    set_cookie: str | None = None
    requests: list[ReceivedRequest] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if not ipaddress.ip_address(self.host).is_loopback:
            raise ValueError("the test ingest server only binds to loopback addresses")

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> Self:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                proxied = "://" in self.path.split("?", 1)[0]
                path = urlsplit(self.path).path if proxied else self.path.split("?", 1)[0]
                body = _decode(headers, raw)
                mode = owner.mode
                is_ingest = path.rstrip("/") in INGEST_PATHS
                status = owner._status(mode, is_ingest, body) if mode not in ("hang", "drop") else None
                request = ReceivedRequest(
                    method=self.command,
                    path=self.path,
                    headers=headers,
                    raw_body=raw,
                    body=body,
                    at=time.monotonic(),
                    status=status,
                    proxied=proxied,
                )
                with owner._lock:
                    owner.requests.append(request)
                if status is None:
                    if mode == "hang":
                        owner._stopping.wait(owner.hang_seconds)
                    self.close_connection = True
                    return
                self._answer(status, redirect=mode == "redirect" and is_ingest)

            def _answer(self, status: int, *, redirect: bool) -> None:
                answer = {"status": 1} if status == 200 else {"error": status}
                data = b"" if status == 204 else json.dumps(answer).encode()
                self.send_response(status)
                if redirect:
                    self.send_header("Location", owner.redirect_to)
                if owner.retry_after is not None and not 200 <= status < 300:
                    self.send_header("Retry-After", owner.retry_after)
                if owner.set_cookie is not None:
                    self.send_header("Set-Cookie", owner.set_cookie)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = _handle
            do_GET = _handle

        family_server = ThreadingHTTPServer
        if ":" in self.host:

            class V6Server(ThreadingHTTPServer):
                import socket as _socket

                address_family = _socket.AF_INET6

            family_server = V6Server
        server = family_server((self.host, self.bind_port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def _status(self, mode: Mode, is_ingest: bool, body: Any) -> int:
        if not is_ingest:
            return 404
        if mode == "redirect":
            return self.redirect_status
        if mode == "status":
            return self.answer_status
        events = _events_of(body)
        if mode == "validate":
            return 400 if any(str(e.get("uuid")) in self.invalid_uuids for e in events) else 200
        if mode == "max_batch":
            return 413 if len(events) > self.max_batch_events else 200
        return _STATUS[mode]

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(
        self,
        mode: Mode = "ok",
        *,
        answer_status: int = 200,
        invalid_uuids: Iterable[str] = (),
        max_batch_events: int = 1,
        retry_after: str | None = None,
        set_cookie: str | None = None,
    ) -> None:
        """Forget every request, and answer from now on in ``mode`` with these options (see the module docstring)."""
        with self._lock:
            self.requests.clear()
        self.answer_status = answer_status
        self.invalid_uuids = frozenset(invalid_uuids)
        self.max_batch_events = max_batch_events
        self.retry_after = retry_after
        self.set_cookie = set_cookie
        self.mode = mode

    def snapshot(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self.requests)

    def events(self) -> list[dict[str, Any]]:
        """Every event received so far, in arrival order, whatever the answer was."""
        return [event for request in self.snapshot() for event in request.events]

    def accepted_events(self) -> list[dict[str, Any]]:
        """The events of the requests answered with a 2xx, in arrival order."""
        return [event for request in self.snapshot() if request.accepted for event in request.events]

    def wait_for_events(self, count: int, *, timeout: float) -> list[dict[str, Any]]:
        """Poll (bounded by ``timeout``) until at least ``count`` events arrived; return what arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self.events()
            if len(events) >= count:
                return events
            time.sleep(0.02)
        return self.events()

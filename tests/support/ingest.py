"""A loopback HTTP server that stands in for PostHog's ingest API, for tests only.

It records every request (path, headers, decoded JSON body) and answers according to ``mode``:
``ok`` (200), ``unavailable`` (503), ``rate_limited`` (429), ``rejected`` (400), ``redirect``
(``redirect_status``, 307 unless set, with ``Location: redirect_to``), or ``hang`` (accept the connection, read
the request, never answer until the server stops or ``hang_seconds`` pass). It only ever binds to loopback
addresses, on a free port unless ``bind_port`` names one.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self

__all__ = ["IngestServer", "ReceivedRequest"]

Mode = Literal["ok", "unavailable", "rate_limited", "rejected", "redirect", "hang"]
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

    @property
    def events(self) -> list[dict[str, Any]]:
        """The events carried by this request, for both the batch and the single-event shapes."""
        if isinstance(self.body, dict):
            if isinstance(self.body.get("batch"), list):
                return [e for e in self.body["batch"] if isinstance(e, dict)]
            if "event" in self.body:
                return [self.body]
        if isinstance(self.body, list):
            return [e for e in self.body if isinstance(e, dict)]
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
                request = ReceivedRequest(
                    method=self.command,
                    path=self.path,
                    headers=headers,
                    raw_body=raw,
                    body=_decode(headers, raw),
                    at=time.monotonic(),
                )
                with owner._lock:
                    owner.requests.append(request)
                mode = owner.mode
                if mode == "hang":
                    owner._stopping.wait(owner.hang_seconds)
                    self.close_connection = True
                    return
                is_ingest = self.path.split("?", 1)[0].rstrip("/") in INGEST_PATHS
                redirect = mode == "redirect" and is_ingest
                status = (owner.redirect_status if redirect else _STATUS[mode]) if is_ingest else 404
                payload = json.dumps({"status": 1} if status == 200 else {"error": mode}).encode()
                self.send_response(status)
                if redirect:
                    self.send_header("Location", owner.redirect_to)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

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

    def reset(self, mode: Mode = "ok") -> None:
        with self._lock:
            self.requests.clear()
        self.mode = mode

    def snapshot(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self.requests)

    def events(self) -> list[dict[str, Any]]:
        """Every event received so far, in arrival order (only from requests answered 200 in ``ok`` mode)."""
        return [event for request in self.snapshot() for event in request.events]

    def wait_for_events(self, count: int, *, timeout: float) -> list[dict[str, Any]]:
        """Poll (bounded by ``timeout``) until at least ``count`` events arrived; return what arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self.events()
            if len(events) >= count:
                return events
            time.sleep(0.02)
        return self.events()

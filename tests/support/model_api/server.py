"""One loopback HTTP server for both fake model APIs: the Anthropic Messages API (``/v1/messages``) and the OpenAI
Responses API (``/v1/responses``), answering from one :class:`~tests.support.model_api.script.ModelScript` and
recording every request in one :class:`~tests.support.model_api.recording.RequestLog`.

The listening socket can be handed in, so a test can create it inside a network namespace (see
``tests/support/netns.py``) and still serve it from a thread of the test process. Every read has a timeout, every
connection is closed when the server stops, and it only ever listens on a loopback address.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from tests.support.model_api import anthropic_messages, openai_responses
from tests.support.model_api.recording import RecordedRequest, RequestLog, redact
from tests.support.model_api.script import ModelScript
from tests.support.model_api.sse import SseStream

__all__ = ["ModelApiServer", "Responder"]

READ_TIMEOUT = 30.0
"""Seconds a connection may stay silent (between requests, or mid-request) before the server drops it."""
MAX_BODY = 64 * 1024 * 1024


class Responder:
    """What an API module needs to answer one request: the recorded request, JSON replies, an SSE stream."""

    def __init__(self, handler: _Handler, record: RecordedRequest, server: ModelApiServer) -> None:
        self._handler = handler
        self.record = record
        self.script = server.script
        self._server = server

    def _finish(self, status: int) -> None:
        self.record.status = status
        self._server.log.touch()

    def send_json(self, status: int, body: object, headers: Iterable[tuple[str, str]] = ()) -> None:
        payload = json.dumps(body).encode()
        handler = self._handler
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(payload)))
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)
        handler.wfile.flush()
        self._finish(status)

    def send_empty(self, status: int, headers: Iterable[tuple[str, str]] = ()) -> None:
        handler = self._handler
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("content-length", "0")
        handler.end_headers()
        handler.wfile.flush()
        self._finish(status)

    def open_stream(self, headers: Iterable[tuple[str, str]] = ()) -> SseStream:
        handler = self._handler
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream; charset=utf-8")
        handler.send_header("cache-control", "no-cache")
        handler.send_header("transfer-encoding", "chunked")
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.flush()
        self._finish(200)
        events = self.record.events

        def sent(at: float, name: str) -> None:
            events.append((at, name))
            self._server.log.touch()

        return SseStream(handler.wfile, stopping=self._server.stopping, on_sent=sent)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT
    server: _HttpServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.owner.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner.untrack(self.connection)

    def _read_body(self) -> Any:
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            raise ValueError(f"request body of {length} bytes")
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode("utf-8", "replace")

    def _dispatch(self) -> None:
        owner = self.server.owner
        path = urlsplit(self.path).path
        body = self._read_body()
        api = _api_of(path, self.headers)
        record = RecordedRequest(api, self.command, self.path, redact(dict(self.headers)), body, time.monotonic())
        owner.log.add(record)
        responder = Responder(self, record, owner)
        if api == "anthropic":
            anthropic_messages.answer(responder, path)
        else:
            openai_responses.answer(
                responder, path, upgrade=self.headers.get("upgrade", ""), websocket_status=owner.websocket_status
            )

    def _answer(self) -> None:
        """Answer one request; a failure of the fake itself is a problem the test is failed with, not only a
        traceback on stderr and a CLI that saw its connection drop."""
        try:
            self._dispatch()
        except Exception as error:
            self.server.owner.script.report("server", f"the fake failed on {self.command} {self.path}: {error!r}")
            raise

    def do_POST(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()


def _api_of(path: str, headers: Any) -> str:
    if path.startswith("/v1/messages") or headers.get("anthropic-version") or headers.get("x-api-key"):
        return "anthropic"
    if path.startswith(("/v1/responses", "/v1/models")) or headers.get("authorization"):
        return "openai"
    return "other"


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: ModelApiServer


class ModelApiServer:
    """``with ModelApiServer(script) as api: ...`` serves both fake APIs at ``api.url`` until the block ends."""

    def __init__(
        self,
        script: ModelScript,
        *,
        sock: socket.socket | None = None,
        websocket_status: int = 426,
    ) -> None:
        self.script = script
        self.log = RequestLog()
        self.stopping = threading.Event()
        self.websocket_status = websocket_status
        """The answer to a WebSocket upgrade of ``/v1/responses`` (426: "use HTTP", which codex falls back on)."""
        self._sock = sock
        self._server: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def track(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def start(self) -> Self:
        server = _HttpServer(("127.0.0.1", 0), _Handler, bind_and_activate=False)
        server.owner = self
        if self._sock is not None:
            server.socket.close()
            server.socket = self._sock
        else:
            server.server_bind()
        host = server.socket.getsockname()[0]
        if not ipaddress.ip_address(host).is_loopback:
            server.server_close()
            raise ValueError(f"the fake model API only listens on loopback, not {host}")
        server.server_address = server.socket.getsockname()
        server.server_activate()
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

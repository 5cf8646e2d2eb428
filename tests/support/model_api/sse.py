"""Server-sent events over HTTP/1.1 chunked transfer encoding, as both model APIs stream them.

Each event is written and flushed as its own chunk, and the moment it left is recorded, so a test can compare
when the model "said" something with when the CLI printed it. Delays between events stand in for a model's
latency; they end early when the server stops.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from io import BufferedIOBase

__all__ = ["SseStream", "encode_event"]


def encode_event(name: str | None, data: object) -> bytes:
    head = f"event: {name}\n" if name is not None else ""
    return f"{head}data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


class SseStream:
    def __init__(
        self, out: BufferedIOBase, *, stopping: threading.Event, on_sent: Callable[[float, str], None]
    ) -> None:
        self._out = out
        self._stopping = stopping
        self._on_sent = on_sent
        self.broken = False

    def _write_chunk(self, payload: bytes) -> None:
        self._out.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
        self._out.flush()

    def send(self, name: str | None, data: object, *, delay: float = 0.0) -> bool:
        """Wait ``delay`` seconds, then send one event; False once the client went away or the server is stopping."""
        if self.broken or (delay > 0 and self._stopping.wait(delay)) or self._stopping.is_set():
            return False
        try:
            self._write_chunk(encode_event(name, data))
        except OSError:
            self.broken = True
            return False
        label = name if name is not None else str(data.get("type", "")) if isinstance(data, dict) else ""
        self._on_sent(time.monotonic(), label)
        return True

    def end(self) -> None:
        """The last chunk: the response is complete and the connection may be reused."""
        if self.broken:
            return
        try:
            self._out.write(b"0\r\n\r\n")
            self._out.flush()
        except OSError:
            self.broken = True

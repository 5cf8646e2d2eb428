"""A loopback web server holding releases laid out as install.sh's ``ARCHON_INSTALL_BASE_URL`` expects:
``<base>/v<version>/{SHA256SUMS, archon-<target>.tar.gz}`` and ``<base>/latest/``. It records every request."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["ReleaseServer", "serve_releases", "tampered_copy"]


@dataclass
class ReleaseServer:
    root: Path
    url: str = ""
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, folder: str, files: Iterable[Path]) -> Path:
        """Copy ``files`` into ``<root>/<folder>/`` (replacing what was there); returns that folder."""
        target = self.root / folder
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for file in files:
            shutil.copy2(file, target / file.name)
        return target

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))

    def take_requests(self) -> list[tuple[str, str]]:
        with self._lock:
            taken, self.requests = self.requests, []
        return taken


def tampered_copy(source: Path, dest: Path) -> Path:
    """``source`` with one bit flipped in its middle, at ``dest``: what a corrupted or altered download looks like."""
    data = bytearray(source.read_bytes())
    data[len(data) // 2] ^= 0x01
    dest.write_bytes(bytes(data))
    return dest


@contextmanager
def serve_releases(root: Path) -> Iterator[ReleaseServer]:
    root.mkdir(parents=True, exist_ok=True)
    server = ReleaseServer(root)

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            server.record("GET", self.path)
            super().do_GET()

        def do_HEAD(self) -> None:
            server.record("HEAD", self.path)
            super().do_HEAD()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)

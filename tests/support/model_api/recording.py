"""Every request the fake model APIs receive, kept for assertions: path, headers without secrets, decoded body,
what the script answered and when each streamed event left the server."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SECRET_HEADERS", "RecordedRequest", "RequestLog", "redact"]

SECRET_HEADERS = frozenset({"x-api-key", "authorization", "cookie", "proxy-authorization"})


def redact(headers: dict[str, str]) -> dict[str, str]:
    """Header names lower-cased; secrets replaced by what kind of secret they were (``Bearer``, ``x-api-key``) and a
    short fingerprint, so a test can still tell which key was sent without the key being kept."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if key == "authorization" and " " in value else key
            out[key] = f"<{scheme} {len(value)} chars, ends {value[-4:]!r}>"
        else:
            out[key] = value
    return out


@dataclass
class RecordedRequest:
    api: str
    """``anthropic``, ``openai`` or ``other`` (a path neither fake serves)."""
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float
    """``time.monotonic()`` when the request was read."""
    label: str = ""
    """Which script step answered (``marker#step``, ``side``), or why none did."""
    status: int | None = None
    events: list[tuple[float, str]] = field(default_factory=list)
    """(``time.monotonic()``, event name) for every streamed event, when it was flushed to the socket."""

    @property
    def json(self) -> dict[str, Any]:
        assert isinstance(self.body, dict), f"{self.method} {self.path} had no JSON object body"
        return self.body


@dataclass
class RequestLog:
    _requests: list[RecordedRequest] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def add(self, request: RecordedRequest) -> None:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()

    def touch(self) -> None:
        """Wake waiters after a recorded request changed (its status or events)."""
        with self._changed:
            self._changed.notify_all()

    def all(self, api: str | None = None) -> list[RecordedRequest]:
        with self._changed:
            return [r for r in self._requests if api is None or r.api == api]

    def wait_for(self, count: int, *, api: str | None = None, timeout: float = 30.0) -> list[RecordedRequest]:
        """Block until at least ``count`` requests (of ``api``) were received; raise TimeoutError after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [r for r in self._requests if api is None or r.api == api]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(found)} of {count} requests arrived within {timeout}s")
                self._changed.wait(left)

    def clear(self) -> None:
        with self._changed:
            self._requests.clear()

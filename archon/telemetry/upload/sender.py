"""The sender: the one module that imports ``posthog`` (lazily, inside :class:`Sender`), in the flusher process only.

A batch goes out through the library's own request layer, ``posthog.request.batch_post``: its JSON encoding, its
headers (``Content-Type``, ``User-Agent: posthog-python/<version>``), its ``/batch/`` endpoint, and its answer
(``APIError`` with the HTTP status and ``Retry-After``). The events are posted exactly as they were stored, field
for field: archon builds each event complete when it is recorded (:mod:`archon.telemetry.recorder`), so no
``Posthog`` client is made and ``capture()`` is never called. That is what keeps the library from adding anything
to an event (``$lib``, ``$os``, ``$python_version`` ...), from probing the system for those, or from starting a
thread, a retry or an exit hook of its own. The body carries ``batch``, ``api_key`` (the project key embedded at
build time), ``historical_migration: false`` and ``sent_at``, all added by ``batch_post``.

What was posted is exactly what :class:`SendResult` reports as ``sent`` (and what the sent log and ``telemetry
inspect`` show).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from archon.buildinfo import BuildInfo
from archon.telemetry.outbox.event_file import StoredEvent

__all__ = ["SendResult", "Sender", "silence_posthog_logging"]

_RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})

Outcome = Literal["accepted", "retry", "rejected"]


@dataclass(frozen=True)
class SendResult:
    """The server's answer to one batch.

    ``accepted``: 200, delete the batch. ``retry``: network error, timeout, 5xx, 408, 429 or a redirect (3xx,
    never followed), keep it.
    ``rejected``: any other 4xx, the server will never take it, drop it.
    """

    outcome: Outcome
    sent: tuple[StoredEvent, ...] = ()
    status: int | None = None
    retry_after: float | None = None
    error: str | None = None


def silence_posthog_logging() -> None:
    """The library logs upload errors at ERROR level, which would reach stderr. Telemetry is never noisy."""
    logger = logging.getLogger("posthog")
    logger.disabled = True
    logger.propagate = False
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())


class Sender:
    """Sends batches for one flusher run. Importing ``posthog`` happens here, never in the CLI process."""

    def __init__(self, *, build: BuildInfo) -> None:
        import requests  # a dependency of posthog; loaded only in the flusher process
        from posthog.request import APIError, batch_post  # the whole point: only the flusher imports posthog

        silence_posthog_logging()
        self._api_key = build.posthog_key
        self._host = build.posthog_host
        self._api_error = APIError
        self._batch_post = batch_post
        self._requests = requests
        # A session of our own: no transport-level retries, so one attempt costs at most one timeout. And no
        # redirects: events and the key go to the build-time host only, never to wherever it points, which
        # would bypass the proxy and the https/no-query checks the host passed at build time.
        self._session = requests.Session()
        self._session.max_redirects = 0

    def post(self, events: Sequence[StoredEvent], *, timeout: float) -> SendResult:
        """Post ``events`` in one request, waiting at most about ``timeout`` seconds. Never raises."""
        sent = tuple(events)
        try:
            self._batch_post(
                self._api_key,
                self._host,
                gzip=False,
                timeout=timeout,
                batch=list(sent),
                historical_migration=False,
                session=self._session,
            )
        except Exception as exc:  # whatever the library or the transport raised: decide from what it was
            return self._failed(exc, sent)
        return SendResult("accepted", sent, status=200)

    def _failed(self, exc: Exception, sent: tuple[StoredEvent, ...]) -> SendResult:
        if isinstance(exc, self._api_error):
            return _from_status(exc.status, exc.retry_after, sent)
        if isinstance(exc, self._requests.TooManyRedirects):  # a 3xx: refused before anything went to Location
            return _redirected(exc.response, sent)
        if isinstance(exc, self._requests.Timeout):
            return SendResult("retry", sent, error="timeout")
        if isinstance(exc, self._requests.RequestException | OSError):
            return SendResult("retry", sent, error="connection error")
        # anything else the library raises: keep the events, try again later
        return SendResult("retry", sent, error="unexpected error")

    def close(self) -> None:
        self._session.close()


def _redirected(response: Any, sent: tuple[StoredEvent, ...]) -> SendResult:
    """A redirect is kept and retried with backoff, like a 5xx: it is most likely a misconfigured proxy or host,
    which someone will fix, and dropping the events would lose them for good."""
    status = getattr(response, "status_code", None)
    code = status if isinstance(status, int) else None
    error = f"HTTP {code} (redirect not followed)" if code else "redirect not followed"
    return SendResult("retry", sent, status=code, error=error)


def _from_status(status: object, retry_after: float | None, sent: tuple[StoredEvent, ...]) -> SendResult:
    if not isinstance(status, int):
        return SendResult("retry", sent, error="bad response")
    if 400 <= status < 500 and status not in _RETRYABLE_CLIENT_ERRORS:
        return SendResult("rejected", sent, status=status, error=f"HTTP {status}")
    return SendResult("retry", sent, status=status, retry_after=retry_after, error=f"HTTP {status}")

"""The one module that imports ``posthog`` (lazily, inside :class:`Sender`), used only by the flusher process.

How a batch goes out, and why this way:

1. An explicit ``Posthog`` client (never the module-level default client) turns each stored event into the
   library's wire form: ``capture()`` with the record-time ``uuid`` and ``timestamp``, GeoIP disabled,
   ``is_server=False``, the capture mode and compression pinned (so ``POSTHOG_CAPTURE_MODE`` and
   ``POSTHOG_CAPTURE_COMPRESSION`` change nothing). The library adds its own properties (``$lib``,
   ``$lib_version``, ``$geoip_disable``, and also ``$os``, ``$os_version``, ``$os_distro``,
   ``$python_runtime``, ``$python_version``, ``$release_id`` from ``POSTHOG_RELEASE_ID``...).
2. Its ``before_send`` hook, which runs after all of that, is :func:`strip_to_allow_list`: every property that
   is not declared for that event in :mod:`archon.telemetry.events` (or common, privacy, or one of the three
   library properties archon documents) is removed, and an undeclared event is dropped.
3. The client is built with ``send=False``, so ``capture()`` hands the final event to ``before_send`` and stops:
   no background thread, no atexit flush, no hidden retries. The events ``before_send`` returned are then posted
   as one batch with the library's own ``posthog.request.batch_post`` (its JSON encoding, headers and ``/batch/``
   endpoint), which raises ``APIError`` with the HTTP status. That per-batch answer is what the flusher needs to
   decide: delete, keep for later, or drop as rejected.

What is posted is exactly what ``before_send`` returned, and that is what :class:`SendResult` reports as
``sent`` (and what the history log and ``telemetry inspect`` show).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from archon.buildinfo import BuildInfo
from archon.telemetry.events import ALL_EVENTS, PRIVACY_PROPERTIES, SDK_PROPERTIES, CommonProperties
from archon.telemetry.queued import QueuedEvent

__all__ = ["Batch", "SendResult", "Sender", "allowed_properties", "strip_to_allow_list"]

_WIRE_FIELDS = ("event", "distinct_id", "uuid", "timestamp")
_RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})

Outcome = Literal["accepted", "retry", "rejected"]


@cache
def _allow_list() -> Mapping[str, frozenset[str]]:
    shared = {f.name for f in dataclasses.fields(CommonProperties)} | set(PRIVACY_PROPERTIES) | set(SDK_PROPERTIES)
    return {event.NAME: frozenset({f.name for f in dataclasses.fields(event)} | shared) for event in ALL_EVENTS}


def allowed_properties(event_name: str) -> frozenset[str] | None:
    """Every property that may leave the machine with ``event_name``; None for an undeclared event."""
    return _allow_list().get(event_name)


def strip_to_allow_list(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``before_send`` filter: keep declared properties only; drop undeclared events (None)."""
    name = message.get("event")
    allowed = allowed_properties(name) if isinstance(name, str) else None
    if allowed is None:
        return None
    properties = message.get("properties")
    kept = {k: v for k, v in properties.items() if k in allowed} if isinstance(properties, Mapping) else {}
    final: dict[str, Any] = {key: message[key] for key in _WIRE_FIELDS if key in message}
    final["properties"] = kept
    return final


@dataclass(frozen=True)
class Batch:
    """Events in their final wire form, ready for one request; ``unsendable`` were refused by the filter."""

    wire: tuple[dict[str, Any], ...]
    unsendable: int = 0


@dataclass(frozen=True)
class SendResult:
    """The server's answer to one batch.

    ``accepted``: 200, delete the batch. ``retry``: network error, timeout, 5xx, 408, 429 or a redirect (3xx,
    never followed), keep it.
    ``rejected``: any other 4xx, the server will never take it, drop it. ``unsendable`` counts events the
    allow-list filter refused (undeclared event names); they are never sent.
    """

    outcome: Outcome
    sent: tuple[QueuedEvent, ...] = ()
    status: int | None = None
    retry_after: float | None = None
    error: str | None = None
    unsendable: int = 0


def silence_posthog_logging() -> None:
    """The library logs upload errors at ERROR level, which would reach stderr. Telemetry is never noisy."""
    logger = logging.getLogger("posthog")
    logger.disabled = True
    logger.propagate = False
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())


def _as_queued(message: Mapping[str, Any]) -> QueuedEvent:
    return QueuedEvent(
        event=str(message["event"]),
        distinct_id=str(message["distinct_id"]),
        uuid=str(message["uuid"]),
        timestamp=str(message["timestamp"]),
        properties=dict(message["properties"]),
    )


class Sender:
    """Sends batches for one flusher run. Importing ``posthog`` happens here, never in the CLI process."""

    def __init__(self, *, build: BuildInfo) -> None:
        import requests  # noqa: PLC0415 - a dependency of posthog; loaded only in the flusher process
        from posthog import Posthog  # noqa: PLC0415 - the whole point: only the flusher imports posthog
        from posthog.request import APIError, batch_post  # noqa: PLC0415

        silence_posthog_logging()
        self._api_error = APIError
        self._batch_post = batch_post
        self._requests = requests
        self._wire: list[dict[str, Any]] = []
        self._client = Posthog(
            build.posthog_key,
            host=build.posthog_host,
            send=False,
            sync_mode=True,
            disable_geoip=True,
            is_server=False,
            before_send=self._before_send,
            capture_mode="v0",
            capture_compression="none",
            gzip=False,
            max_retries=0,
            enable_exception_autocapture=False,
            enable_local_evaluation=False,
        )
        silence_posthog_logging()
        # A session of our own: no transport-level retries, so one attempt costs at most one timeout. And no
        # redirects: events and the key go to the build-time host only, never to wherever it points, which
        # would bypass the proxy and the https/no-query checks the host passed at build time.
        self._session = requests.Session()
        self._session.max_redirects = 0

    def _before_send(self, message: dict[str, Any]) -> dict[str, Any] | None:
        final = strip_to_allow_list(message)
        if final is not None:
            self._wire.append(final)
        return final

    def prepare(self, events: Sequence[QueuedEvent]) -> Batch:
        """The wire form of ``events``: what the library makes of them, after the allow-list filter."""
        self._wire = []
        for event in events:
            self._client.capture(
                event["event"],
                distinct_id=event["distinct_id"],
                properties=dict(event["properties"]),
                timestamp=event["timestamp"],
                uuid=event["uuid"],
            )
        wire, self._wire = self._wire, []
        return Batch(wire=tuple(wire), unsendable=len(events) - len(wire))

    def post(self, batch: Batch, *, timeout: float) -> SendResult:
        """Post ``batch`` in one request, waiting at most about ``timeout`` seconds. Never raises."""
        unsendable = batch.unsendable
        if not batch.wire:
            return SendResult("rejected", unsendable=unsendable)
        sent = tuple(_as_queued(message) for message in batch.wire)
        try:
            self._batch_post(
                self._client.api_key,
                self._client.host,
                gzip=False,
                timeout=timeout,
                batch=list(batch.wire),
                historical_migration=False,
                session=self._session,
            )
        except Exception as exc:  # whatever the library or the transport raised: decide from what it was
            return self._failed(exc, sent, unsendable)
        return SendResult("accepted", sent, status=200, unsendable=unsendable)

    def _failed(self, exc: Exception, sent: tuple[QueuedEvent, ...], unsendable: int) -> SendResult:
        if isinstance(exc, self._api_error):
            return _from_status(exc.status, exc.retry_after, sent, unsendable)
        if isinstance(exc, self._requests.TooManyRedirects):  # a 3xx: refused before anything went to Location
            return _redirected(exc.response, sent, unsendable)
        if isinstance(exc, self._requests.Timeout):
            return SendResult("retry", sent, error="timeout", unsendable=unsendable)
        if isinstance(exc, self._requests.RequestException | OSError):
            return SendResult("retry", sent, error="connection error", unsendable=unsendable)
        # anything else the library raises: keep the events, try again later
        return SendResult("retry", sent, error="unexpected error", unsendable=unsendable)

    def send(self, events: Sequence[QueuedEvent], *, timeout: float) -> SendResult:
        """:meth:`prepare` then :meth:`post`."""
        return self.post(self.prepare(events), timeout=timeout)

    def close(self) -> None:
        self._session.close()


def _redirected(response: Any, sent: tuple[QueuedEvent, ...], unsendable: int) -> SendResult:
    """A redirect is kept and retried with backoff, like a 5xx: it is most likely a misconfigured proxy or host,
    which someone will fix, and dropping the events would lose them for good."""
    status = getattr(response, "status_code", None)
    code = status if isinstance(status, int) else None
    error = f"HTTP {code} (redirect not followed)" if code else "redirect not followed"
    return SendResult("retry", sent, status=code, error=error, unsendable=unsendable)


def _from_status(
    status: object, retry_after: float | None, sent: tuple[QueuedEvent, ...], unsendable: int
) -> SendResult:
    if not isinstance(status, int):
        return SendResult("retry", sent, error="bad response", unsendable=unsendable)
    if 400 <= status < 500 and status not in _RETRYABLE_CLIENT_ERRORS:
        return SendResult("rejected", sent, status=status, error=f"HTTP {status}", unsendable=unsendable)
    return SendResult(
        "retry", sent, status=status, retry_after=retry_after, error=f"HTTP {status}", unsendable=unsendable
    )

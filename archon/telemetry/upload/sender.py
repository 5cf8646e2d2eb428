"""The sender: the one module that imports ``posthog`` (lazily, inside :class:`Sender`), in the flusher process only.

A batch goes out through the library's own request layer, ``posthog.request.batch_post``: its JSON encoding, its
headers (``Content-Type``, ``User-Agent: posthog-python/<version>``), its ``/batch/`` endpoint, and its answer
(``APIError`` with the HTTP status and ``Retry-After``). The events are posted exactly as they were stored, field
for field: archon builds each event complete when it is recorded (:mod:`archon.telemetry.recorder`), so no
``Posthog`` client is made and ``capture()`` is never called. That is what keeps the library from adding anything
to an event (``$lib``, ``$os``, ``$python_version`` ...), from probing the system for those (its OS probe runs
``lsb_release`` and ``uname``), or from starting a thread, a retry or an exit hook of its own. The body carries
``batch``, ``api_key`` (the project key embedded at build time), ``historical_migration: false`` and ``sent_at``,
all added by ``batch_post``.

Nothing ambient rides along. The ``requests`` session ignores the environment (``trust_env = False``): no
credentials from ``~/.netrc`` or ``$NETRC`` (requests would add them as ``Authorization: Basic`` to every request),
and it keeps no cookie a server or a proxy sets. What a corporate network needs is taken from the environment on
purpose, and only that: the proxy for the host's scheme (``https_proxy``, ``http_proxy``, ``all_proxy``, with
``no_proxy``; lower case first, as curl and requests read them) and a CA bundle (``REQUESTS_CA_BUNDLE``,
``CURL_CA_BUNDLE``). It follows no redirect, and makes one attempt per request.

What an answer means (:class:`Outcome`) follows what PostHog's capture service answers (docs/telemetry.md cites
its sources): any 2xx is accepted; 400 refuses the whole batch at its first invalid event and 413 a body too large,
so the drain splits such a batch to find what to drop; 401, 403, 404, a redirect or any other 4xx point at a
misconfigured proxy or host, so the events are held for a long while; a network error, a timeout, 408, 429 and 5xx
are held for a short while (``Retry-After`` honoured).
"""

from __future__ import annotations

import http.cookiejar
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from archon.buildinfo import BuildInfo
from archon.runtime import ENV_ALL_PROXY, ENV_CA_BUNDLES, ENV_HTTP_PROXY, ENV_HTTPS_PROXY, ENV_NO_PROXY
from archon.telemetry.outbox.event_file import StoredEvent

__all__ = ["Outcome", "SendResult", "Sender", "ca_bundle", "from_status", "proxy_settings", "silence_posthog_logging"]

_SHORT_WAIT_CLIENT_ERRORS = frozenset({408, 429})
_SCHEME_PROXY = {"https": ENV_HTTPS_PROXY, "http": ENV_HTTP_PROXY}


class Outcome(StrEnum):
    """What the answer to one request means for the events it carried."""

    ACCEPTED = "accepted"
    """Any 2xx: capture took them (over-quota projects get a 200 too: accepted by capture, not necessarily
    stored)."""
    RETRY = "retry"
    """A network error, a timeout, 408, 429 or 5xx: keep them, try again soon."""
    HOLD = "hold"
    """401, 403, 404, a redirect (never followed) or another 4xx: most likely a misconfigured proxy or host, which
    someone will fix. Keep them, try again after a long while."""
    INVALID = "invalid"
    """400: capture refused the whole batch at its first invalid event."""
    TOO_LARGE = "too-large"
    """413: the body is over capture's (or a proxy's) size limit."""
    FAILED = "failed"
    """The sender itself failed (a broken install, a bug): nothing was sent; keep them."""


@dataclass(frozen=True)
class SendResult:
    """The answer to one request."""

    outcome: Outcome
    sent: tuple[StoredEvent, ...] = ()
    status: int | None = None
    """The HTTP status, when the server answered."""
    retry_after: float | None = None
    error: str | None = None
    """A short fixed phrase for what went wrong (``HTTP 503``, ``timeout``, ``connection error``)."""


def silence_posthog_logging() -> None:
    """The library logs upload errors at ERROR level, which would reach stderr. Telemetry is never noisy."""
    logger = logging.getLogger("posthog")
    logger.disabled = True
    logger.propagate = False
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())


def _setting(env: Mapping[str, str], name: str) -> str | None:
    """A proxy variable, lower case first (as curl and requests read them); None when unset or empty."""
    return env.get(name) or env.get(name.upper()) or None


def proxy_settings(host: str, env: Mapping[str, str]) -> dict[str, str]:
    """The proxy for ``host`` the user set in ``env`` (``{scheme: proxy_url}``), or none. Read on purpose, since
    the session ignores the environment: ``<scheme>_proxy``, else ``all_proxy``, unless ``no_proxy`` names the
    host (requests' own matching: names, domain suffixes, addresses, CIDR ranges, ``*``)."""
    from requests.utils import should_bypass_proxies  # only the flusher loads requests

    scheme = urlsplit(host).scheme
    own = _SCHEME_PROXY.get(scheme)
    proxy = (_setting(env, own) if own else None) or _setting(env, ENV_ALL_PROXY)
    if proxy is None or should_bypass_proxies(host, no_proxy=_setting(env, ENV_NO_PROXY) or ""):
        return {}
    return {scheme: proxy}


def ca_bundle(env: Mapping[str, str]) -> str | bool:
    """A CA bundle the user named (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``), else requests' own (certifi)."""
    return next((env[name] for name in ENV_CA_BUNDLES if env.get(name)), True)


class Sender:
    """Sends batches for one flusher run. Importing ``posthog`` happens here, never in the CLI process."""

    def __init__(self, *, build: BuildInfo, env: Mapping[str, str]) -> None:
        import requests  # a dependency of posthog; loaded only in the flusher process
        from posthog.request import APIError, batch_post  # the whole point: only the flusher imports posthog

        silence_posthog_logging()
        self._api_key = build.posthog_key
        self._host = build.posthog_host
        self._api_error = APIError
        self._batch_post = batch_post
        self._requests = requests
        # A session of our own, which trusts nothing ambient (see the module docstring) and keeps no cookie. No
        # transport-level retries, so one attempt costs at most one timeout. And no redirects: events and the key
        # go to the build-time host only, never to wherever it points, which would bypass the proxy and the
        # https/no-query checks the host passed at build time.
        session = requests.Session()
        session.trust_env = False
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        session.proxies = proxy_settings(self._host, env)
        session.verify = ca_bundle(env)
        session.max_redirects = 0
        self._session = session

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
        return SendResult(Outcome.ACCEPTED, sent, status=200)

    def _failed(self, exc: Exception, sent: tuple[StoredEvent, ...]) -> SendResult:
        if isinstance(exc, self._api_error):
            return from_status(exc.status, exc.retry_after, sent)
        if isinstance(exc, self._requests.TooManyRedirects):  # a 3xx: refused before anything went to Location
            return _redirected(exc.response, sent)
        if isinstance(exc, self._requests.Timeout):
            return SendResult(Outcome.RETRY, sent, error="timeout")
        if isinstance(exc, self._requests.RequestException | OSError):
            return SendResult(Outcome.RETRY, sent, error="connection error")
        # anything else the library raises: keep the events, try again later
        return SendResult(Outcome.FAILED, sent, error=f"sender error ({type(exc).__name__})")

    def close(self) -> None:
        self._session.close()


def _redirected(response: Any, sent: tuple[StoredEvent, ...]) -> SendResult:
    """A redirect is held like a 404: it is most likely a misconfigured proxy or host, which someone will fix, and
    dropping the events would lose them for good."""
    status = getattr(response, "status_code", None)
    code = status if isinstance(status, int) else None
    error = f"HTTP {code} (redirect not followed)" if code else "redirect not followed"
    return SendResult(Outcome.HOLD, sent, status=code, error=error)


def from_status(status: object, retry_after: float | None, sent: tuple[StoredEvent, ...] = ()) -> SendResult:
    """What an HTTP status (from ``posthog.request.APIError``, which the library raises for every answer but 200)
    means for the events (see :class:`Outcome`)."""
    if not isinstance(status, int):
        return SendResult(Outcome.RETRY, sent, error="bad response")
    error = f"HTTP {status}"
    if 200 <= status < 300:
        return SendResult(Outcome.ACCEPTED, sent, status=status)
    if status == 400:
        outcome = Outcome.INVALID
    elif status == 413:
        outcome = Outcome.TOO_LARGE
    elif (400 <= status < 500 and status not in _SHORT_WAIT_CLIENT_ERRORS) or 300 <= status < 400:
        outcome = Outcome.HOLD
    else:
        outcome = Outcome.RETRY
    return SendResult(outcome, sent, status=status, retry_after=retry_after, error=error)

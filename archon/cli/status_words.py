"""The sentences ``archon telemetry status`` says about delivery: how the last attempt ended, and what most likely
made the server hold the events. Loaded only by ``status``."""

from __future__ import annotations

from archon.telemetry.outbox.counters import AttemptOutcome, DeliveryCounters

__all__ = ["last_attempt_outcome", "likely_cause"]

_OUTCOMES = {
    AttemptOutcome.ACCEPTED: "accepted",
    AttemptOutcome.DROPPED_INVALID: "dropped: invalid ({invalid} event(s); the server said {status})",
    AttemptOutcome.HELD_NETWORK: "held: network ({error})",
    AttemptOutcome.HELD_SERVER: "held: server said {status}",
    AttemptOutcome.HELD_ERROR: "held: {error}",
}


def last_attempt_outcome(counters: DeliveryCounters) -> str | None:
    """How the last delivery attempt ended: ``accepted``, ``held: network (timeout)``, ``held: server said 503``,
    ``held: sender error (ImportError)``, ``dropped: invalid``, and how many events it dropped as invalid; None
    before any attempt."""
    outcome = counters.last_outcome
    if outcome is None:
        return None
    status = counters.last_status if counters.last_status is not None else counters.last_error or "no status"
    text = _OUTCOMES[outcome].format(
        status=status, error=counters.last_error or "no answer", invalid=counters.last_invalid
    )
    if counters.last_invalid and outcome is not AttemptOutcome.DROPPED_INVALID:
        text += f"; {counters.last_invalid} event(s) dropped: invalid"
    return text


_LIKELY_CAUSES = {
    401: (
        "the request reached PostHog without a project key it could use: a reverse proxy that forwards the wrong "
        "Host header or changes the body (PostHog documents 401 as that symptom), or a build without a valid key"
    ),
    403: (
        "PostHog does not accept this project key: a proxy pointed at the wrong PostHog region or instance, or a "
        "key that was revoked"
    ),
    404: (
        "nothing answers at that path: a proxy that does not forward PostHog's /batch/ path, or a host with a "
        "mistyped path"
    ),
}
_REDIRECT = (
    "the host, or a proxy in front of it, answered with a redirect, which archon never follows: point the build's "
    "host, or the proxy, at the final address"
)
_REFUSED = "the server, or a proxy in front of it, refused the request as made: check the proxy's configuration"


def likely_cause(counters: DeliveryCounters) -> str | None:
    """What most likely made the server hold the events, when its answer points at a misconfiguration."""
    status = counters.last_status
    if counters.last_outcome is not AttemptOutcome.HELD_SERVER:
        return None
    if status is None or 300 <= status < 400:
        return _REDIRECT
    if 400 <= status < 500 and status not in (408, 429):
        return _LIKELY_CAUSES.get(status, _REFUSED)
    return None

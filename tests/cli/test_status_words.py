"""How ``status`` words the last delivery attempt, and the likely cause of a hold (the lines themselves:
tests/cli/test_telemetry_cmd.py)."""

from __future__ import annotations

import pytest

from archon.cli.status_words import last_attempt_outcome, likely_cause
from archon.telemetry.outbox.counters import AttemptOutcome, DeliveryCounters


def test_no_attempt_yet_has_no_words() -> None:
    assert last_attempt_outcome(DeliveryCounters()) is None
    assert likely_cause(DeliveryCounters()) is None


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "Host header"),
        (403, "region"),
        (404, "/batch/"),
        (307, "redirect"),
        (405, "refused the request"),
        (None, "redirect"),  # a redirect that came without a status
    ],
)
def test_an_answer_that_points_at_a_misconfiguration_names_a_likely_cause(status: int | None, words: str) -> None:
    counters = DeliveryCounters(last_outcome=AttemptOutcome.HELD_SERVER, last_status=status)
    cause = likely_cause(counters)
    assert cause is not None
    assert words in cause


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_an_answer_that_only_asks_to_wait_names_no_cause(status: int) -> None:
    counters = DeliveryCounters(last_outcome=AttemptOutcome.HELD_SERVER, last_status=status)
    assert likely_cause(counters) is None
    assert last_attempt_outcome(counters) == f"held: server said {status}"


def test_invalid_events_dropped_by_an_attempt_are_counted_in_its_words() -> None:
    counters = DeliveryCounters(last_outcome=AttemptOutcome.ACCEPTED, last_invalid=3, last_status=400)
    assert last_attempt_outcome(counters) == "accepted; 3 event(s) dropped: invalid"
    dropped = DeliveryCounters(last_outcome=AttemptOutcome.DROPPED_INVALID, last_invalid=1, last_status=413)
    assert last_attempt_outcome(dropped) == "dropped: invalid (1 event(s); the server said 413)"

"""Delivery follows what PostHog's capture service really answers, and ``archon telemetry status`` tells the truth
about the last attempt, whatever made it fail.

What capture answers (PostHog/posthog ``rust/capture``; docs/telemetry.md cites the files): 200 (also for a project
over its quota), 400 for the whole batch at its first invalid event, 401/403 for a missing or unknown key (which is
what a proxy that rewrites the Host header wrongly produces), 413 for a body over the size limit, 429 and 503 to
come back later. A proxy in front adds 404 for a path it does not forward. Each test drives the real keyed wheel
against the loopback ingest server answering that way; none imports archon.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.harness import Cli
from tests.support.ingest import Mode

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see archon's processes"),
]

QUIET_SECONDS = 1.0
EVENTS_PER_RUN = 2  # cli.command_invoked + cli.command_completed


def _quiet(cli: Cli) -> None:
    cli.settle()
    time.sleep(QUIET_SECONDS)


def _last_attempt(text: str) -> str:
    match = re.search(r"^Last attempt:.*$", text, re.MULTILINE)
    assert match is not None, f"status shows no last attempt:\n{text}"
    return match.group(0)


def _held(text: str) -> int:
    match = re.search(r"\b(\d+) event\(s\) held\b", text)
    assert match is not None, f"status shows no held count:\n{text}"
    return int(match.group(1))


def _hold_events(cli: Cli, runs: int) -> list[str]:
    """Record ``runs`` commands' events while the server is down; the uuids ``inspect`` shows for them."""
    cli.ingest.reset("unavailable")
    for _ in range(runs):
        assert cli.run("version").returncode == 0
        cli.settle()
    shown = json.loads(cli.run("telemetry", "inspect").stdout)["events"]
    assert len(shown) == runs * EVENTS_PER_RUN
    return [event["uuid"] for event in shown]


# -- 7. what capture answers decides what happens to the events --------------------------------------------------


@pytest.mark.parametrize("code", [401, 403, 404])
def test_an_answer_that_points_at_a_misconfigured_proxy_keeps_the_events(cli: Cli, code: int) -> None:
    """PostHog documents 401 as the symptom of a proxy sending the wrong Host header; capture answers 401/403 for
    a key it does not see; a proxy answers 404 to a path it does not forward. Someone will fix the proxy: the
    events wait for it (with a long backoff), and status names the likely cause."""
    cli.opt_in()
    cli.ingest.reset("status", answer_status=code)
    assert cli.run("version").returncode == 0
    assert cli.wait_for_requests(1) == 1
    cli.settle()
    assert cli.status()["pending_events"] == EVENTS_PER_RUN  # kept, not dropped
    text = cli.status_text()
    assert f"held: server said {code}" in _last_attempt(text)
    assert _held(text) == EVENTS_PER_RUN
    assert re.search(r"^Likely cause:.*proxy", text, re.MULTILINE), text

    cli.ingest.reset("ok")  # fixed, but the next command does not hammer the server right away
    assert cli.run("version").returncode == 0
    _quiet(cli)
    assert cli.ingest.snapshot() == []
    assert cli.status()["pending_events"] == 2 * EVENTS_PER_RUN


@pytest.mark.parametrize("code", [201, 202, 204])
def test_every_2xx_answer_is_success(cli: Cli, code: int) -> None:
    cli.opt_in()
    cli.ingest.reset("status", answer_status=code)
    assert cli.run("version").returncode == 0
    assert len(cli.wait_for_accepted(EVENTS_PER_RUN)) == EVENTS_PER_RUN
    _quiet(cli)
    assert cli.status()["pending_events"] == 0  # nothing kept to be sent again
    assert len(cli.ingest.snapshot()) == 1
    text = cli.status_text()
    assert "accepted" in _last_attempt(text)
    assert _held(text) == 0


def test_a_400_drops_only_the_invalid_events(cli: Cli) -> None:
    """Capture refuses a whole batch at its first invalid event (``process_events`` collects every event's result
    and stops at the first error). The sender splits the batch until it has found the invalid ones, and drops
    only those."""
    cli.opt_in()
    held = _hold_events(cli, runs=3)
    invalid = held[2]
    cli.ingest.reset("validate", invalid_uuids={invalid})
    assert cli.run("version").returncode == 0
    expected = len(held) + EVENTS_PER_RUN - 1
    accepted = cli.wait_for_accepted(expected)
    _quiet(cli)
    delivered = Counter(str(event["uuid"]) for event in accepted)
    assert invalid not in delivered
    assert set(held) - {invalid} <= set(delivered)
    assert len(delivered) == expected
    assert set(delivered.values()) == {1}
    status = cli.status()
    assert (status["pending_events"], status["dropped_events"]) == (0, 1)
    assert "dropped: invalid" in cli.status_text()


def test_a_413_splits_the_batch_until_it_fits(cli: Cli) -> None:
    cli.opt_in()
    held = _hold_events(cli, runs=3)
    cli.ingest.reset("max_batch", max_batch_events=2)
    assert cli.run("version").returncode == 0
    accepted = cli.wait_for_accepted(len(held) + EVENTS_PER_RUN)
    _quiet(cli)
    delivered = Counter(str(event["uuid"]) for event in accepted)
    assert set(held) <= set(delivered)
    assert len(delivered) == len(held) + EVENTS_PER_RUN
    assert set(delivered.values()) == {1}
    status = cli.status()
    assert (status["pending_events"], status["dropped_events"]) == (0, 0)


def test_retry_after_is_honoured_up_to_a_minute(cli: Cli) -> None:
    """A 429 with ``Retry-After: 60``: no sender tries again within that minute (it was capped at 15 s)."""
    cli.opt_in()
    cli.ingest.reset("status", answer_status=429, retry_after="60")
    assert cli.run("version").returncode == 0
    assert cli.wait_for_requests(1) == 1
    cli.settle()
    assert cli.run("version").returncode == 0  # its sender finds the server's wish recorded, and respects it
    _quiet(cli)
    assert len(cli.ingest.snapshot()) == 1
    text = cli.status_text()
    assert "held: server said 429" in _last_attempt(text)
    assert _held(text) == 2 * EVENTS_PER_RUN


# -- 8. status tells the truth about the last attempt, whatever made it fail --------------------------------------


@pytest.mark.parametrize(
    ("mode", "outcome", "held"),
    [("ok", "accepted", 0), ("unavailable", "held: server said 503", 2), ("drop", "held: network", 2)],
)
def test_status_shows_the_last_attempt_and_its_outcome(cli: Cli, mode: Mode, outcome: str, held: int) -> None:
    cli.opt_in()
    cli.ingest.reset(mode)
    assert cli.run("version").returncode == 0
    assert cli.wait_for_requests(1) == 1
    cli.settle()
    text = cli.status_text()
    assert outcome in _last_attempt(text)
    assert _held(text) == held


def test_status_tells_the_truth_when_the_sender_itself_fails(cli: Cli, tmp_path: Path) -> None:
    """An exception inside the sender (here: a broken ``posthog`` package earlier on PYTHONPATH, which only the
    sender imports) is an attempt that failed, not nothing: status says when, and that the events are held."""
    broken = tmp_path / "broken-site" / "posthog"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text('raise RuntimeError("a broken install")\n', encoding="utf-8")
    cli.opt_in()
    cli.env["PYTHONPATH"] = str(broken.parent)
    assert cli.run("version").returncode == 0  # the command itself never imports posthog
    cli.settle()
    text = cli.status_text()
    assert "held: sender error" in _last_attempt(text)
    assert _held(text) == EVENTS_PER_RUN
    assert cli.ingest.snapshot() == []

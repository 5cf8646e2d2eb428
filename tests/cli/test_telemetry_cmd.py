"""``archon telemetry on|off|status|inspect|clear|policy`` through the real entry point."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
from datetime import UTC, datetime, timedelta

import pytest

from archon.config import read_config
from archon.paths import ArchonPaths
from archon.runtime import Runtime
from archon.telemetry.consent import resolve_consent
from archon.telemetry.first_run import POLICY_URL
from archon.telemetry.identity import read_identity
from archon.telemetry.outbox.counters import AttemptOutcome, update_counters
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.recorder import Recorder, common_properties, stored_event
from archon.telemetry.schema import CliCommandInvoked, SafeName
from archon.telemetry.upload.drain import flush_outbox
from tests.cli.conftest import KEYED_BUILD, Invoke
from tests.conftest import TEST_KEY
from tests.support.delivery import keyed_build
from tests.support.ingest import IngestServer

STATUS_KEYS = {
    "enabled",
    "mode",
    "sending",
    "source",
    "explanation",
    "problem",
    "not_sending_because",
    "anonymous_id",
    "anonymous_id_created",
    "host",
    "key",
    "key_status",
    "last_event",
    "last_attempt",
    "consent_record",
    "consent_record_problem",
    "policy_hash",
    "not_consented",
    "pending_events",
    "local_events",
    "dropped_events",
    "debug_preview",
    "disable",
    "inspect",
    "policy",
}


EVENT = CliCommandInvoked(command=SafeName("workflow"), subcommand=SafeName("run"))


def _queue(paths: ArchonPaths, count: int) -> list[str]:
    outbox = Outbox(paths)
    uuids = []
    for index in range(count):
        event = stored_event(
            CliCommandInvoked(command=SafeName("version"), subcommand=SafeName("")),
            common=common_properties(KEYED_BUILD),
            distinct_id="00000000-0000-4000-8000-000000000000",
            now=datetime(2026, 1, 1, 0, 0, index, tzinfo=UTC),
        )
        outbox.append(event)
        uuids.append(event["uuid"])
    return uuids


def _status(invoke: Invoke, **kwargs: object) -> dict[str, object]:
    result = invoke("telemetry", "status", "--json", **kwargs)
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


# -- on ------------------------------------------------------------------------------------------------------


def test_on_writes_config_keeps_the_rest_and_creates_the_identity(invoke: Invoke, paths: ArchonPaths) -> None:
    paths.home.mkdir(mode=0o700)
    paths.config.write_text("# my settings\ndefaultAssistant: claude  # keep me\n", encoding="utf-8")
    result = invoke("telemetry", "on", build=KEYED_BUILD)
    assert result.exit_code == 0, result.stderr
    text = paths.config.read_text(encoding="utf-8")
    assert "# my settings" in text
    assert "defaultAssistant: claude  # keep me" in text
    assert read_config(paths.config).get("telemetry", "enabled") is True
    identity = read_identity(paths)
    assert identity is not None
    assert identity.distinct_id in result.stdout
    assert "archon telemetry inspect" in result.stdout
    assert "archon telemetry off" in result.stdout
    assert "warning" not in result.stderr
    if os.name == "posix":
        assert stat.S_IMODE(paths.telemetry_id.stat().st_mode) == 0o600
        assert stat.S_IMODE(paths.config.stat().st_mode) == 0o600


def test_on_is_not_itself_recorded(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    assert Outbox(paths).pending_count() == 0


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DO_NOT_TRACK": "1"}, "DO_NOT_TRACK"),
        ({"ARCHON_TELEMETRY": "off"}, "ARCHON_TELEMETRY"),
        ({"ARCHON_TELEMETRY_DISABLED": "1"}, "ARCHON_TELEMETRY_DISABLED"),
    ],
)
def test_on_warns_when_the_environment_overrides_it(
    invoke: Invoke, paths: ArchonPaths, env: dict[str, str], named: str
) -> None:
    """The choice is stored, but no id exists while the effective decision is off (DESIGN §4)."""
    result = invoke("telemetry", "on", env=env, build=KEYED_BUILD)
    assert result.exit_code == 0
    assert "warning" in result.stderr
    assert named in result.stderr
    assert "no anonymous id was created" in result.stderr
    assert read_config(paths.config).get("telemetry", "enabled") is True
    assert not paths.telemetry_id.exists()
    assert "Anonymous id" not in result.stdout


def test_on_warns_on_a_build_without_a_key(invoke: Invoke) -> None:
    result = invoke("telemetry", "on")
    assert result.exit_code == 0
    assert "no telemetry key" in result.stderr


def test_on_refuses_to_overwrite_a_malformed_config(invoke: Invoke, paths: ArchonPaths) -> None:
    paths.home.mkdir(mode=0o700)
    paths.config.write_text("telemetry: [unclosed\n", encoding="utf-8")
    result = invoke("telemetry", "on")
    assert result.exit_code == 1
    assert "not valid YAML" in result.stderr
    assert paths.config.read_text(encoding="utf-8") == "telemetry: [unclosed\n"


# -- off -----------------------------------------------------------------------------------------------------


def test_off_writes_false_deletes_pending_and_keeps_the_identity(invoke: Invoke, paths: ArchonPaths) -> None:
    assert invoke("telemetry", "on", build=KEYED_BUILD).exit_code == 0
    identity = read_identity(paths)
    _queue(paths, 3)
    result = invoke("telemetry", "off", build=KEYED_BUILD)
    assert result.exit_code == 0, result.stderr
    assert "Deleted 3 pending event(s)" in result.stdout
    assert read_config(paths.config).get("telemetry", "enabled") is False
    assert Outbox(paths).pending_count() == 0  # nothing new either: off is never recorded
    assert read_identity(paths) == identity


def test_off_warns_when_the_environment_keeps_it_on(invoke: Invoke) -> None:
    result = invoke("telemetry", "off", env={"ARCHON_TELEMETRY": "on"})
    assert "ARCHON_TELEMETRY" in result.stderr


# -- status --------------------------------------------------------------------------------------------------


def test_status_json_shape_is_pinned(invoke: Invoke) -> None:
    assert set(_status(invoke)) == STATUS_KEYS


def test_status_default_is_off_and_creates_no_identity(invoke: Invoke, paths: ArchonPaths) -> None:
    data = _status(invoke, build=KEYED_BUILD)
    assert (data["enabled"], data["sending"], data["source"]) == (False, False, "default")
    assert data["anonymous_id"] is None
    assert not paths.telemetry_id.exists()
    assert not paths.outbox.exists()


def test_status_explains_do_not_track_over_config(invoke: Invoke) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    data = _status(invoke, env={"DO_NOT_TRACK": "1"}, build=KEYED_BUILD)
    assert data["explanation"] == "off: DO_NOT_TRACK is set, which overrides config.yaml (enabled)"
    human = invoke("telemetry", "status", env={"DO_NOT_TRACK": "1"}, build=KEYED_BUILD).stdout
    assert "off: DO_NOT_TRACK is set, which overrides config.yaml (enabled)" in human


def test_status_says_why_a_dev_build_sends_nothing(invoke: Invoke) -> None:
    invoke("telemetry", "on")
    data = _status(invoke)
    assert (data["enabled"], data["sending"]) == (True, False)
    assert data["key"] is None
    assert data["key_status"] == "none: development build"
    assert "no telemetry key" in str(data["not_sending_because"])
    assert "none: development build" in invoke("telemetry", "status").stdout


def test_status_shows_only_the_key_prefix(invoke: Invoke) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    data = _status(invoke, build=KEYED_BUILD)
    assert data["key"] == TEST_KEY[:8]
    assert data["key_status"] == "embedded at build time"
    assert data["sending"] is True
    human = invoke("telemetry", "status", build=KEYED_BUILD).stdout
    assert TEST_KEY[:8] in human
    assert TEST_KEY[:9] not in human
    assert TEST_KEY[:9] not in json.dumps(data)


def test_status_reports_an_unreadable_config(invoke: Invoke, paths: ArchonPaths) -> None:
    paths.home.mkdir(mode=0o700)
    paths.config.write_text("telemetry:\n  enabled: true\n bad indent: [\n", encoding="utf-8")
    data = _status(invoke)
    assert data["enabled"] is False
    assert "could not be read" in str(data["problem"])
    assert "could not be read" in invoke("telemetry", "status").stdout


def test_status_reports_an_unknown_switch_value(invoke: Invoke) -> None:
    data = _status(invoke, env={"ARCHON_TELEMETRY": "maybe"})
    assert data["enabled"] is False
    assert "not understood" in str(data["problem"])


def test_status_shows_identity_last_event_and_counts(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    identity = read_identity(paths)
    assert identity is not None
    _queue(paths, 2)
    data = _status(invoke, env={"ARCHON_TELEMETRY_DEBUG": "1"}, build=KEYED_BUILD)  # debug: records nothing new
    assert data["anonymous_id"] == identity.distinct_id
    assert data["anonymous_id_created"] == identity.created.isoformat(timespec="seconds")
    assert data["pending_events"] == 2
    assert data["dropped_events"] == 0
    last = data["last_event"]
    assert isinstance(last, dict)
    assert last["event"] == "cli.command_invoked"
    assert last["timestamp"] == "2026-01-01T00:00:01+00:00"
    assert isinstance(last["age_seconds"], int)
    assert data["sending"] is False
    assert "ARCHON_TELEMETRY_DEBUG" in str(data["not_sending_because"])
    human = invoke("telemetry", "status", env={"ARCHON_TELEMETRY_DEBUG": "1"}, build=KEYED_BUILD).stdout
    assert "2 event(s) held, not yet sent" in human
    assert "Last attempt: none yet" in human
    assert "ago" in human


def test_status_reports_the_last_real_event_not_its_own_start(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    invoke("version", build=KEYED_BUILD)  # held back: no flusher in this runtime
    for _ in range(2):
        data = _status(invoke, build=KEYED_BUILD)
        last = data["last_event"]
        assert isinstance(last, dict)
        assert last["event"] == "cli.command_completed"
        assert data["pending_events"] == 2
    assert [event["properties"]["command"] for event in Outbox(paths).pending()] == ["version", "version"]


# -- inspect -------------------------------------------------------------------------------------------------


def test_inspect_prints_the_last_ten_events_as_queued(invoke: Invoke, paths: ArchonPaths) -> None:
    uuids = _queue(paths, 12)
    queued = {event["uuid"]: event for event in Outbox(paths).pending()}
    result = invoke("telemetry", "inspect")
    assert result.exit_code == 0
    shown = json.loads(result.stdout)
    assert list(shown) == ["events"]
    assert [event["uuid"] for event in shown["events"]] == uuids[-10:]
    for event in shown["events"]:
        assert set(event) == {"event", "distinct_id", "uuid", "timestamp", "properties"}
        assert event == queued[event["uuid"]]


def test_inspect_shows_what_is_held_back_and_adds_nothing(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    invoke("version", build=KEYED_BUILD)
    held = [event["uuid"] for event in Outbox(paths).pending()]
    for _ in range(2):
        shown = json.loads(invoke("telemetry", "inspect", build=KEYED_BUILD).stdout)["events"]
        assert [event["uuid"] for event in shown] == held
    assert [event["uuid"] for event in Outbox(paths).pending()] == held


def test_inspect_with_nothing_recorded(invoke: Invoke, paths: ArchonPaths) -> None:
    result = invoke("telemetry", "inspect")
    assert json.loads(result.stdout) == {"events": []}
    assert not paths.telemetry_id.exists()


# -- clear, policy -------------------------------------------------------------------------------------------


def test_clear_deletes_the_identity_and_the_events_queued_under_it(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    config_before = paths.config.read_bytes()
    _queue(paths, 1)
    invoke("version", build=KEYED_BUILD)  # held back: no flusher in this runtime
    result = invoke("telemetry", "clear", build=KEYED_BUILD)
    assert result.exit_code == 0
    assert "Deleted the anonymous id" in result.stdout
    assert "Deleted 3 pending event(s) that had not been sent." in result.stdout
    assert "unchanged (on: " in result.stdout
    assert not paths.telemetry_id.exists()  # clear is not recorded, so no new id yet
    assert Outbox(paths).pending_count() == 0
    assert paths.config.read_bytes() == config_before  # consent unchanged
    again = invoke("telemetry", "clear").stdout
    assert "no anonymous id" in again
    assert "Deleted 0 pending event(s)" in again


def _flush(paths: ArchonPaths, ingest: IngestServer) -> None:
    report = flush_outbox(paths=paths, build=keyed_build(ingest.url), env={})
    assert (report.outcome, report.kept) == ("drained", 0), report


def _ids_per_request(ingest: IngestServer) -> list[set[str]]:
    return [{str(event["distinct_id"]) for event in request.events} for request in ingest.snapshot()]


def test_no_request_after_clear_carries_the_old_id(invoke: Invoke, paths: ArchonPaths, ingest: IngestServer) -> None:
    """Events held back under the old id (server down, or no flusher yet) must never be sent after the reset, least
    of all in one request with events under the new id: that would link the two ids."""
    invoke("telemetry", "on", build=KEYED_BUILD)
    old = read_identity(paths)
    invoke("version", build=KEYED_BUILD)
    invoke("telemetry", "clear", build=KEYED_BUILD)
    invoke("version", build=KEYED_BUILD)
    new = read_identity(paths)
    assert old is not None
    assert new is not None
    _flush(paths, ingest)
    assert _ids_per_request(ingest) == [{new.distinct_id}]
    assert old.distinct_id not in json.dumps([request.body for request in ingest.snapshot()])


def test_clear_during_a_long_run_unlinks_the_ids(invoke: Invoke, paths: ArchonPaths, ingest: IngestServer) -> None:
    """A run still going (e.g. ``workflow run``) while ``clear`` runs in another terminal records its next events
    under a new id, and what it recorded before is deleted, so no request ties the two ids together."""
    invoke("telemetry", "on", build=KEYED_BUILD)
    old = read_identity(paths)
    runtime = Runtime(env={}, home=paths.home, cwd=paths.home)
    consent = resolve_consent(runtime.env, lambda: read_config(paths.config))
    session = Recorder(runtime=runtime, paths=paths, build=KEYED_BUILD, consent=consent, show=lambda event: None)
    session.record(EVENT)
    invoke("telemetry", "clear", build=KEYED_BUILD)
    session.record(EVENT)
    session.record(EVENT)
    new = read_identity(paths)
    assert old is not None
    assert new is not None
    assert new != old
    assert [event["distinct_id"] for event in Outbox(paths).pending()] == [new.distinct_id] * 2
    _flush(paths, ingest)
    assert _ids_per_request(ingest) == [{new.distinct_id}]


def test_next_run_after_clear_gets_a_new_identity(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    old = read_identity(paths)
    invoke("telemetry", "clear", build=KEYED_BUILD)
    invoke("version", build=KEYED_BUILD)
    new = read_identity(paths)
    assert old is not None
    assert new is not None
    assert new.distinct_id != old.distinct_id
    assert {event["distinct_id"] for event in Outbox(paths).pending()} == {new.distinct_id}


def test_policy_prints_the_link_and_the_hash(invoke: Invoke) -> None:
    shown = json.loads(invoke("telemetry", "policy", "--json").stdout)
    text = invoke("telemetry", "policy").stdout
    assert POLICY_URL in text
    assert shown["policy_url"] == POLICY_URL
    assert shown["policy_hash"] in text


# -- a home that is not the user's own ----------------------------------------------------------------------

posix_only = pytest.mark.skipif(os.name != "posix", reason="owners and mode bits are POSIX's")


def _shared_home(paths: ArchonPaths) -> list[tuple[str, bytes]]:
    """A home others may write, with someone's consent, id and events in it; returns what is there."""
    paths.home.mkdir(mode=0o700)
    paths.config.write_text("telemetry:\n  enabled: true\n", encoding="utf-8")
    paths.telemetry_id.write_text("3b6e3c49-8a0b-4f7e-9a51-1c2d3e4f5a6b\n", encoding="ascii")
    _queue(paths, 2)
    paths.home.chmod(0o777)
    return sorted((str(p), p.read_bytes()) for p in paths.home.rglob("*") if p.is_file())


@posix_only
@pytest.mark.parametrize("command", ["off", "clear"])
def test_off_and_clear_touch_nothing_in_a_home_others_may_write(
    invoke: Invoke, paths: ArchonPaths, command: str
) -> None:
    before = _shared_home(paths)
    result = invoke("telemetry", command, build=KEYED_BUILD)
    assert result.exit_code == 0, result.stderr
    assert "is writable by other users" in result.stdout
    assert "changed nothing there" in result.stdout
    assert sorted((str(p), p.read_bytes()) for p in paths.home.rglob("*") if p.is_file()) == before


@posix_only
def test_on_refuses_a_home_others_may_write(invoke: Invoke, paths: ArchonPaths) -> None:
    before = _shared_home(paths)
    result = invoke("telemetry", "on", build=KEYED_BUILD)
    assert result.exit_code == 1
    assert "is writable by other users, so archon writes nothing there" in result.stderr
    assert sorted((str(p), p.read_bytes()) for p in paths.home.rglob("*") if p.is_file()) == before


@posix_only
def test_status_says_why_a_home_others_may_write_is_not_used(invoke: Invoke, paths: ArchonPaths) -> None:
    _shared_home(paths)
    data = _status(invoke, build=KEYED_BUILD)
    assert (data["enabled"], data["source"], data["anonymous_id"], data["pending_events"]) == (
        False,
        "archon-home",
        None,
        0,
    )
    assert "is writable by other users" in str(data["problem"])
    assert "Problem:      " in invoke("telemetry", "status", build=KEYED_BUILD).stdout


# -- the last delivery attempt --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counters", "line", "cause"),
    [
        ({}, "Last attempt: none yet", None),
        ({"last_outcome": AttemptOutcome.ACCEPTED}, "accepted", None),
        ({"last_outcome": AttemptOutcome.ACCEPTED, "last_invalid": 2, "last_status": 400}, "2 event(s) dropped", None),
        ({"last_outcome": AttemptOutcome.HELD_NETWORK, "last_error": "timeout"}, "held: network (timeout)", None),
        ({"last_outcome": AttemptOutcome.HELD_SERVER, "last_status": 503}, "held: server said 503", None),
        ({"last_outcome": AttemptOutcome.HELD_SERVER, "last_status": 401}, "held: server said 401", "Host header"),
        ({"last_outcome": AttemptOutcome.HELD_SERVER, "last_status": 404}, "held: server said 404", "/batch/"),
        (
            {"last_outcome": AttemptOutcome.HELD_ERROR, "last_error": "sender error (ImportError)"},
            "held: sender error (ImportError)",
            None,
        ),
        (
            {"last_outcome": AttemptOutcome.DROPPED_INVALID, "last_invalid": 1, "last_status": 400},
            "dropped: invalid",
            None,
        ),
    ],
)
def test_status_shows_how_the_last_attempt_ended(
    invoke: Invoke, paths: ArchonPaths, counters: dict[str, object], line: str, cause: str | None
) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    if counters:
        attempt = {"last_attempt_at": datetime(2026, 1, 1, tzinfo=UTC), **counters}
        update_counters(paths, lambda state: dataclasses.replace(state, **attempt))  # type: ignore[arg-type]
    text = invoke("telemetry", "status", build=KEYED_BUILD).stdout
    (shown,) = [row for row in text.splitlines() if row.startswith("Last attempt:")]
    assert line in shown
    causes = [row for row in text.splitlines() if row.startswith("Likely cause:")]
    assert (cause is None and causes == []) or (cause is not None and cause in causes[0])
    data = _status(invoke, build=KEYED_BUILD)["last_attempt"]
    assert isinstance(data, dict)
    assert data["outcome"] == (None if not counters else str(counters["last_outcome"]))
    assert data["http_status"] == counters.get("last_status")


def test_status_says_when_the_next_attempt_may_be(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    _queue(paths, 1)
    now = datetime.now(UTC)
    update_counters(
        paths,
        lambda state: dataclasses.replace(
            state,
            last_attempt_at=now,
            next_attempt_at=now + timedelta(minutes=5),
            last_outcome=AttemptOutcome.HELD_SERVER,
            last_status=403,
        ),
    )
    text = invoke("telemetry", "status", build=KEYED_BUILD).stdout
    assert re.search(r"^Next attempt: not before .* \(in [45] minutes?\)$", text, re.MULTILINE), text
    assert "1 event(s) held" in text


@posix_only
def test_on_refuses_a_telemetry_directory_others_may_write(invoke: Invoke, paths: ArchonPaths) -> None:
    paths.telemetry_dir.mkdir(parents=True)
    paths.home.chmod(0o700)
    paths.telemetry_dir.chmod(0o777)
    result = invoke("telemetry", "on", build=KEYED_BUILD)
    assert result.exit_code == 1
    assert f"{paths.telemetry_dir} is writable by other users" in result.stderr
    assert not paths.config.exists()
    assert not paths.telemetry_id.exists()


@pytest.mark.parametrize("command", [("clear",), ("off",), ("local",)])
def test_the_prepared_events_go_with_the_id_or_the_consent_they_were_made_for(
    invoke: Invoke, paths: ArchonPaths, command: tuple[str, ...]
) -> None:
    """They hold the anonymous id: once it is deleted (or consent withdrawn), no file of archon's keeps it but the
    log of what was already sent, which inspect shows (docs/telemetry.md)."""
    invoke("telemetry", "on", build=KEYED_BUILD)
    invoke("version", build=KEYED_BUILD)  # the long way, which prepares the next runs' events
    old_id = paths.telemetry_id.read_text(encoding="ascii").strip()
    assert old_id in paths.prepared_events.read_text(encoding="utf-8")
    invoke("telemetry", *command, build=KEYED_BUILD)
    assert not paths.prepared_events.exists()
    if command == ("clear",):
        holding = [p.name for p in paths.home.rglob("*") if p.is_file() and old_id in p.read_text(errors="replace")]
        assert holding == []  # nothing was sent in this test

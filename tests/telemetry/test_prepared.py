"""Prepared events: what a run appends from them is what the long way would have stored, and they are used only
while what they were made from still holds."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archon.buildinfo import BuildInfo
from archon.config import read_config, set_config_value
from archon.paths import ArchonPaths
from archon.runtime import Runtime
from archon.telemetry.command_events import CommandEvents
from archon.telemetry.consent import resolve_consent
from archon.telemetry.consent_record import write_consent_record
from archon.telemetry.identity import ensure_identity
from archon.telemetry.outbox.event_file import StoredEvent, encode_event, json_value, list_entries
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.policy import build_policy, policy_hash
from archon.telemetry.prepared import (
    BINARY_STARTUP,
    COMMAND_COMPLETED,
    COMMAND_INVOKED,
    POLICY_HASH,
    PreparedRun,
    Template,
    field_marker,
    load_prepared,
)
from archon.telemetry.recorder import Recorder
from archon.telemetry.schema import BinaryStartup, CliCommandCompleted, CliCommandInvoked, SafeName, WorkflowRunStarted
from tests.support.consent import consent_on
from tests.support.delivery import keyed_build, make_event

BUILD = keyed_build("http://127.0.0.1:9")
MOMENT = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)
WORKFLOW = WorkflowRunStarted(
    workflow_name=SafeName("user-defined"), node_count=2, provider="none", is_cli_invoked=True
)


def test_the_constants_are_this_build_s() -> None:
    actual = policy_hash(build_policy())
    assert actual == POLICY_HASH, f"the schema changed the policy: set POLICY_HASH = {actual!r} in prepared.py"
    assert (BINARY_STARTUP, COMMAND_INVOKED, COMMAND_COMPLETED) == (
        BinaryStartup.NAME,
        CliCommandInvoked.NAME,
        CliCommandCompleted.NAME,
    )


def _runtime(paths: ArchonPaths, env: Mapping[str, str] | None = None) -> Runtime:
    return Runtime(env=dict(env or {}), home=paths.home, cwd=paths.home, now=lambda: MOMENT)


def _long_way(paths: ArchonPaths, *, env: Mapping[str, str] | None = None, build: BuildInfo = BUILD) -> CommandEvents:
    runtime = _runtime(paths, env)
    consent = resolve_consent(runtime.env, lambda: read_config(paths.config))
    recorder = Recorder(runtime=runtime, paths=paths, build=build, consent=consent, show=print)
    return CommandEvents(recorder, build=build)


def _prepared_run(paths: ArchonPaths, *, env: Mapping[str, str] | None = None, build: BuildInfo = BUILD) -> PreparedRun:
    runtime = _runtime(paths, env)
    consent = resolve_consent(runtime.env, lambda: read_config(paths.config))
    prepared = load_prepared(paths, build)
    assert prepared is not None
    assert prepared.hold(paths, consent_from_config=consent.source == "config")
    return PreparedRun(
        prepared=prepared,
        runtime=runtime,
        paths=paths,
        build=build,
        consent=consent,
        full=lambda: _long_way(paths, env=env, build=build),
    )


def _after_a_long_way(paths: ArchonPaths) -> PreparedRun:
    """A run with consent from config.yaml, after the long way has prepared the events (its own left no events)."""
    consent_on(paths)
    _run(_long_way(paths))
    Outbox(paths).clear()
    return _prepared_run(paths)


def _run(events: CommandEvents | PreparedRun, exit_code: int = 0) -> None:
    events.started("workflow", "run")
    events.ended("workflow", "run", exit_code=exit_code, duration_ms=1234)


def _raw(paths: ArchonPaths) -> list[bytes]:
    return [(paths.outbox / entry.name).read_bytes() for entry in list_entries(paths.outbox)]


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("consent", ["config", "env"])
def test_a_prepared_run_stores_byte_for_byte_what_the_long_way_stores(
    paths: ArchonPaths, binary: bool, consent: str
) -> None:
    env = {"ARCHON_TELEMETRY": "on"} if consent == "env" else {}
    if consent == "config":
        consent_on(paths)
    build = BUILD._replace(is_binary=binary)
    _run(_long_way(paths, env=env, build=build))  # the long way, which prepares
    long_way = _raw(paths)
    Outbox(paths).clear()

    _run(_prepared_run(paths, env=env, build=build))
    prepared = _raw(paths)
    assert len(prepared) == len(long_way) == (3 if binary else 2)
    for ours, theirs in zip(prepared, long_way, strict=True):
        assert ours == _with_uuid_of(theirs, ours)


def _with_uuid_of(raw: bytes, other: bytes) -> bytes:
    """``raw`` with the uuid of ``other`` (each run makes its own)."""
    import json

    event: StoredEvent = json.loads(raw)
    event["uuid"] = json.loads(other)["uuid"]
    return encode_event(event)


def test_the_long_way_prepares_only_when_everything_is_allowed(paths: ArchonPaths) -> None:
    record = consent_on(paths)
    narrowed = dict(record.policy, events={k: v for k, v in record.policy["events"].items() if k != "binary.startup"})
    write_consent_record(paths, record._replace(policy=narrowed, policy_hash=policy_hash(narrowed)))
    _run(_long_way(paths))
    assert not paths.prepared_events.exists()  # a record that filters: every run goes the long way
    consent_on(paths)
    _run(_long_way(paths))
    assert paths.prepared_events.exists()


def test_the_templates_hold_only_for_the_same_id_record_and_build(paths: ArchonPaths) -> None:
    consent_on(paths)
    _run(_long_way(paths))
    prepared = load_prepared(paths, BUILD)
    assert prepared is not None
    assert prepared.hold(paths, consent_from_config=True)

    assert load_prepared(paths, BUILD._replace(version="9.9.9")) is None  # another build
    consent_on(paths)  # the record written again
    assert not prepared.hold(paths, consent_from_config=True)
    assert prepared.hold(paths, consent_from_config=False)  # ARCHON_TELEMETRY=on reads no record
    paths.telemetry_id.unlink()  # telemetry clear
    assert not prepared.hold(paths, consent_from_config=False)


def test_a_run_whose_templates_stop_holding_goes_the_long_way(paths: ArchonPaths) -> None:
    consent_on(paths)
    _run(_long_way(paths))
    Outbox(paths).clear()
    old_id = ensure_identity(paths).distinct_id
    run = _prepared_run(paths)
    run.started("version", "")
    paths.telemetry_id.unlink()  # `telemetry clear` meanwhile: the next event gets a new id, never the old one
    run.ended("version", "", exit_code=0, duration_ms=1)
    invoked, completed = Outbox(paths).pending()
    assert invoked["distinct_id"] == old_id
    assert completed["distinct_id"] == ensure_identity(paths).distinct_id != old_id


def test_consent_withdrawn_in_config_during_a_run_is_noticed_before_the_next_event(paths: ArchonPaths) -> None:
    run = _after_a_long_way(paths)
    run.started("version", "")
    set_config_value(paths.config, ("telemetry", "enabled"), False)  # `telemetry off` in another terminal
    run.ended("version", "", exit_code=0, duration_ms=1)
    assert [event["event"] for event in Outbox(paths).pending()] == ["cli.command_invoked"]


def test_a_command_s_own_events_go_the_long_way(paths: ArchonPaths) -> None:
    run = _after_a_long_way(paths)
    run.started("workflow", "run")
    run.record(WORKFLOW)
    run.uncaught("ValueError", "run_workflow")
    run.ended("workflow", "run", exit_code=1, duration_ms=5)
    assert [event["event"] for event in Outbox(paths).pending()] == [
        "cli.command_invoked",
        "workflow.run_started",
        "error.uncaught",
        "cli.command_completed",
    ]


def test_templates_of_another_schema_are_not_used(paths: ArchonPaths) -> None:
    """A template with a field this archon does not fill in (a property a newer schema added) is never used: the
    event goes the long way, and is whole."""
    run = _after_a_long_way(paths)
    kept = load_prepared(paths, BUILD)
    assert kept is not None
    completed = kept.templates[COMMAND_COMPLETED].parts
    newer = Template((*completed[:-1], ',"future":', "future", completed[-1]))
    run._prepared = kept._replace(templates={**kept.templates, COMMAND_COMPLETED: newer})
    _run(run)
    assert Outbox(paths).pending()[-1]["properties"]["exit_code"] == 0


@pytest.mark.parametrize(
    "encoded",
    [
        '{"a":"\\u0000uuid"}',  # a mark that is not a whole value
        '{"a":"\\u0000hostname\\u0000"}',  # a field nobody fills in
        '{"a":"x\\u0000uuid\\u0000"}',  # part of a longer text
    ],
)
def test_what_is_not_a_template_is_refused(encoded: str) -> None:
    assert Template.of(encoded) is None


def test_a_template_fills_in_text_escaped_and_numbers_bare() -> None:
    template = Template.of(json_value({"c": field_marker("command"), "e": field_marker("exit_code")}))
    assert template is not None
    assert template.fill({"command": 'a"b', "exit_code": 3}) == b'{"c":"a\\"b","e":3}'


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
@pytest.mark.parametrize("kind", ["garbage", "fifo", "symlink", "missing"])
def test_prepared_events_that_cannot_be_read_are_none(paths: ArchonPaths, tmp_path: Path, kind: str) -> None:
    consent_on(paths)
    _run(_long_way(paths))
    good = paths.prepared_events.read_bytes()
    paths.prepared_events.unlink()
    if kind == "garbage":
        paths.prepared_events.write_bytes(good[:40])
    elif kind == "fifo":
        os.mkfifo(paths.prepared_events)
    elif kind == "symlink":
        (tmp_path / "elsewhere").write_bytes(good)
        paths.prepared_events.symlink_to(tmp_path / "elsewhere")
    assert load_prepared(paths, BUILD) is None


def _counting(paths: ArchonPaths) -> tuple[PreparedRun, list[int]]:
    """A prepared run that counts how often it had to make the full recorder."""
    made: list[int] = []
    runtime = _runtime(paths)
    consent = resolve_consent(runtime.env, lambda: read_config(paths.config))
    prepared = load_prepared(paths, BUILD)
    assert prepared is not None

    def full() -> CommandEvents:
        made.append(1)
        return _long_way(paths)

    run = PreparedRun(prepared=prepared, runtime=runtime, paths=paths, build=BUILD, consent=consent, full=full)
    return run, made


def test_near_its_bound_the_outbox_is_appended_to_the_long_way_which_trims(paths: ArchonPaths) -> None:
    consent_on(paths)
    _run(_long_way(paths))
    outbox = Outbox(paths)
    while outbox.pending_count() < 905:  # within the last tenth of the bound of 1000
        outbox.append(make_event())
    run, made = _counting(paths)
    _run(run)
    assert made == [1]
    assert outbox.pending_count() == 907


def test_an_outbox_directory_that_is_gone_is_made_again_the_long_way(paths: ArchonPaths) -> None:
    consent_on(paths)
    _run(_long_way(paths))
    Outbox(paths).clear()
    paths.outbox.rmdir()
    run, made = _counting(paths)
    _run(run)
    assert made == [1]
    assert [event["event"] for event in Outbox(paths).pending()] == ["cli.command_invoked", "cli.command_completed"]


def test_a_prepared_run_makes_no_full_recorder(paths: ArchonPaths) -> None:
    consent_on(paths)
    _run(_long_way(paths))
    run, made = _counting(paths)
    _run(run)
    assert made == []

"""The consent side of ``archon telemetry`` through the real entry point: the record `on` writes, `local`, `off`,
``clear --all``, what ``status`` shows of the record, and the one-time notice when this version would send more."""

from __future__ import annotations

import json
from typing import Any

from archon.config import read_config, set_config_value
from archon.paths import ArchonPaths
from archon.telemetry.consent_record import read_consent_record, write_consent_record
from archon.telemetry.identity import ensure_identity
from archon.telemetry.outbox.local_events import LocalEvents
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.policy import build_policy, policy_hash
from tests.cli.conftest import KEYED_BUILD, Invoke
from tests.support.consent import consent_on
from tests.support.delivery import make_event


def _narrow(paths: ArchonPaths, event: str, prop: str) -> None:
    """The record an archon whose schema lacked ``prop`` on ``event`` wrote."""
    record = read_consent_record(paths).record
    assert record is not None
    policy: dict[str, Any] = json.loads(json.dumps(record.policy))
    del policy["events"][event][prop]
    write_consent_record(paths, record._replace(policy=policy, policy_hash=policy_hash(policy)))


def test_on_records_consent_to_this_versions_policy(invoke: Invoke, paths: ArchonPaths) -> None:
    result = invoke("telemetry", "on", build=KEYED_BUILD)
    assert result.exit_code == 0, result.stderr
    record = read_consent_record(paths).record
    assert record is not None
    assert (record.how, record.archon_version, record.policy) == ("command", "9.8.7", build_policy())
    assert record.policy_hash in result.stdout
    assert str(paths.consent_record) in result.stdout


def test_on_again_says_what_it_accepts(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    _narrow(paths, "cli.command_completed", "duration_ms")
    result = invoke("telemetry", "on", build=KEYED_BUILD)
    assert "accepts what this version adds: the property `duration_ms` on `cli.command_completed`" in result.stdout
    record = read_consent_record(paths).record
    assert record is not None
    assert record.policy == build_policy()


def test_local_writes_both_keys_and_withdraws_consent(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    Outbox(paths).append(make_event())
    result = invoke("telemetry", "local", build=KEYED_BUILD)
    assert result.exit_code == 0, result.stderr
    config = read_config(paths.config)
    assert (config.get("telemetry", "enabled"), config.get("telemetry", "local_only")) == (False, True)
    assert not paths.consent_record.exists()
    assert Outbox(paths).pending_count() == 0
    assert "never sent" in result.stdout
    status = json.loads(invoke("telemetry", "status", "--json", build=KEYED_BUILD).stdout)
    assert (status["mode"], status["sending"], status["consent_record"]) == ("local", False, None)


def test_on_and_off_end_local_only_mode_and_delete_its_events(invoke: Invoke, paths: ArchonPaths) -> None:
    for command in ("on", "off"):
        invoke("telemetry", "local", build=KEYED_BUILD)
        LocalEvents(paths).append(make_event())
        result = invoke("telemetry", command, build=KEYED_BUILD)
        assert "local-only mode" in result.stdout
        assert LocalEvents(paths).count() == 0
        assert read_config(paths.config).get("telemetry", "local_only") is None  # removed, not set false


def test_off_deletes_the_consent_record(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    result = invoke("telemetry", "off", build=KEYED_BUILD)
    assert "Deleted the consent record" in result.stdout
    assert not paths.consent_record.exists()


def test_status_shows_the_record_and_what_is_not_consented(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    _narrow(paths, "cli.command_completed", "duration_ms")
    text = invoke("telemetry", "status", build=KEYED_BUILD).stdout
    assert "with `archon telemetry on`" in text
    assert "the hash no longer matches" not in text  # rewritten with its new hash
    assert "Not consented: the property `duration_ms` on `cli.command_completed`" in text
    assert policy_hash(build_policy()) in text
    data = json.loads(invoke("telemetry", "status", "--json", build=KEYED_BUILD).stdout)
    assert data["not_consented"] == ["the property `duration_ms` on `cli.command_completed`"]
    assert data["consent_record"]["hash_matches_policy"] is True
    assert data["policy_hash"] == policy_hash(build_policy())


def test_status_with_env_consent_says_what_it_covers(invoke: Invoke) -> None:
    text = invoke("telemetry", "status", env={"ARCHON_TELEMETRY": "on"}, build=KEYED_BUILD).stdout
    assert "Consent:      through ARCHON_TELEMETRY=on: this version's policy" in text


def test_the_notice_is_on_stderr_once_and_never_on_stdout(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    _narrow(paths, "cli.command_completed", "duration_ms")
    first = invoke("workflow", "list", "--json", build=KEYED_BUILD)
    json.loads(first.stdout)
    assert "`duration_ms` on `cli.command_completed`" in first.stderr
    assert "`archon telemetry on` accepts it" in first.stderr
    assert "duration_ms" not in first.stdout
    second = invoke("version", build=KEYED_BUILD)
    assert "duration_ms" not in second.stderr
    completed = [e for e in Outbox(paths).pending() if e["event"] == "cli.command_completed"]
    assert len(completed) == 2
    assert all("duration_ms" not in e["properties"] for e in completed)


def test_on_in_config_without_a_record_records_nothing_and_says_so(invoke: Invoke, paths: ArchonPaths) -> None:
    set_config_value(paths.config, ("telemetry", "enabled"), True)  # by hand: no `archon telemetry on`
    first = invoke("version", build=KEYED_BUILD)
    assert first.exit_code == 0
    assert "there is no consent record" in first.stderr
    assert "`archon telemetry on` records your consent" in first.stderr
    assert "consent record" not in invoke("version", build=KEYED_BUILD).stderr  # once
    assert Outbox(paths).pending_count() == 0
    assert not paths.telemetry_id.exists()


def test_clear_all_prints_the_id_and_leaves_only_the_config(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    consent_on(paths, build=KEYED_BUILD)
    identity = ensure_identity(paths).distinct_id
    Outbox(paths).append(make_event(distinct_id=identity))
    result = invoke("telemetry", "clear", "--all", build=KEYED_BUILD)
    assert result.exit_code == 0, result.stderr
    assert f"Removed the anonymous id {identity}." in result.stdout
    assert "#deleting-what-was-sent" in result.stdout
    assert "nothing is recorded until you run `archon telemetry on` again" in result.stdout
    left = sorted(p.name for p in paths.home.rglob("*") if p.is_file() and p.name != ".config-cache")
    assert left == [".first-run-completed", "config.yaml"]  # and config.yaml's cache, if a run made one


def test_clear_all_with_nothing_there(invoke: Invoke) -> None:
    result = invoke("telemetry", "clear", "--all", build=KEYED_BUILD)
    assert result.exit_code == 0, result.stderr
    assert "There was no anonymous id to remove." in result.stdout

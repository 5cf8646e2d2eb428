"""The recorder: records only with consent and a key, previews in debug mode, never raises."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping

import pytest

from archon.buildinfo import BuildInfo, current_build
from archon.config import read_config, set_config_value
from archon.paths import ArchonPaths
from archon.runtime import Runtime
from archon.telemetry.consent import resolve_consent
from archon.telemetry.consent_record import read_consent_record, write_consent_record
from archon.telemetry.identity import delete_identity, ensure_identity
from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.outbox.local_events import LOCAL_DISTINCT_ID, LocalEvents
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.policy import policy_hash
from archon.telemetry.recorder import DEBUG_DISTINCT_ID, PolicyNotice, Recorder, common_properties
from archon.telemetry.schema import CliCommandCompleted, CliCommandInvoked, SafeName
from tests.conftest import TEST_KEY
from tests.support.consent import consent_on

EVENT = CliCommandInvoked(command=SafeName("version"), subcommand=SafeName(""))
KEYED = current_build()._replace(posthog_key=TEST_KEY)
KEYLESS = current_build()._replace(posthog_key="")


def _session(
    paths: ArchonPaths, *, env: Mapping[str, str] | None = None, build: BuildInfo = KEYED
) -> tuple[Recorder, list[StoredEvent]]:
    shown: list[StoredEvent] = []
    runtime = Runtime(env=dict(env or {}), home=paths.home, cwd=paths.home)  # no executable: never spawns
    return _recorder(runtime, paths, build, shown.append), shown


def _recorder(runtime: Runtime, paths: ArchonPaths, build: BuildInfo, show: Callable[[StoredEvent], None]) -> Recorder:
    """A recorder made the way the CLI makes one: with consent resolved first."""
    consent = resolve_consent(runtime.env, lambda: read_config(paths.config))
    return Recorder(runtime=runtime, paths=paths, build=build, consent=consent, show=show)


def _opt_in(paths: ArchonPaths) -> str:
    consent_on(paths)
    return ensure_identity(paths).distinct_id


def test_default_records_nothing_and_creates_nothing(paths: ArchonPaths) -> None:
    session, shown = _session(paths)
    session.record(EVENT)
    assert session.recorded == 0
    assert shown == []
    assert not paths.home.exists()
    assert session.finish() is False


def test_consent_on_appends_to_the_outbox(paths: ArchonPaths) -> None:
    distinct_id = _opt_in(paths)
    session, _ = _session(paths)
    session.record(EVENT)
    (queued,) = Outbox(paths).pending()
    assert queued["event"] == "cli.command_invoked"
    assert queued["distinct_id"] == distinct_id
    assert queued["properties"]["command"] == "version"
    assert queued["properties"]["$process_person_profile"] is False
    assert session.recorded == 1


def test_keyless_build_records_nothing_even_when_on(paths: ArchonPaths) -> None:
    _opt_in(paths)
    session, _ = _session(paths, build=KEYLESS)
    session.record(EVENT)
    assert Outbox(paths).pending_count() == 0
    assert session.recorded == 0


@pytest.mark.parametrize(
    "env", [{"DO_NOT_TRACK": "1"}, {"ARCHON_TELEMETRY": "off"}, {"ARCHON_TELEMETRY_DISABLED": "1"}]
)
def test_opt_outs_record_nothing(paths: ArchonPaths, env: dict[str, str]) -> None:
    _opt_in(paths)
    session, _ = _session(paths, env=env)
    session.record(EVENT)
    assert Outbox(paths).pending_count() == 0


def test_after_clear_the_next_event_creates_a_new_identity(paths: ArchonPaths) -> None:
    old = _opt_in(paths)
    paths.telemetry_id.unlink()
    session, _ = _session(paths)
    session.record(EVENT)
    (queued,) = Outbox(paths).pending()
    assert queued["distinct_id"] != old
    assert paths.telemetry_id.read_text(encoding="ascii").strip() == queued["distinct_id"]


def test_an_identity_deleted_mid_run_is_not_reused(paths: ArchonPaths) -> None:
    """``archon telemetry clear`` in another terminal while a run goes on: the run's next event gets a new id."""
    old = _opt_in(paths)
    session, _ = _session(paths)
    session.record(EVENT)
    delete_identity(paths)
    Outbox(paths).clear()
    session.record(EVENT)
    session.record(EVENT)
    new = paths.telemetry_id.read_text(encoding="ascii").strip()
    assert new != old
    assert [event["distinct_id"] for event in Outbox(paths).pending()] == [new, new]


def test_an_identity_replaced_mid_run_is_picked_up(paths: ArchonPaths) -> None:
    """``clear`` then ``on`` (or another run's first event) made a new id before this run's next event."""
    old = _opt_in(paths)
    a_day_ago = paths.telemetry_id.stat().st_mtime - 86400
    os.utime(paths.telemetry_id, (a_day_ago, a_day_ago))  # an id made earlier, as in real use
    session, _ = _session(paths)
    session.record(EVENT)
    delete_identity(paths)
    new = ensure_identity(paths).distinct_id
    session.record(EVENT)
    assert [event["distinct_id"] for event in Outbox(paths).pending()] == [old, new]


def test_env_consent_without_identity_creates_one(paths: ArchonPaths) -> None:
    session, _ = _session(paths, env={"ARCHON_TELEMETRY": "on"})
    session.record(EVENT)
    assert paths.telemetry_id.exists()
    assert Outbox(paths).pending_count() == 1


def test_turning_off_mid_run_stops_recording(paths: ArchonPaths) -> None:
    _opt_in(paths)
    session, _ = _session(paths)
    session.record(EVENT)
    set_config_value(paths.config, ("telemetry", "enabled"), False)
    session.record(EVENT)
    assert Outbox(paths).pending_count() == 1


def test_debug_previews_without_recording_or_creating_an_identity(paths: ArchonPaths) -> None:
    session, shown = _session(paths, env={"ARCHON_TELEMETRY_DEBUG": "1"})
    session.record(EVENT)
    (preview,) = shown
    assert preview["distinct_id"] == DEBUG_DISTINCT_ID
    assert preview["event"] == "cli.command_invoked"
    assert set(preview) == {"event", "distinct_id", "uuid", "timestamp", "properties"}
    assert not paths.home.exists()
    assert session.recorded == 0


def test_debug_sends_nothing_even_when_on(paths: ArchonPaths) -> None:
    distinct_id = _opt_in(paths)
    session, shown = _session(paths, env={"ARCHON_TELEMETRY_DEBUG": "1"})
    session.record(EVENT)
    assert [event["distinct_id"] for event in shown] == [distinct_id]
    assert Outbox(paths).pending_count() == 0
    assert session.finish() is False


def test_record_never_raises(paths: ArchonPaths) -> None:
    paths.home.parent.mkdir(parents=True, exist_ok=True)
    paths.home.write_text("a file where the archon home should be", encoding="utf-8")
    session, _ = _session(paths, env={"ARCHON_TELEMETRY": "on"})
    session.record(EVENT)  # identity and outbox cannot be written: swallowed
    assert session.recorded == 0


def test_debug_preview_failure_never_raises(paths: ArchonPaths) -> None:
    def broken(event: StoredEvent) -> None:
        raise BrokenPipeError

    runtime = Runtime(env={"ARCHON_TELEMETRY_DEBUG": "1"}, home=paths.home, cwd=paths.home)
    _recorder(runtime, paths, KEYED, broken).record(EVENT)


# -- the consent record and local-only mode -------------------------------------------------------------------------

COMPLETED = CliCommandCompleted(command=SafeName("version"), subcommand=SafeName(""), exit_code=0, duration_ms=7)


def _notified(paths: ArchonPaths, *, env: Mapping[str, str] | None = None) -> tuple[Recorder, list[PolicyNotice]]:
    runtime = Runtime(env=dict(env or {}), home=paths.home, cwd=paths.home)
    consent = resolve_consent(runtime.env, lambda: read_config(paths.config))
    notices: list[PolicyNotice] = []
    recorder = Recorder(
        runtime=runtime, paths=paths, build=KEYED, consent=consent, show=lambda _: None, notify=notices.append
    )
    return recorder, notices


def _narrow_record(paths: ArchonPaths, event: str, prop: str) -> None:
    """Rewrite the consent record as an archon whose schema lacked ``prop`` on ``event`` wrote it."""
    state = read_consent_record(paths)
    assert state.record is not None
    policy = json.loads(json.dumps(state.record.policy))
    del policy["events"][event][prop]
    write_consent_record(paths, state.record._replace(policy=policy, policy_hash=policy_hash(policy)))


def test_what_the_record_lacks_is_removed_before_storing_and_announced_once(paths: ArchonPaths) -> None:
    _opt_in(paths)
    _narrow_record(paths, "cli.command_completed", "duration_ms")
    recorder, notices = _notified(paths)
    recorder.record(COMPLETED)
    recorder.record(COMPLETED)
    assert [set(e["properties"]) >= {"exit_code", "command"} for e in Outbox(paths).pending()] == [True, True]
    assert all("duration_ms" not in e["properties"] for e in Outbox(paths).pending())
    (notice,) = notices
    assert [(a.kind, a.event, a.prop) for a in notice.additions] == [
        ("property", "cli.command_completed", "duration_ms")
    ]
    next_run, again = _notified(paths)
    next_run.record(COMPLETED)
    assert again == []  # once per change of policy, not once per run
    assert Outbox(paths).pending_count() == 3


def test_no_record_records_nothing_and_says_so_once(paths: ArchonPaths) -> None:
    _opt_in(paths)
    paths.consent_record.unlink()
    recorder, notices = _notified(paths)
    recorder.record(COMPLETED)
    recorder.record(EVENT)
    assert Outbox(paths).pending_count() == 0
    (notice,) = notices
    assert (notice.record.record, notice.additions) == (None, ())
    assert recorder.finish() is False


def test_a_new_record_mid_run_is_picked_up(paths: ArchonPaths) -> None:
    """``archon telemetry on`` in another terminal, while a run goes on."""
    _opt_in(paths)
    _narrow_record(paths, "cli.command_completed", "duration_ms")
    recorder, _ = _notified(paths)
    recorder.record(COMPLETED)
    consent_on(paths)
    recorder.record(COMPLETED)
    assert ["duration_ms" in e["properties"] for e in Outbox(paths).pending()] == [False, True]


def test_env_consent_is_to_this_builds_policy_and_reads_no_record(paths: ArchonPaths) -> None:
    _opt_in(paths)
    _narrow_record(paths, "cli.command_completed", "duration_ms")
    recorder, notices = _notified(paths, env={"ARCHON_TELEMETRY": "on"})
    recorder.record(COMPLETED)
    (stored,) = Outbox(paths).pending()
    assert stored["properties"]["duration_ms"] == 7
    assert notices == []


def test_the_debug_preview_shows_what_the_record_lets_go(paths: ArchonPaths) -> None:
    _opt_in(paths)
    _narrow_record(paths, "cli.command_completed", "duration_ms")
    shown: list[StoredEvent] = []
    runtime = Runtime(env={"ARCHON_TELEMETRY_DEBUG": "1"}, home=paths.home, cwd=paths.home)
    _recorder(runtime, paths, KEYED, shown.append).record(COMPLETED)
    (preview,) = shown
    assert "duration_ms" not in preview["properties"]


def test_local_only_keeps_events_here_with_no_identity_and_starts_nothing(paths: ArchonPaths) -> None:
    set_config_value(paths.config, ("telemetry", "local_only"), True)
    recorder, _ = _session(paths)
    recorder.record(EVENT)
    recorder.record(COMPLETED)
    kept = LocalEvents(paths).events()
    assert [e["event"] for e in kept] == ["cli.command_invoked", "cli.command_completed"]
    assert {e["distinct_id"] for e in kept} == {LOCAL_DISTINCT_ID}
    assert Outbox(paths).pending_count() == 0
    assert not paths.telemetry_id.exists()
    assert recorder.finish() is False  # no flusher for local-only events


def test_do_not_track_wins_over_local_only(paths: ArchonPaths) -> None:
    set_config_value(paths.config, ("telemetry", "local_only"), True)
    recorder, _ = _session(paths, env={"DO_NOT_TRACK": "1"})
    recorder.record(EVENT)
    assert LocalEvents(paths).count() == 0


def test_platform_properties_are_never_what_the_system_reported() -> None:
    """On Windows, CPython 3.11's ``platform.machine()`` is an environment variable: whatever the platform says
    reaches an event only as one of the listed values (issue 19, item 6)."""
    build = current_build()._replace(platform="win32-zq-needle", arch="zq-needle-arch", python_version="3.99")
    common = common_properties(build)
    assert (common["platform"], common["arch"], common["python_version"]) == ("other", "other", "other")
    real = common_properties(current_build()._replace(platform="linux", arch="aarch64", python_version="3.12"))
    assert (real["platform"], real["arch"], real["python_version"]) == ("linux", "arm64", "3.12")

"""The telemetry wiring around every command: what is recorded, what is printed where, and exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archon.cli.app import _invoke
from archon.cli.context import Application
from archon.cli.recording import Recording
from archon.cli.signals import sigterm_raises
from archon.config import ConfigState
from archon.exit_codes import INTERRUPTED, TERMINATED
from archon.paths import ArchonPaths
from archon.runtime import Runtime
from archon.telemetry.consent import resolve_consent
from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.outbox.store import Outbox
from archon.telemetry.upload.process import FLUSH_ARGUMENT
from tests.cli.conftest import KEYED_BUILD, FlusherProbe, Invoke

COMMANDS = [
    ["version"],
    ["--version"],
    ["--help"],
    ["telemetry", "status"],
    ["telemetry", "status", "--json"],
    ["telemetry", "inspect"],
    ["telemetry", "policy"],
    ["no-such-command"],
    [],
]


def _debug_events(stderr: str) -> list[StoredEvent]:
    prefix = "archon telemetry (debug, not sent): "
    return [json.loads(line.removeprefix(prefix)) for line in stderr.splitlines() if line.startswith(prefix)]


def test_default_records_nothing_and_creates_no_identity(invoke: Invoke, paths: ArchonPaths) -> None:
    for args in COMMANDS:
        invoke(*args, build=KEYED_BUILD)
    assert not paths.telemetry_id.exists()
    assert not paths.telemetry_dir.exists()
    assert sorted(p.name for p in paths.home.iterdir()) == [".first-run-completed"]


def test_first_run_notice_goes_to_stderr_once(invoke: Invoke, paths: ArchonPaths) -> None:
    first = invoke("telemetry", "status", "--json")
    assert "This notice is shown once." in first.stderr
    assert "notice" not in first.stdout
    json.loads(first.stdout)  # --json output stays pure JSON
    assert paths.first_run_marker.exists()
    second = invoke("telemetry", "status", "--json")
    assert "notice" not in second.stderr


def test_every_command_records_invoked_and_completed(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    invoke("version", build=KEYED_BUILD)
    invoke("no-such-command", build=KEYED_BUILD)
    invoke("workflow", "list", build=KEYED_BUILD)
    seen = [
        (e["event"], e["properties"]["command"], e["properties"]["subcommand"], e["properties"].get("exit_code"))
        for e in Outbox(paths).pending()
    ]
    assert seen == [
        ("cli.command_invoked", "version", "", None),
        ("cli.command_completed", "version", "", 0),
        ("cli.command_invoked", "user-defined", "", None),
        ("cli.command_completed", "user-defined", "", 2),
        ("cli.command_invoked", "workflow", "list", None),
        ("cli.command_completed", "workflow", "list", 0),
    ]
    for event in Outbox(paths).pending():
        if event["event"] == "cli.command_completed":
            assert isinstance(event["properties"]["duration_ms"], int)
            assert event["properties"]["duration_ms"] >= 0


TELEMETRY_COMMANDS = [
    ["telemetry", "status"],
    ["telemetry", "status", "--json"],
    ["telemetry", "inspect"],
    ["telemetry", "policy"],
    ["telemetry"],
    ["telemetry", "--help"],
    ["telemetry", "no-such-subcommand"],
]


@pytest.mark.parametrize("args", TELEMETRY_COMMANDS, ids="-".join)
def test_telemetry_commands_create_no_identity_even_when_on(
    invoke: Invoke, paths: ArchonPaths, args: list[str]
) -> None:
    invoke(*args, env={"ARCHON_TELEMETRY": "on"}, build=KEYED_BUILD)
    assert not paths.telemetry_id.exists()
    assert not paths.telemetry_dir.exists()


@pytest.mark.parametrize("args", TELEMETRY_COMMANDS, ids="-".join)
def test_telemetry_commands_record_nothing_and_start_no_flusher(
    invoke: Invoke, paths: ArchonPaths, flusher_probe: FlusherProbe, args: list[str]
) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    invoke("version", build=KEYED_BUILD)  # two events held back (no flusher in this runtime), as in an outage
    held = [event["uuid"] for event in Outbox(paths).pending()]
    assert len(held) == 2
    invoke(*args, build=KEYED_BUILD, executable=flusher_probe.executable)
    assert [event["uuid"] for event in Outbox(paths).pending()] == held
    assert flusher_probe.started() == []


def test_a_recorded_command_does_start_the_flusher(
    invoke: Invoke, paths: ArchonPaths, flusher_probe: FlusherProbe
) -> None:
    """The control for the test above: the probe is seen when a command does start a flusher."""
    invoke("telemetry", "on", build=KEYED_BUILD)
    invoke("version", build=KEYED_BUILD, executable=flusher_probe.executable)
    assert Outbox(paths).pending_count() == 2
    assert len(flusher_probe.started()) == 1


def test_binary_startup_only_in_the_binary(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("telemetry", "on", build=KEYED_BUILD)
    invoke("version", build=KEYED_BUILD._replace(is_binary=True))
    events = Outbox(paths).pending()
    assert [e["event"] for e in events] == ["binary.startup", "cli.command_invoked", "cli.command_completed"]
    assert events[0]["properties"]["archon_is_binary"] is True
    invoke("version", build=KEYED_BUILD)
    assert "binary.startup" not in [e["event"] for e in Outbox(paths).pending()[3:]]


def test_debug_mode_prints_events_to_stderr_only(invoke: Invoke, paths: ArchonPaths) -> None:
    plain = invoke("version", build=KEYED_BUILD)
    debug = invoke("version", env={"ARCHON_TELEMETRY_DEBUG": "1"}, build=KEYED_BUILD)
    assert debug.stdout == plain.stdout
    events = _debug_events(debug.stderr)
    assert [e["event"] for e in events] == ["cli.command_invoked", "cli.command_completed"]
    assert {e["distinct_id"] for e in events} == {"debug-preview"}
    assert not paths.telemetry_id.exists()
    assert not paths.telemetry_dir.exists()


def test_telemetry_failures_never_change_the_outcome(invoke: Invoke, paths: ArchonPaths) -> None:
    expected = invoke("version", build=KEYED_BUILD)
    paths.telemetry_dir.parent.mkdir(parents=True, exist_ok=True)
    paths.telemetry_dir.write_text("not a directory", encoding="utf-8")  # the outbox cannot be created
    result = invoke("version", env={"ARCHON_TELEMETRY": "on"}, build=KEYED_BUILD)
    assert (result.exit_code, result.stdout, result.stderr) == (0, expected.stdout, "")


# -- the single error -> exit code place, with telemetry ------------------------------------------------------


def _debug_application(isolation: Path) -> tuple[Application, Recording]:
    """A run of `archon workflow run` with ARCHON_TELEMETRY_DEBUG: its events are printed to stderr."""
    runtime = Runtime(env={"ARCHON_TELEMETRY_DEBUG": "1"}, home=isolation, cwd=isolation)
    consent = resolve_consent(runtime.env, lambda: ConfigState(path=isolation / "config.yaml", exists=False))
    application = Application(runtime=runtime, build=KEYED_BUILD)
    recording = Recording(application, consent, argv=["workflow", "run"], root=None)
    recording.name("workflow", "run")
    return application, recording


def _crash_in_archon() -> object:
    from archon.config import set_config_value

    set_config_value(Path("/tmp/db.internal.example.com"), (), "x")  # raises ValueError inside archon
    return 0


def test_uncaught_error_is_recorded_without_its_message(isolation: Path, capsys: pytest.CaptureFixture[str]) -> None:
    application, recording = _debug_application(isolation)
    assert _invoke(_crash_in_archon, application, recording) == 1
    stderr = capsys.readouterr().err
    shown = _debug_events(stderr)
    errors = [e for e in shown if e["event"] == "error.uncaught"]
    assert len(errors) == 1
    assert {k: errors[0]["properties"][k] for k in ("error_class", "where")} == {
        "error_class": "ValueError",
        "where": "set_config_value",
    }
    assert "example.com" not in json.dumps(shown)
    assert "unexpected internal error (ValueError)" in stderr


def test_keyboard_interrupt_exits_130(isolation: Path, capsys: pytest.CaptureFixture[str]) -> None:
    application, recording = _debug_application(isolation)

    def interrupted() -> object:
        raise KeyboardInterrupt

    assert _invoke(interrupted, application, recording) == INTERRUPTED


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX signals")
def test_sigterm_exits_143(isolation: Path, capsys: pytest.CaptureFixture[str]) -> None:
    application, recording = _debug_application(isolation)

    def terminated() -> object:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)  # the handler raises Terminated here, at once
        return 0

    before = signal.getsignal(signal.SIGTERM)
    with sigterm_raises():
        assert _invoke(terminated, application, recording) == TERMINATED
    assert signal.getsignal(signal.SIGTERM) == before


def test_flush_argument_goes_to_the_flusher_before_any_parsing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHON_", "POSTHOG_", "DO_NOT_TRACK"))}
    env["ARCHON_HOME"] = str(home)
    result = subprocess.run(
        [sys.executable, "-m", "archon", FLUSH_ARGUMENT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert not (home / ".first-run-completed").exists()  # no notice, no CLI at all


@pytest.mark.parametrize(
    "env", [{"DO_NOT_TRACK": "1"}, {"ARCHON_TELEMETRY_DISABLED": "1"}, {"ARCHON_TELEMETRY": "off"}]
)
def test_an_opt_out_in_the_environment_never_reads_config_yaml(
    invoke: Invoke, paths: ArchonPaths, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    """Not for the decision, not for the first-run notice (whose words for "off" need nothing from it)."""

    def never(where: object) -> ConfigState:
        raise AssertionError(f"{where} was read although the environment decides")

    monkeypatch.setattr("archon.config_cache.read_telemetry_config", never)
    monkeypatch.setattr("archon.config_cache.read_config", never)
    result = invoke("version", env=env, build=KEYED_BUILD)
    assert result.exit_code == 0, result.stderr
    assert "It is OFF" in result.stderr  # the first-run notice, worded without config.yaml
    assert not paths.config.exists()


@pytest.mark.parametrize(
    "args",
    [("--", "telemetry", "status"), ("--", "telemetry", "inspect"), ("telemetry", "--", "status")],
)
def test_a_telemetry_command_after_a_double_dash_is_not_recorded(
    invoke: Invoke, paths: ArchonPaths, args: tuple[str, ...]
) -> None:
    """The parser runs the words after ``--``: the path telemetry takes is what it runs."""
    invoke("telemetry", "on", build=KEYED_BUILD)
    result = invoke(*args, build=KEYED_BUILD)
    assert result.exit_code == 0, result.stderr
    assert Outbox(paths).pending_count() == 0

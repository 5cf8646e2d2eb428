"""End to end: the real wheel, built with a test key and a loopback ingest server as host, installed in a fresh
venv, run as a user would run it. Everything the server receives is checked against what archon promises."""

from __future__ import annotations

import gzip
import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from archon.telemetry import schema
from tests.e2e.harness import Cli
from tests.e2e.processes import flusher_pids, wait_for_no_flusher
from tests.support.artefacts import REPO_ROOT, InstalledArchon
from tests.support.binary import FrozenArchon
from tests.support.ingest import IngestServer

pytestmark = pytest.mark.slow

ARRIVAL_TIMEOUT = 30.0  # the original bar; the target is a few seconds
QUIET_SECONDS = 1.0  # after the flushers are gone, how long "nothing arrives" is watched (local files are checked too)


@dataclass
class WheelArchon(Cli):
    """An installed archon (the keyed wheel's console script, or the frozen binary), run in a clean environment with
    its own ARCHON_HOME and working directory, with what these tests ask of the events that arrive."""

    def received(self, distinct_id: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.ingest.events() if distinct_id is None or e.get("distinct_id") == distinct_id]

    def wait_for(self, distinct_id: str, count: int, *, timeout: float = ARRIVAL_TIMEOUT) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received(distinct_id)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received(distinct_id)

    def quiet(self) -> None:
        """Let any flusher finish, then watch a little longer: whatever was going to arrive has arrived."""
        wait_for_no_flusher(self.home, self.cwd, timeout=ARRIVAL_TIMEOUT)
        time.sleep(QUIET_SECONDS)


@pytest.fixture
def archon(
    keyed_archon: InstalledArchon, ingest: IngestServer, isolation: Path, tmp_path: Path
) -> Iterator[WheelArchon]:
    work = tmp_path / "work"
    work.mkdir()
    harness = WheelArchon(executable=keyed_archon.archon, home=isolation, cwd=work, ingest=ingest)
    yield harness
    wait_for_no_flusher(isolation, work, timeout=ARRIVAL_TIMEOUT)  # never leak a flusher into the next test


EVERYDAY = [
    ["version"],
    ["--version"],
    ["--help"],
    ["telemetry", "status"],
    ["telemetry", "status", "--json"],
    ["telemetry", "inspect"],
    ["telemetry", "policy"],
    ["workflow", "list"],
    ["workflow", "list", "--json"],
    ["no-such-command"],
]
FEW = [["version"], ["workflow", "list"]]  # for the tests that repeat per variant


def test_default_install_sends_nothing_and_creates_no_id(archon: WheelArchon) -> None:
    for args in EVERYDAY:
        archon.run(*args)
    archon.quiet()
    assert archon.received() == []
    assert archon.identity() is None
    assert not (archon.home / "telemetry").exists()


def test_looking_at_telemetry_sends_nothing_and_creates_no_id(archon: WheelArchon) -> None:
    for args in (["telemetry", "status"], ["telemetry", "status", "--json"], ["telemetry", "inspect"]):
        assert archon.run(*args, env={"ARCHON_TELEMETRY": "on"}).returncode == 0
    archon.quiet()
    assert archon.received() == []
    assert archon.identity() is None
    assert not (archon.home / "telemetry").exists()


def test_events_arrive_after_opt_in(archon: WheelArchon, record_property: Any) -> None:
    distinct_id = archon.opt_in()
    assert archon.received() == []  # `telemetry on` itself is not recorded
    result = archon.run("version")
    exited = time.monotonic()
    assert result.returncode == 0
    received = archon.wait_for(distinct_id, 2)
    assert [e["event"] for e in received] == ["cli.command_invoked", "cli.command_completed"]
    latency = max(r.at for r in archon.ingest.snapshot()) - exited
    record_property("delivery_latency_seconds", round(latency, 3))
    print(f"delivery latency after exit: {latency:.3f} s")
    assert latency < ARRIVAL_TIMEOUT
    assert all(e["properties"]["command"] == "version" for e in received)
    assert received[1]["properties"]["exit_code"] == 0


def _same_instant(a: str, b: str) -> bool:
    return datetime.fromisoformat(a.replace("Z", "+00:00")) == datetime.fromisoformat(b.replace("Z", "+00:00"))


def test_inspect_equals_what_the_server_received(archon: WheelArchon) -> None:
    distinct_id = archon.opt_in()
    for args in (["version"], ["workflow", "list", "--json"], ["workflow", "list"], ["no-such-command"], ["--help"]):
        archon.run(*args)
    archon.wait_for(distinct_id, 10)
    archon.quiet()
    shown = json.loads(archon.run("telemetry", "inspect").stdout)["events"]
    assert len(shown) == 10
    archon.quiet()  # inspect records nothing and starts no flusher: nothing more arrives
    received = {e["uuid"]: e for e in archon.received(distinct_id)}
    assert sorted(received) == sorted(event["uuid"] for event in shown)
    for event in shown:
        assert event["uuid"] in received, event
        server = received[event["uuid"]]
        assert (server["event"], server["distinct_id"]) == (event["event"], event["distinct_id"])
        assert _same_instant(server["timestamp"], event["timestamp"])
        assert server == event  # exactly as received: nothing added on the way, nothing left out of inspect


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_do_not_track_sends_nothing_although_config_says_on(archon: WheelArchon, value: str) -> None:
    archon.opt_in()
    for args in FEW:
        archon.run(*args, env={"DO_NOT_TRACK": value})
    archon.quiet()
    assert archon.received() == []
    assert not any((archon.home / "telemetry").rglob("*.json"))


def test_do_not_track_zero_enables_nothing(archon: WheelArchon) -> None:
    for args in FEW:
        archon.run(*args, env={"DO_NOT_TRACK": "0"})
    archon.quiet()
    assert archon.received() == []
    assert archon.identity() is None


@pytest.mark.parametrize(
    ("stop_args", "stop_env"),
    [
        (["telemetry", "off"], {}),
        ([], {"ARCHON_TELEMETRY": "off"}),
        ([], {"ARCHON_TELEMETRY_DISABLED": "1"}),
    ],
    ids=["telemetry-off", "ARCHON_TELEMETRY=off", "ARCHON_TELEMETRY_DISABLED=1"],
)
def test_each_opt_out_stops_sending(archon: WheelArchon, stop_args: list[str], stop_env: dict[str, str]) -> None:
    distinct_id = archon.opt_in()
    archon.run("version")
    assert len(archon.wait_for(distinct_id, 2)) == 2  # sending works before the opt-out
    archon.quiet()
    if stop_args:
        assert archon.run(*stop_args).returncode == 0
    for args in FEW:
        archon.run(*args, env=stop_env)
    archon.quiet()
    assert len(archon.received()) == 2


def test_clear_deletes_the_id_only(archon: WheelArchon) -> None:
    first = archon.opt_in()
    config = (archon.home / "config.yaml").read_bytes()
    archon.run("version")
    archon.wait_for(first, 2)
    archon.quiet()
    assert archon.run("telemetry", "clear").returncode == 0
    assert archon.identity() is None
    assert (archon.home / "config.yaml").read_bytes() == config
    assert archon.run("version").returncode == 0
    second = archon.identity()
    assert second is not None
    assert second != first
    assert len(archon.wait_for(second, 2)) == 2
    archon.quiet()
    assert len(archon.received(first)) == 2  # nothing more under the old id, not even the clear itself


def test_events_held_back_under_the_old_id_are_never_sent_after_clear(archon: WheelArchon) -> None:
    """Sent after the reset, in one request with events under the new id, they would link the two ids."""
    first = archon.opt_in()
    archon.ingest.reset("unavailable")
    assert archon.run("version").returncode == 0
    archon.quiet()  # the flusher tried, was refused, and kept both events for later
    assert len(list((archon.home / "telemetry" / "outbox").glob("*.json"))) == 2
    cleared = archon.run("telemetry", "clear")
    assert "Deleted 2 pending event(s)" in cleared.stdout
    archon.ingest.reset("ok")
    assert archon.run("version").returncode == 0
    second = archon.identity()
    assert second is not None
    assert second != first
    assert len(archon.wait_for(second, 2)) == 2
    archon.quiet()
    for request in archon.ingest.snapshot():
        assert {event["distinct_id"] for event in request.events} == {second}
        assert first not in json.dumps(request.body)


def _user_workflow(repo: Path, name: str) -> None:
    directory = repo / ".archon" / "workflows"
    directory.mkdir(parents=True)
    (directory / f"{name}.yaml").write_text(
        f"""name: {name}
description: deploys the payroll database for acme
nodes:
  - id: push-to-zq-secret-db-7-internal
    bash: echo "deploying $ARGUMENTS with $token"
  - id: verify-zq-secret-db-7-internal
    depends_on: [push-to-zq-secret-db-7-internal]
    bash: echo "cannot reach zq-secret-db-7.internal.acme-corp.example" >&2; exit 3
""",
        encoding="utf-8",
    )


def test_every_property_received_is_declared_and_documented(archon: WheelArchon) -> None:
    distinct_id = archon.opt_in()
    _user_workflow(archon.cwd, "nightly-report")
    for args in (
        ["version"],
        ["workflow", "list"],
        ["workflow", "run", "nightly-report"],
        ["workflow", "run", "no-such-workflow"],
        ["setup", "--assistant", "claude", "--yes"],
        ["no-such-command"],
    ):
        archon.run(*args)
    archon.quiet()
    received = archon.received(distinct_id)
    names = {e["event"] for e in received}
    assert {"cli.command_invoked", "cli.command_completed", "workflow.run_started", "workflow.run_failed"} <= names
    declared_extra = set(schema.CommonProperties.PROPERTIES) | set(schema.PRIVACY_PROPERTIES)
    by_name = {cls.NAME: set(cls.PROPERTIES) for cls in schema.ALL_EVENTS}
    page = (REPO_ROOT / "docs" / "telemetry.md").read_text(encoding="utf-8")
    for event in received:
        assert set(event) <= {"event", "distinct_id", "uuid", "timestamp", "properties"}, event
        assert event["event"] in by_name
        assert set(event["properties"]) <= by_name[event["event"]] | declared_extra, event
        for name in event["properties"]:
            assert f"| `{name}` |" in page, name
    for request in archon.ingest.snapshot():
        assert isinstance(request.body, dict)
        assert set(request.body) <= {"batch", "api_key", "sent_at", "historical_migration"}, request.body.keys()


def _bodies(ingest: IngestServer) -> str:
    texts = []
    for request in ingest.snapshot():
        raw = request.raw_body
        texts.append((gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8", "replace"))
        texts.append(json.dumps(request.body))
        texts.append(request.path)
        texts.append(json.dumps(request.headers))
    return "\n".join(texts)


def test_nothing_user_specific_reaches_the_server(archon: WheelArchon, tmp_path: Path) -> None:
    """Every needle holds a letter that is not a hex digit (g-z), so it can never match by chance inside the random
    hex of a uuid or distinct_id, or the digits of a timestamp, which the bodies searched here also hold."""
    distinct_id = archon.opt_in()
    workflow_name = "acme-payroll-sk_live_51Hq8Zsecret"
    repo = tmp_path / "customer-globex-confidential"
    repo.mkdir()
    _user_workflow(repo, workflow_name)
    secret_args = ["--input", "token=ghp_16C7e42F292c6912E7710c838347Ae178B4a", "customer-list-2026.csv"]
    results = [
        archon.run("workflow", "run", workflow_name, *secret_args, cwd=repo),
        archon.run("workflow", "run", "zq-secret-db-7.internal.acme-corp.example", cwd=repo),
        archon.run(
            "workflow", "validate", str(repo / "zq-secret-db-9.internal.acme-corp.example" / "flow.yaml"), cwd=repo
        ),
    ]
    assert [r.returncode != 0 for r in results] == [True, True, True]
    assert "zq-secret-db-7.internal.acme-corp.example" in results[1].stderr  # the message holds it locally
    archon.wait_for(distinct_id, 6)
    archon.quiet()
    assert {e["properties"].get("workflow_name") for e in archon.received(distinct_id)} >= {"user-defined"}
    bodies = _bodies(archon.ingest)
    for secret in (
        workflow_name,
        "sk_live",
        "acme",
        "globex",
        "confidential",
        "ghp_",
        "customer-list",
        "zq-secret-db-7",
        "zq-secret-db-9",
        "zq-secret",
        "payroll",
        "push-to",
        str(tmp_path),
        str(archon.home),
    ):
        assert re.search("[g-z]", secret, re.IGNORECASE), f"{secret!r} could match inside a uuid by chance"
        assert secret not in bodies, secret


def test_dev_build_never_sends_and_status_says_why(archon: WheelArchon, tmp_path: Path) -> None:
    """The work tree's own build (the committed dev constants: no key) installed editable in the main venv."""
    dev_archon = InstalledArchon(Path(sys.prefix)).archon
    dev = WheelArchon(executable=dev_archon, home=archon.home, cwd=archon.cwd, ingest=archon.ingest)
    assert "Telemetry key: none" in dev.run("version").stdout
    result = dev.run("telemetry", "on")
    assert "no telemetry key" in result.stderr
    for args in FEW:
        dev.run(*args)
    status = json.loads(dev.run("telemetry", "status", "--json").stdout)
    assert (status["enabled"], status["sending"], status["key_status"]) == (True, False, "none: development build")
    assert "no telemetry key" in status["not_sending_because"]
    dev.quiet()
    assert archon.received() == []
    assert not (archon.home / "telemetry").exists()


def test_no_flusher_is_left_behind(archon: WheelArchon) -> None:
    distinct_id = archon.opt_in()
    for _ in range(3):
        archon.run("version")
    archon.wait_for(distinct_id, 6)
    assert wait_for_no_flusher(archon.home, archon.cwd, timeout=ARRIVAL_TIMEOUT) == []
    assert flusher_pids(archon.home, archon.cwd) == []
    assert not any((archon.home / "telemetry" / "outbox").glob("*.json"))


def test_frozen_binary_delivers_and_leaves_no_process(
    frozen_archon: FrozenArchon, ingest: IngestServer, isolation: Path, tmp_path: Path, record_property: Any
) -> None:
    """The binary has no ``python -m``: its flusher is the binary re-executing itself."""
    work = tmp_path / "work"
    work.mkdir()
    binary = WheelArchon(executable=frozen_archon.executable, home=isolation, cwd=work, ingest=ingest)
    assert "Build: binary" in binary.run("version").stdout
    distinct_id = binary.opt_in()
    assert binary.run("version").returncode == 0
    exited = time.monotonic()
    received = binary.wait_for(distinct_id, 3)
    latency = max(r.at for r in ingest.snapshot()) - exited
    record_property("binary_delivery_latency_seconds", round(latency, 3))
    print(f"binary delivery latency after exit: {latency:.3f} s")
    assert [e["event"] for e in received] == ["binary.startup", "cli.command_invoked", "cli.command_completed"]
    assert all(e["properties"]["archon_is_binary"] is True for e in received)
    assert wait_for_no_flusher(isolation, work, timeout=ARRIVAL_TIMEOUT) == []
    assert not any((isolation / "telemetry" / "outbox").glob("*.json"))

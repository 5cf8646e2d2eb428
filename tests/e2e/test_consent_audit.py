"""End to end, on the installed keyed wheel and the loopback ingest server: consent you can audit (issue 13).

The policy has a fingerprint quoted in docs/telemetry.md; `archon telemetry on` writes a consent record; an upgrade
that adds something is not sent until it is accepted; `archon telemetry local` keeps events here and never sends
them; `archon telemetry clear --all` removes everything but the config.

These tests are black-box: they run `archon` as a user would and read only what archon documents (its output,
its files under ARCHON_HOME, what the ingest server receives). They import nothing from ``archon``. The record an
older archon would have written is written here by hand, in the documented format (docs/telemetry.md).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.e2e.processes import wait_for_no_flusher
from tests.e2e.wheel_archon import ARRIVAL_TIMEOUT, WheelArchon
from tests.support.artefacts import REPO_ROOT, InstalledArchon, build_env, install_wheel
from tests.support.ingest import IngestServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts left-behind processes with prctl"),
]

HEX64 = re.compile(r"\b[0-9a-f]{64}\b")

# Runs a command as a child subreaper (Linux prctl), so that every process the command leaves behind (a detached
# sender above all) is re-parented here when its parent exits; waits for all of them and reports how many there
# were, with the command's own result. A process archon waits for itself is not counted.
_REAPER = r"""
import ctypes, json, os, subprocess, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
left_behind = 0
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
    left_behind += 1
json.dump({"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
           "left_behind": left_behind}, sys.stdout)
"""


def canonical(policy: Mapping[str, Any]) -> bytes:
    """The documented canonical form: sorted keys, no whitespace, ASCII."""
    return json.dumps(policy, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def policy_hash(policy: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(policy)).hexdigest()


class Archon(WheelArchon):
    """The wheel tests' harness, plus what these tests read: JSON output, the consent record, inspect, and runs
    whose left-behind processes are counted."""

    def run_reaped(self, *args: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Run, then wait for every process the run left behind; ``left_behind`` counts them."""
        done = subprocess.run(
            [sys.executable, "-c", _REAPER, str(self.executable), *args],
            env={**os.environ, "ARCHON_HOME": str(self.home), **(env or {})},
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def json(self, *args: str, env: Mapping[str, str] | None = None) -> Any:
        result = self.run(*args, env=env)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    @property
    def telemetry_dir(self) -> Path:
        return self.home / "telemetry"

    @property
    def consent_file(self) -> Path:
        return self.telemetry_dir / "consent.json"

    def inspect(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.json("telemetry", "inspect")["events"]
        return events

    def write_record(self, record: Mapping[str, Any]) -> None:
        """Write consent.json as another archon version would have (0600, in the telemetry directory)."""
        self.consent_file.write_text(json.dumps(record, indent=2), encoding="utf-8")
        self.consent_file.chmod(0o600)


@pytest.fixture
def archon(keyed_archon: InstalledArchon, ingest: IngestServer, isolation: Path, tmp_path: Path) -> Iterator[Archon]:
    work = tmp_path / "work"
    work.mkdir()
    harness = Archon(executable=keyed_archon.archon, home=isolation, cwd=work, ingest=ingest)
    yield harness
    wait_for_no_flusher(isolation, work, timeout=ARRIVAL_TIMEOUT)  # never leak a sender into the next test


def _completed(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == "cli.command_completed"]


def _older_record(current: Mapping[str, Any], *, drop: tuple[str, str]) -> dict[str, Any]:
    """The record an archon whose schema lacked ``drop`` (event, property) wrote when the user ran `telemetry on`."""
    policy = copy.deepcopy(dict(current))
    event, prop = drop
    del policy["events"][event][prop]
    return {
        "format": 1,
        "consented_at": "2026-01-02T03:04:05+00:00",
        "how": "command",
        "archon_version": "9.8.6",
        "policy_hash": policy_hash(policy),
        "policy": policy,
    }


# --- 1. The policy, offline, with a fingerprint -------------------------------------------------------------------


def test_policy_hash_is_the_one_docs_quote_and_anyone_can_recompute_it(archon: Archon) -> None:
    shown = archon.json("telemetry", "policy", "--json")
    digest = shown["policy_hash"]
    assert HEX64.fullmatch(digest), digest
    assert policy_hash(shown["policy"]) == digest  # the documented recipe reproduces it
    page = (REPO_ROOT / "docs" / "telemetry.md").read_text(encoding="utf-8")
    assert set(HEX64.findall(page)) == {digest}, "docs/telemetry.md must quote exactly this build's policy hash"
    events = shown["policy"]["events"]
    assert {"cli.command_invoked", "cli.command_completed", "error.uncaught"} <= set(events)
    assert {"command", "subcommand", "exit_code", "duration_ms"} == set(events["cli.command_completed"])
    text = archon.run("telemetry", "policy")
    assert text.returncode == 0, text.stderr
    assert digest in text.stdout
    assert "docs/telemetry.md" in text.stdout
    for name in events:
        assert name in text.stdout, name
    # Offline and side-effect free: nothing sent, no id, no telemetry directory.
    archon.quiet()
    assert archon.received() == []
    assert archon.identity() is None
    assert not archon.telemetry_dir.exists()


def _tree_copy(destination: Path) -> Path:
    """The work tree's files (tracked and new, not ignored), as a wheel built from the work tree would see them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def _schema_file(tree: Path) -> Path:
    for candidate in ("archon/telemetry/schema.py", "archon/telemetry/events.py"):
        if (tree / candidate).is_file():
            return tree / candidate
    raise AssertionError("no event schema module found")


def _reword(text: str) -> str:
    """Change only prose: every event's reason and a property's explanation."""
    reworded = text.replace("Sent when", "Recorded when")
    assert reworded != text, "the schema's WHY strings changed shape; update this test"
    again = reworded.replace("in whole milliseconds", "in milliseconds, rounded")
    assert again != reworded, "the schema's property docs changed shape; update this test"
    return again


def _add_property(text: str) -> str:
    """Declare one more property, ``peak_memory_mb``, on ``cli.command_completed``: a copy of its ``duration_ms``
    declaration under the new name."""
    start = text.index('"cli.command_completed"')
    match = re.compile(r"^([ \t]+)duration_ms\b", re.MULTILINE).search(text, start)
    assert match is not None, "cli.command_completed has no duration_ms declaration; update this test"
    end = match.start()
    depth = 0
    for index in range(match.start(), len(text)):  # the declaration ends at the first newline outside brackets
        char = text[index]
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "\n" and depth == 0:
            end = index + 1
            break
    declaration = text[match.start() : end]
    return text[:end] + declaration.replace("duration_ms", "peak_memory_mb", 1) + text[end:]


def _policy_of(tree: Path, work: Path) -> dict[str, Any]:
    """Build a wheel of ``tree`` (no key: the policy does not depend on it), install it, ask it for its policy."""
    out = work / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(tree)],
        env=build_env({}),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = out.glob("*.whl")
    installed = install_wheel(wheel, work / "venv")
    shown = subprocess.run(
        [str(installed.archon), "telemetry", "policy", "--json"],
        env={**os.environ, "ARCHON_HOME": str(work / "home")},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    result: dict[str, Any] = json.loads(shown.stdout)
    return result


def test_policy_hash_changes_with_a_new_property_and_not_with_prose(archon: Archon, tmp_path: Path) -> None:
    baseline = archon.json("telemetry", "policy", "--json")

    prose = _tree_copy(tmp_path / "prose-tree")
    schema = _schema_file(prose)
    schema.write_text(_reword(schema.read_text(encoding="utf-8")), encoding="utf-8")
    reworded = _policy_of(prose, tmp_path / "prose-build")
    assert reworded["policy_hash"] == baseline["policy_hash"]
    assert reworded["policy"] == baseline["policy"]
    assert reworded != baseline  # the build did take the new words; they are shown, just not hashed

    widened_tree = _tree_copy(tmp_path / "property-tree")
    schema = _schema_file(widened_tree)
    schema.write_text(_add_property(schema.read_text(encoding="utf-8")), encoding="utf-8")
    widened = _policy_of(widened_tree, tmp_path / "property-build")
    assert widened["policy_hash"] != baseline["policy_hash"]
    assert policy_hash(widened["policy"]) == widened["policy_hash"]
    completed = widened["policy"]["events"]["cli.command_completed"]
    assert completed["peak_memory_mb"] == completed["duration_ms"]
    del completed["peak_memory_mb"]
    assert widened["policy"] == baseline["policy"]  # that property is the whole difference


# --- 2. The consent record ----------------------------------------------------------------------------------------


def test_on_writes_a_private_consent_record_that_status_shows(archon: Archon) -> None:
    shown = archon.json("telemetry", "policy", "--json")
    assert not archon.consent_file.exists()
    before = datetime.now(UTC)
    archon.opt_in()
    after = datetime.now(UTC)
    assert archon.consent_file.stat().st_mode & 0o777 == 0o600
    assert archon.telemetry_dir.stat().st_mode & 0o777 == 0o700
    record = json.loads(archon.consent_file.read_text(encoding="utf-8"))
    assert {"consented_at", "how", "policy_hash", "policy"} <= set(record)
    assert record["how"] == "command"
    when = datetime.fromisoformat(record["consented_at"].replace("Z", "+00:00"))
    assert when.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= when <= after + timedelta(seconds=1)
    assert record["policy_hash"] == shown["policy_hash"]
    assert record["policy"] == shown["policy"]
    assert policy_hash(record["policy"]) == record["policy_hash"]
    for event, properties in record["policy"]["events"].items():  # each event with its property names
        assert isinstance(properties, dict), event
    assert "duration_ms" in record["policy"]["events"]["cli.command_completed"]

    status = archon.json("telemetry", "status", "--json")
    shown_record = status["consent_record"]
    assert shown_record["how"] == "command"
    assert shown_record["consented_at"] == record["consented_at"]
    assert shown_record["policy_hash"] == record["policy_hash"]
    text = archon.run("telemetry", "status")
    assert record["policy_hash"][:12] in text.stdout


# --- 3. No silent widening ----------------------------------------------------------------------------------------


def test_a_property_missing_from_the_record_is_not_sent_until_on_accepts_it(archon: Archon) -> None:
    distinct_id = archon.opt_in()
    current = json.loads(archon.consent_file.read_text(encoding="utf-8"))["policy"]
    archon.write_record(_older_record(current, drop=("cli.command_completed", "duration_ms")))

    first = archon.run("workflow", "list", "--json")
    assert first.returncode == 0, first.stderr
    json.loads(first.stdout)  # the notice never reaches stdout, nor --json output
    assert "duration_ms" in first.stderr
    assert "archon telemetry on" in first.stderr
    received = archon.wait_for(distinct_id, 2)
    assert [e["event"] for e in received] == ["cli.command_invoked", "cli.command_completed"]
    assert "duration_ms" not in received[1]["properties"]
    assert received[1]["properties"]["exit_code"] == 0
    assert received[0]["properties"]["command"] == "workflow"
    archon.quiet()
    shown = _completed(archon.inspect())
    assert shown
    assert all("duration_ms" not in e["properties"] for e in shown)  # inspect shows what went

    second = archon.run("version")
    assert second.returncode == 0, second.stderr
    assert "duration_ms" not in second.stderr  # the notice is shown once
    assert len(archon.wait_for(distinct_id, 4)) == 4
    archon.quiet()
    assert all("duration_ms" not in e["properties"] for e in _completed(archon.received(distinct_id)))

    assert archon.run("telemetry", "on").returncode == 0  # accepts what this version adds
    assert json.loads(archon.consent_file.read_text(encoding="utf-8"))["policy"] == current
    third = archon.run("version")
    assert "duration_ms" not in third.stderr
    received = archon.wait_for(distinct_id, 6)
    assert isinstance(_completed(received)[-1]["properties"]["duration_ms"], int)


def test_env_consent_covers_this_build_for_that_process_only(archon: Archon) -> None:
    distinct_id = archon.opt_in()
    current = json.loads(archon.consent_file.read_text(encoding="utf-8"))["policy"]
    archon.write_record(_older_record(current, drop=("cli.command_completed", "duration_ms")))
    stored = archon.consent_file.read_bytes()

    by_env = archon.run("version", env={"ARCHON_TELEMETRY": "on"})
    assert by_env.returncode == 0, by_env.stderr
    assert "duration_ms" not in by_env.stderr  # nothing is held back, so there is nothing to announce
    received = archon.wait_for(distinct_id, 2)
    assert isinstance(_completed(received)[0]["properties"]["duration_ms"], int)
    archon.quiet()
    assert archon.consent_file.read_bytes() == stored  # not written: that consent was for that process only

    by_config = archon.run("version")
    assert "duration_ms" in by_config.stderr
    received = archon.wait_for(distinct_id, 4)
    assert "duration_ms" not in _completed(received)[-1]["properties"]


def test_narrowing_needs_no_new_consent(archon: Archon) -> None:
    """A record that allows more than this build sends (a property and an event it no longer has)."""
    distinct_id = archon.opt_in()
    record = json.loads(archon.consent_file.read_text(encoding="utf-8"))
    policy = record["policy"]
    policy["events"]["cli.command_completed"]["peak_memory_mb"] = {"type": "integer"}
    policy["events"]["cli.command_retired"] = {}
    archon.write_record({**record, "policy": policy, "policy_hash": policy_hash(policy)})

    result = archon.run("version")
    assert result.returncode == 0, result.stderr
    assert "archon telemetry on" not in result.stderr
    received = archon.wait_for(distinct_id, 2)
    assert [e["event"] for e in received] == ["cli.command_invoked", "cli.command_completed"]
    assert {"command", "subcommand", "exit_code", "duration_ms"} <= set(received[1]["properties"])


# --- 4. Local-only mode -------------------------------------------------------------------------------------------


def test_local_mode_keeps_events_here_and_never_sends_them(archon: Archon) -> None:
    assert archon.run("telemetry", "local").returncode == 0
    config = YAML(typ="safe").load((archon.home / "config.yaml").read_text(encoding="utf-8"))
    assert config["telemetry"]["enabled"] is False  # what an archon without local mode reads: off
    status = archon.json("telemetry", "status", "--json")
    assert status["mode"] == "local"
    assert status["sending"] is False

    for args in (["version"], ["workflow", "list"], ["--help"]):
        result = archon.run_reaped(*args)
        assert result["returncode"] == 0, result["stderr"]
        assert result["left_behind"] == 0, args  # no sender process was started
    local = archon.inspect()
    assert [e["event"] for e in local] == ["cli.command_invoked", "cli.command_completed"] * 3
    assert [e["properties"]["command"] for e in local[::2]] == ["version", "workflow", ""]
    assert archon.identity() is None  # local mode needs no anonymous id

    assert archon.run("version", env={"DO_NOT_TRACK": "1"}).returncode == 0  # DO_NOT_TRACK still wins
    assert archon.inspect() == local
    archon.quiet()
    assert archon.received() == []

    distinct_id = archon.opt_in()
    sent = archon.run_reaped("version")
    assert sent["returncode"] == 0, sent["stderr"]
    assert sent["left_behind"] >= 1  # the same check does see a sender when one is started
    received = archon.wait_for(distinct_id, 2)
    archon.quiet()
    assert [e["event"] for e in archon.received()] == ["cli.command_invoked", "cli.command_completed"]
    assert {e["uuid"] for e in received}.isdisjoint(e["uuid"] for e in local)


# --- 5. A full reset ----------------------------------------------------------------------------------------------


def _files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_clear_all_leaves_no_telemetry_file_but_the_config(archon: Archon) -> None:
    distinct_id = archon.opt_in()
    assert archon.run("version").returncode == 0
    archon.wait_for(distinct_id, 2)
    archon.quiet()  # sent: the sent log and the delivery counters exist
    archon.ingest.reset("unavailable")
    assert archon.run("version").returncode == 0
    archon.quiet()  # refused: two events wait in the outbox
    assert len(_files(archon.telemetry_dir)) >= 4, _files(archon.telemetry_dir)
    config = (archon.home / "config.yaml").read_bytes()

    cleared = archon.run("telemetry", "clear", "--all")
    assert cleared.returncode == 0, cleared.stderr
    assert distinct_id in cleared.stdout
    assert "docs/telemetry.md" in cleared.stdout  # how to ask for deletion of what was sent
    # config.yaml stays, with its cache (.config-cache, the same settings), and the first-run marker (empty).
    left = [name for name in _files(archon.home) if name not in ("config.yaml", ".config-cache")]
    assert [name for name in left if "first-run" not in name] == []
    assert (archon.home / "config.yaml").read_bytes() == config

    archon.ingest.reset("ok")
    assert archon.run("version").returncode == 0
    archon.quiet()
    assert archon.identity() != distinct_id
    assert archon.received(distinct_id) == []  # nothing held back under the removed id was sent after all

"""What archon's commands import: a deterministic stand-in for start-up time (measured by benchmarks/startup.py).

Every command loads the whole Typer command tree, so each command module keeps only its signatures at the top and
imports the rest inside the functions that need it. These tests run real processes and read what they imported
(``-X importtime``, or ``sys.modules``), and pin that ``archon version`` and ``archon --help`` load nothing they do
not need: no workflow engine, no YAML library without a config file to read, no event schema or outbox while
telemetry is off, no network library, no pydantic (see the typer pin in pyproject.toml). Modules that
``import typer`` itself loads (``subprocess`` among them) are the floor, and not archon's to avoid; so are those
of Typer's rich help (``typer.rich_utils``, which loads ``logging`` through markdown-it) for ``--help``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY

# Never needed by `archon version` or `archon --help` with telemetry off and no config.yaml.
HEAVY = (
    "ruamel.yaml",
    "pydantic",
    "posthog",
    "requests",
    "urllib3",
    "logging",
    "json",
    "tempfile",
    "uuid",
    "importlib.resources",
    "concurrent.futures",
    "archon.workflows.catalog",
    "archon.workflows.loader",
    "archon.workflows.executor",
    "archon.workflows.process",
    "archon.cli.workflow_render",
    "archon.cli.workflow_events",
    "archon.telemetry.schema",
    "archon.telemetry.recorder",
    "archon.telemetry.identity",
    "archon.telemetry.outbox",
    "archon.telemetry.status",
    "archon.telemetry.policy",
    "archon.telemetry.consent_record",
    "archon.telemetry.consented_policy",
    "archon.telemetry.reset",
    "archon.cli.telemetry_policy",
    "archon.telemetry.upload.launch",
    "archon.telemetry.upload.drain",
    "archon.telemetry.upload.sender",
)
RECORDING = ("archon.telemetry.schema", "archon.telemetry.recorder", "archon.telemetry.outbox")


def _env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The isolated environment (no opt-out variables: the default user) with ``home`` as the archon home."""
    return {**os.environ, "ARCHON_HOME": str(home), **(extra or {})}


def _importtime(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> set[str]:
    """Every module ``python -X importtime ARGV`` imported (whatever its exit code: ``archon`` alone exits 2)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=cwd,
        timeout=120,
        check=False,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:") and "[us]" not in line]
    return {line.rsplit("|", 1)[1].strip() for line in lines}


def _loaded(modules: set[str], names: Sequence[str]) -> list[str]:
    """Which of ``names`` (packages included, e.g. ``ruamel.yaml`` for ``ruamel.yaml.main``) are in ``modules``."""
    return [name for name in names if any(module == name or module.startswith(name + ".") for module in modules)]


def _floor(tmp_path_factory: pytest.TempPathFactory, code: str) -> set[str]:
    cwd = tmp_path_factory.mktemp("floor")
    modules = _importtime(["-c", code], env=_env(cwd / "home"), cwd=cwd)
    assert "typer" in modules
    return modules


@pytest.fixture(scope="module")
def floor(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """What ``import typer`` imports: archon cannot import less."""
    return _floor(tmp_path_factory, "import typer")


@pytest.fixture(scope="module")
def help_floor(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """What Typer's rich help imports."""
    return _floor(tmp_path_factory, "import typer, typer.rich_utils")


def _archon(isolation: Path, tmp_path: Path, *args: str, env: Mapping[str, str] | None = None) -> set[str]:
    """The modules the real entry point (``python -P -m archon ARGS``) imports."""
    return _importtime(["-P", "-m", "archon", *args], env=_env(isolation, env), cwd=tmp_path)


@pytest.mark.parametrize("args", [["version"], ["--version"]])
def test_version_imports_nothing_heavy(args: list[str], floor: set[str], isolation: Path, tmp_path: Path) -> None:
    first = _archon(isolation, tmp_path, *args)
    assert "archon.cli.app" in first
    assert _loaded(first - floor, HEAVY) == []  # the first run writes its marker too, with nothing heavy
    assert _loaded(_archon(isolation, tmp_path, *args) - floor, HEAVY) == []
    assert _loaded(_archon(isolation, tmp_path, *args, env={"DO_NOT_TRACK": "1"}) - floor, HEAVY) == []


@pytest.mark.parametrize("args", [["--help"], ["workflow", "--help"], ["telemetry", "--help"], []])
def test_help_imports_nothing_heavy(args: list[str], help_floor: set[str], isolation: Path, tmp_path: Path) -> None:
    _archon(isolation, tmp_path, "version")  # past the first run
    modules = _archon(isolation, tmp_path, *args)
    assert {"archon.cli.app", "typer.rich_utils"} <= modules
    assert _loaded(modules - help_floor, HEAVY) == []


def test_a_config_file_is_parsed_only_when_something_needs_it(floor: set[str], isolation: Path, tmp_path: Path) -> None:
    isolation.mkdir()
    (isolation / "config.yaml").write_text("defaultAssistant: codex\ntelemetry:\n  enabled: false\n")
    # The first-run notice says whether telemetry is on, so it reads config.yaml; a development build (no key)
    # records nothing, so later runs never do.
    assert _loaded(_archon(isolation, tmp_path, "version"), ["ruamel.yaml"]) == ["ruamel.yaml"]
    assert _loaded(_archon(isolation, tmp_path, "version") - floor, HEAVY) == []


def test_the_workflow_engine_loads_for_workflow_commands(isolation: Path, tmp_path: Path) -> None:
    """The other side of the contract, and proof that the detection above sees what is imported."""
    modules = _archon(isolation, tmp_path, "workflow", "list")
    assert _loaded(modules, ["ruamel.yaml", "archon.workflows.catalog", "archon.workflows.loader"]) == [
        "ruamel.yaml",
        "archon.workflows.catalog",
        "archon.workflows.loader",
    ]


_KEYED_RUN = """
import sys
from archon.buildinfo import current_build
from archon.cli.app import run
from archon.runtime import Runtime

count = int(sys.argv[1])
flusher = tuple(sys.argv[2 : 2 + count])  # what the run starts as its flusher; none: it starts nothing
key, args = sys.argv[2 + count], sys.argv[3 + count :]
runtime = Runtime.from_os()._replace(executable=flusher)
build = current_build()._replace(posthog_key=key, posthog_host="http://127.0.0.1:9")
code = run(args, runtime=runtime, build=build)
print(repr({"code": code, "modules": sorted(sys.modules)}))  # repr, not json: the run must not load json
"""


def _keyed(
    isolation: Path,
    tmp_path: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    flusher: Sequence[str] = (),
) -> set[str]:
    """The modules a keyed (release-like) build imports for ``archon ARGS``, starting ``flusher`` (none: nothing)
    when it would start a flusher."""
    done = subprocess.run(
        [sys.executable, "-P", "-c", _KEYED_RUN, str(len(flusher)), *flusher, TEST_KEY, *args],
        capture_output=True,
        text=True,
        env=_env(isolation, env),
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    outcome = ast.literal_eval(done.stdout.splitlines()[-1])
    assert outcome["code"] == 0
    return set(outcome["modules"])


def test_a_keyed_build_with_telemetry_off_loads_no_recording_code(isolation: Path, tmp_path: Path) -> None:
    _keyed(isolation, tmp_path, "version")  # the first run, with its notice
    modules = _keyed(isolation, tmp_path, "version")
    assert _loaded(modules, [*RECORDING, "archon.telemetry.upload.launch", "ruamel.yaml", "posthog"]) == []


CONSENT_RECORD = ("archon.telemetry.consent_record", "archon.telemetry.policy")
PREPARED_RUN = (
    "archon.cli.recording",
    "archon.telemetry.vocabulary",
    "archon.telemetry.prepared",
    "archon.telemetry.outbox",
    "archon.telemetry.outbox.event_file",
    "archon.timestamps",
    "archon.filelock",
    "archon.telemetry.upload",
    "archon.telemetry.upload.launch",
)
"""What a recording run loads beyond what the same run with telemetry off loads, once its events are prepared:
nothing else (archon/telemetry/prepared.py; docs/performance.md, "Recording")."""
STARTS_NOTHING = (sys.executable, "-c", "pass")
"""A flusher that ends at once: the run goes as far as starting one."""


@pytest.mark.parametrize("consent", ["env", "config"])
def test_a_recording_run_loads_the_prepared_path_and_nothing_else(
    isolation: Path, tmp_path: Path, consent: str
) -> None:
    """No schema, no recorder, no json, no identity or consent record, no flusher code, no posthog."""
    env = {"ARCHON_TELEMETRY": "on"} if consent == "env" else {}
    if consent == "config":
        _keyed(isolation, tmp_path, "telemetry", "on")
    first = _keyed(isolation, tmp_path, "version", env=env)  # the long way: records, and prepares the next runs
    assert _loaded(first, list(RECORDING)) == list(RECORDING)
    off = _keyed(isolation, tmp_path, "version", env={"ARCHON_TELEMETRY": "off"}, flusher=STARTS_NOTHING)
    on = _keyed(isolation, tmp_path, "version", env=env, flusher=STARTS_NOTHING)
    assert sorted(on - off) == sorted(PREPARED_RUN)
    assert _loaded(on, [*CONSENT_RECORD, "json", "dataclasses", "posthog", "archon.telemetry.upload.process"]) == []


def test_the_long_way_never_loads_posthog(isolation: Path, tmp_path: Path) -> None:
    modules = _keyed(isolation, tmp_path, "version", env={"ARCHON_TELEMETRY": "on"})
    assert _loaded(modules, [*RECORDING, "posthog", "requests"]) == list(RECORDING)


def test_consent_from_the_environment_reads_no_record(isolation: Path, tmp_path: Path) -> None:
    """``ARCHON_TELEMETRY=on`` consents to this build's policy, for this process: no record, no policy."""
    modules = _keyed(isolation, tmp_path, "version", env={"ARCHON_TELEMETRY": "on"})
    assert _loaded(modules, [*CONSENT_RECORD, "archon.telemetry.consented_policy", "hashlib"]) == []


def test_consent_from_config_reads_the_record_only_when_it_is_not_known_to_cover_this_build(
    isolation: Path, tmp_path: Path
) -> None:
    """The first run after ``on`` reads the record and builds the policy (and hashes nothing); it prepares the
    next runs' events with the record's signature, and they know from those that it covers this build."""
    _keyed(isolation, tmp_path, "telemetry", "on")
    modules = _keyed(isolation, tmp_path, "version")
    assert _loaded(modules, [*RECORDING, *CONSENT_RECORD]) == [*RECORDING, *CONSENT_RECORD]
    assert _loaded(modules, ["archon.telemetry.consented_policy", "hashlib", "posthog"]) == []
    prepared = ["archon.telemetry.recorder", "archon.telemetry.schema", *CONSENT_RECORD]
    assert _loaded(_keyed(isolation, tmp_path, "version"), prepared) == []
    (isolation / "telemetry" / ".prepared-events").unlink()
    assert _loaded(_keyed(isolation, tmp_path, "version"), list(CONSENT_RECORD)) == list(CONSENT_RECORD)


def test_a_keyed_build_decides_from_config_yaml_without_parsing_it_each_time(isolation: Path, tmp_path: Path) -> None:
    """config.yaml's telemetry section is cached (archon/config_cache.py): only a changed file is parsed again."""
    isolation.mkdir()
    (isolation / "config.yaml").write_text("defaultAssistant: codex\ntelemetry:\n  enabled: false\n")
    assert _loaded(_keyed(isolation, tmp_path, "version"), ["ruamel.yaml"]) == ["ruamel.yaml"]  # parses, caches
    assert _loaded(_keyed(isolation, tmp_path, "version"), ["ruamel.yaml"]) == []

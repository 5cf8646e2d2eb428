"""Adding a property that the schema does not declare fails at run time and fails the type check."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import archon
from archon.buildinfo import current_build
from archon.telemetry import events
from archon.telemetry.events import CliCommandInvoked, SafeName
from archon.telemetry.queued import common_properties, make_queued
from tests.support.artefacts import REPO_ROOT

DECLARED_EVERYWHERE = {f.name for f in dataclasses.fields(events.CommonProperties)} | set(events.PRIVACY_PROPERTIES)


def test_an_undeclared_property_is_refused_at_run_time() -> None:
    extra: dict[str, Any] = {"hostname": "db.internal.example.com"}
    with pytest.raises(TypeError, match="hostname"):
        CliCommandInvoked(command=SafeName("version"), subcommand=SafeName(""), **extra)


def test_an_event_cannot_grow_an_attribute() -> None:
    event = CliCommandInvoked(command=SafeName("version"), subcommand=SafeName(""))
    with pytest.raises((AttributeError, TypeError)):
        event.hostname = "x"  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", events.ALL_EVENTS, ids=lambda cls: cls.NAME)
def test_stored_events_hold_only_declared_properties(cls: type[events.Event]) -> None:
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        values[field.name] = {"int": 1, "bool": True}.get(str(field.type), "none")
    queued = make_queued(
        cls(**values), common=common_properties(current_build()), distinct_id="x", now=datetime.now(UTC)
    )
    assert set(queued["properties"]) == {f.name for f in dataclasses.fields(cls)} | DECLARED_EVERYWHERE


def test_every_event_class_in_archon_is_registered() -> None:
    for module in pkgutil.walk_packages(archon.__path__, prefix="archon."):
        if module.name != "archon.__main__":
            importlib.import_module(module.name)
    pending = list(events.Event.__subclasses__())
    found = set()
    while pending:  # by name: a slots dataclass leaves its pre-slots twin among the subclasses
        cls = pending.pop()
        found.add(f"{cls.__module__}.{cls.__qualname__}")
        pending.extend(cls.__subclasses__())
    assert found == {f"{cls.__module__}.{cls.__qualname__}" for cls in events.ALL_EVENTS}


GOOD = """
from archon.telemetry.events import CliCommandInvoked, SafeName
CliCommandInvoked(command=SafeName("version"), subcommand=SafeName(""))
"""
UNDECLARED = """
from archon.telemetry.events import CliCommandInvoked, SafeName
CliCommandInvoked(command=SafeName("version"), subcommand=SafeName(""), hostname="db.internal.example.com")
"""
UNSANITISED = """
from archon.telemetry.events import CliCommandInvoked, SafeName
CliCommandInvoked(command="my-secret-workflow", subcommand=SafeName(""))
"""
BAD_LITERAL = """
from archon.telemetry.events import SafeName, WorkflowNodeFailed
WorkflowNodeFailed(
    workflow_name=SafeName("user-defined"), node_type="bash", error_classification="boom", provider="none"
)
"""


@pytest.mark.slow
def test_an_undeclared_property_fails_the_type_check(tmp_path: Path) -> None:
    snippets = {"good": GOOD, "undeclared": UNDECLARED, "unsanitised": UNSANITISED, "bad_literal": BAD_LITERAL}
    for name, text in snippets.items():
        (tmp_path / f"{name}.py").write_text(text, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",  # a private cache: a shared one replays errors recorded under an older tmp path
            str(tmp_path / "mypy-cache"),
            "--config-file",
            str(REPO_ROOT / "pyproject.toml"),
            *(str(tmp_path / f"{name}.py") for name in snippets),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    by_file = {name: [e for e in errors if e.startswith(str(tmp_path / f"{name}.py"))] for name in snippets}
    assert by_file["good"] == [], result.stdout
    assert any('Unexpected keyword argument "hostname"' in e for e in by_file["undeclared"]), result.stdout
    assert any('expected "SafeName"' in e for e in by_file["unsanitised"]), result.stdout
    assert any('"error_classification"' in e for e in by_file["bad_literal"]), result.stdout
    assert len(errors) == 3, result.stdout

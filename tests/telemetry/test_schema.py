"""The schema: adding a property that it does not declare fails at run time and fails the type check; the
allow-list is derived from it; docs and the policy read each property's type and reason from it."""

from __future__ import annotations

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
from archon.telemetry import schema
from archon.telemetry.recorder import common_properties, stored_event
from archon.telemetry.schema import CliCommandInvoked, SafeName
from tests.support.artefacts import REPO_ROOT

DECLARED_EVERYWHERE = set(schema.CommonProperties.PROPERTIES) | set(schema.PRIVACY_PROPERTIES)


def test_an_undeclared_property_is_refused_at_run_time() -> None:
    extra: dict[str, Any] = {"hostname": "db.internal.example.com"}
    with pytest.raises(TypeError, match="hostname"):
        CliCommandInvoked(command=SafeName("version"), subcommand=SafeName(""), **extra)


def test_an_event_cannot_grow_an_attribute() -> None:
    event = CliCommandInvoked(command=SafeName("version"), subcommand=SafeName(""))
    with pytest.raises((AttributeError, TypeError)):
        event.hostname = "x"


def test_an_event_is_immutable_and_compares_by_value() -> None:
    event = CliCommandInvoked(command=SafeName("version"), subcommand=SafeName(""))
    with pytest.raises(AttributeError):
        event.command = SafeName("setup")  # type: ignore[misc]
    assert event == CliCommandInvoked(command=SafeName("version"), subcommand=SafeName(""))
    assert event != CliCommandInvoked(command=SafeName("setup"), subcommand=SafeName(""))
    assert hash(event) == hash(CliCommandInvoked(command=SafeName("version"), subcommand=SafeName("")))
    assert repr(event) == "CliCommandInvoked(command='version', subcommand='')"


def test_a_missing_property_is_refused_at_run_time() -> None:
    values: dict[str, Any] = {"command": SafeName("version")}
    with pytest.raises(TypeError, match="subcommand"):
        CliCommandInvoked(**values)


@pytest.mark.parametrize("cls", schema.ALL_EVENTS, ids=lambda cls: cls.NAME)
def test_stored_events_hold_only_declared_properties(cls: type[schema.Event]) -> None:
    values: dict[str, Any] = {}
    for declared, annotation in schema.schema_fields(cls):
        values[declared.name] = {int: 1, bool: True}.get(annotation, "none")
    stored = stored_event(
        cls(**values), common=common_properties(current_build()), distinct_id="x", now=datetime.now(UTC)
    )
    assert set(stored["properties"]) == set(cls.PROPERTIES) | DECLARED_EVERYWHERE
    assert schema.allowed_properties(cls.NAME) == frozenset(stored["properties"])


def test_an_undeclared_event_has_no_allowed_properties() -> None:
    assert schema.allowed_properties("$pageview") is None


def test_every_declared_property_has_a_reason_and_a_resolvable_type() -> None:
    for cls in (*schema.ALL_EVENTS, schema.CommonProperties):
        for declared, annotation in schema.schema_fields(cls):
            assert declared.doc.strip(), f"{cls.__name__}.{declared.name} has no reason"
            assert annotation is not None


def test_every_event_class_in_archon_is_registered() -> None:
    for module in pkgutil.walk_packages(archon.__path__, prefix="archon."):
        if module.name != "archon.__main__":
            importlib.import_module(module.name)
    pending = list(schema.Event.__subclasses__())
    found = set()
    while pending:
        cls = pending.pop()
        found.add(f"{cls.__module__}.{cls.__qualname__}")
        pending.extend(cls.__subclasses__())
    assert found == {f"{cls.__module__}.{cls.__qualname__}" for cls in schema.ALL_EVENTS}


GOOD = """
from archon.telemetry.schema import CliCommandInvoked, SafeName
CliCommandInvoked(command=SafeName("version"), subcommand=SafeName(""))
"""
UNDECLARED = """
from archon.telemetry.schema import CliCommandInvoked, SafeName
CliCommandInvoked(command=SafeName("version"), subcommand=SafeName(""), hostname="db.internal.example.com")
"""
UNSANITISED = """
from archon.telemetry.schema import CliCommandInvoked, SafeName
CliCommandInvoked(command="my-secret-workflow", subcommand=SafeName(""))
"""
BAD_LITERAL = """
from archon.telemetry.schema import SafeName, WorkflowNodeFailed
WorkflowNodeFailed(
    workflow_name=SafeName("user-defined"), node_type="bash", error_classification="boom",
    failure_kind="exit_status", provider="none",
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

"""Every string an event carries comes from a closed vocabulary, or is a fixed placeholder."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archon.cli.signals import Terminated
from archon.config import set_config_value
from archon.errors import ArchonError, ConfigError, UsageError
from archon.private_files import write_atomic
from archon.telemetry.vocabulary import (
    _is_command_word,
    _is_identifier,
    command_name,
    cpu_architecture,
    error_class,
    operating_system,
    python_version,
    where,
    workflow_name,
)
from archon.workflows.bundled import bundled_workflow_names

KNOWN = frozenset({"workflow", "run", "telemetry", "status"})


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_known_command_names_pass_through(name: str) -> None:
    assert command_name(name, KNOWN) == name


@pytest.mark.parametrize("name", ["my-secret-cmd", "/home/alice/x", "RUN", "run ", "ghp_abc123"])
def test_unknown_command_names_are_user_defined(name: str) -> None:
    assert command_name(name, KNOWN) == "user-defined"


def test_empty_command_name_stays_empty() -> None:
    assert command_name("", KNOWN) == ""


def test_odd_strings_in_the_vocabulary_are_still_refused() -> None:
    assert command_name("a b/c", {"a b/c"}) == "user-defined"


def test_bundled_workflow_names_pass_through() -> None:
    for name in bundled_workflow_names():
        assert workflow_name(name, bundled=True) == name


def test_a_bundled_name_on_a_workflow_of_ones_own_is_user_defined() -> None:
    """A user or repo workflow may reuse a bundled name to replace it; it is still the user's own workflow."""
    for name in bundled_workflow_names():
        assert workflow_name(name, bundled=False) == "user-defined"


@pytest.mark.parametrize("bundled", [True, False])
@pytest.mark.parametrize("name", ["deploy-prod-secret", "archon-not-shipped-xyz", "", "../../etc/passwd"])
def test_other_workflow_names_are_user_defined(name: str, bundled: bool) -> None:
    assert workflow_name(name, bundled=bundled) == "user-defined"


class _PluginError(ArchonError):
    """An ArchonError subclass defined outside the archon package (here: in tests)."""


class _ThirdPartyError(Exception):
    pass


class _OtherStop(BaseException):
    """Not archon's own interrupt, though archon's own tests define it."""


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ArchonError("x"), "ArchonError"),
        (ConfigError("/home/alice/.archon/config.yaml"), "ConfigError"),
        (UsageError("x"), "UsageError"),
        (KeyError("secret"), "KeyError"),
        (TimeoutError(), "TimeoutError"),
        (KeyboardInterrupt(), "KeyboardInterrupt"),
        (Terminated(), "Terminated"),
        (_OtherStop(), "other"),
        (FileNotFoundError(2, "nope", "/srv/secret"), "FileNotFoundError"),
        (json.JSONDecodeError("m", "doc", 0), "other"),
        (subprocess.CalledProcessError(1, ["x"]), "other"),
        (_PluginError("x"), "other"),
        (_ThirdPartyError("db.internal.example.com"), "other"),
    ],
)
def test_error_class(exc: BaseException, expected: str) -> None:
    assert error_class(exc) == expected


def test_error_class_refuses_a_fake_builtin() -> None:
    fake = type("KeyError", (Exception,), {"__module__": "builtins"})
    assert error_class(fake()) == "other"


def _raise_from_archon() -> BaseException:
    try:
        set_config_value(Path("/nonexistent"), (), True)
    except ValueError as exc:
        return exc
    raise AssertionError("set_config_value accepted empty keys")


def test_where_names_the_innermost_archon_function() -> None:
    assert where(_raise_from_archon()) == "set_config_value"


def test_where_is_other_when_no_archon_frame() -> None:
    with pytest.raises(json.JSONDecodeError) as info:
        json.loads("{")
    assert where(info.value) == "other"


def test_where_is_other_without_a_traceback() -> None:
    assert where(RuntimeError("never raised")) == "other"


def test_where_skips_library_frames_below_archons_own(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises((FileExistsError, NotADirectoryError)) as info:
        write_atomic(blocker / "sub" / "file", b"x")  # pathlib raises, deep inside the standard library
    assert info.value.__traceback__ is not None
    assert where(info.value) == "ensure_private_dir"


@given(st.text(max_size=90))
def test_the_name_checks_are_the_patterns_they_state(name: str) -> None:
    assert _is_identifier(name) == (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,79}", name) is not None)
    assert _is_command_word(name) == (re.fullmatch(r"[a-z][a-z0-9-]{0,39}", name) is not None)


# -- what the platform reports is matched against a list, never passed on (issue 19, item 6) -------------------


@pytest.mark.parametrize(
    ("machine", "expected"),
    [
        ("x86_64", "x86_64"),
        ("AMD64", "x86_64"),  # Windows' PROCESSOR_ARCHITECTURE
        ("EM64T", "x86_64"),
        ("aarch64", "arm64"),
        ("ARM64", "arm64"),
        ("arm64", "arm64"),
        ("i686", "x86"),
        ("x86", "x86"),
        ("armv7l", "arm"),
        ("ppc64le", "ppc64le"),
        ("s390x", "s390x"),
        ("riscv64", "riscv64"),
        ("", "other"),
        ("IA64", "other"),
        ("zq-needle-7", "other"),  # whatever PROCESSOR_ARCHITECTURE held
        ("x86_64 ", "other"),
        ("x86_64\nghp_token", "other"),
    ],
)
def test_cpu_architecture_is_one_of_a_closed_list(machine: str, expected: str) -> None:
    assert cpu_architecture(machine) == expected


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("linux", "linux"),
        ("darwin", "darwin"),
        ("win32", "win32"),
        ("freebsd14", "other"),
        ("cygwin", "other"),
        ("emscripten", "other"),
        ("Linux", "other"),
        ("linux-zq-needle", "other"),
        ("", "other"),
    ],
)
def test_operating_system_is_one_of_a_closed_list(platform: str, expected: str) -> None:
    assert operating_system(platform) == expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("3.11", "3.11"),
        ("3.12", "3.12"),
        ("3.15", "3.15"),
        ("3.16", "other"),
        ("2.7", "other"),
        ("3.1", "other"),
        ("3.11.7", "other"),
        ("", "other"),
    ],
)
def test_python_version_is_one_of_a_closed_list(version: str, expected: str) -> None:
    assert python_version(version) == expected

"""The one reader of the world: the archon home it computes, and what it reports about CI and debug."""

from __future__ import annotations

from pathlib import Path

import pytest

from archon.runtime import Runtime, default_archon_home


def test_home_defaults_to_dot_archon(tmp_path: Path) -> None:
    assert default_archon_home({}, tmp_path / "me", tmp_path / "cwd") == tmp_path / "me" / ".archon"


def test_blank_archon_home_is_ignored(tmp_path: Path) -> None:
    assert default_archon_home({"ARCHON_HOME": "  "}, tmp_path, tmp_path / "cwd") == tmp_path / ".archon"


def test_relative_archon_home_is_made_absolute_from_the_working_directory(tmp_path: Path) -> None:
    # The detached flusher runs in another directory and must find the same home.
    home = default_archon_home({"ARCHON_HOME": "relhome"}, tmp_path / "me", tmp_path / "work")
    assert home == tmp_path / "work" / "relhome"
    assert home.is_absolute()


def test_absolute_archon_home_is_kept(tmp_path: Path) -> None:
    assert default_archon_home({"ARCHON_HOME": str(tmp_path / "x")}, tmp_path, Path("/elsewhere")) == tmp_path / "x"


def test_from_os_reads_archon_home(isolation: Path) -> None:
    runtime = Runtime.from_os()
    assert runtime.home == isolation
    assert runtime.home.is_absolute()


@pytest.mark.parametrize(
    ("value", "expected"), [("", False), ("0", False), ("false", False), ("true", True), ("1", True)]
)
def test_is_ci(tmp_path: Path, value: str, expected: bool) -> None:
    runtime = Runtime(env={"CI": value}, home=tmp_path, cwd=tmp_path)
    assert runtime.is_ci is expected

"""The first-run marker: the notice is shown until it exists (the words: tests/cli/test_telemetry_words.py)."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

from archon.paths import ArchonPaths
from archon.telemetry.first_run import POLICY_URL, mark_first_run_done, needs_first_run_notice
from tests.support.artefacts import REPO_ROOT


def test_policy_url_is_the_one_in_pyproject() -> None:
    data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["urls"]["Telemetry"] == POLICY_URL


def test_marker_lifecycle(paths: ArchonPaths) -> None:
    assert needs_first_run_notice(paths)
    assert mark_first_run_done(paths)
    assert not needs_first_run_notice(paths)
    if os.name == "posix":
        assert stat.S_IMODE(paths.first_run_marker.stat().st_mode) == 0o600


def test_marker_write_failure_is_reported_not_raised(isolation: Path) -> None:
    isolation.write_text("a file where the archon home should be", encoding="utf-8")
    assert mark_first_run_done(ArchonPaths(isolation)) is False
    assert needs_first_run_notice(ArchonPaths(isolation))


def test_no_marker_is_written_in_a_home_others_may_write(isolation: Path) -> None:
    """archon writes nothing in a home that is not the user's own: the notice is shown again next time instead."""
    isolation.mkdir()
    isolation.chmod(0o777)
    assert mark_first_run_done(ArchonPaths(isolation)) is (os.name != "posix")
    assert needs_first_run_notice(ArchonPaths(isolation)) is (os.name == "posix")

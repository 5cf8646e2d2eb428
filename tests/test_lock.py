"""uv.lock is the lock every locked install uses (scripts/_venv.sh, CI, release builds): it must not be stale.

Checked with the uv version the lock itself pins (what scripts/_venv.sh installs into .tools/), offline, from uv's
cache: a stale lock fails here, not first in CI's `uv sync --locked`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from build_tools.uv_bootstrap import requirement
from tests.support.artefacts import REPO_ROOT, uv_cache_dir
from tests.support.worktree import snapshot

pytestmark = pytest.mark.slow


def locked_uv() -> list[str]:
    """The uv that uv.lock pins, as scripts/_venv.sh installed it; else this interpreter's (a venv made by hand)."""
    version = requirement(tomllib.loads((REPO_ROOT / "uv.lock").read_text(encoding="utf-8"))).split()[0]
    home = REPO_ROOT / ".tools" / version.replace("==", "-")
    for candidate in (home / "bin" / "uv", home / "Scripts" / "uv.exe"):
        if candidate.is_file():
            return [str(candidate)]
    return [sys.executable, "-m", "uv"]


def uv_lock_check(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_CACHE_DIR": uv_cache_dir(), "UV_NO_PROGRESS": "1"}
    return subprocess.run(
        [*locked_uv(), "lock", "--check", "--offline"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_the_lock_is_fresh_against_pyproject() -> None:
    result = uv_lock_check(REPO_ROOT)
    assert result.returncode == 0, f"uv.lock is stale: run `uv lock` and commit it\n{result.stderr}"


def test_a_changed_floor_makes_the_check_fail(tmp_path: Path) -> None:
    """The check above can fail: the same tree with one floor raised and the lock left as it was."""
    source = snapshot(REPO_ROOT, tmp_path / "source")
    pyproject = source / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert '"ruamel.yaml>=0.18"' in text
    pyproject.write_text(text.replace('"ruamel.yaml>=0.18"', '"ruamel.yaml>=0.18.7"'), encoding="utf-8")
    result = uv_lock_check(source)
    assert result.returncode != 0
    assert "needs to be updated" in result.stderr
    assert (source / "uv.lock").read_bytes() == (REPO_ROOT / "uv.lock").read_bytes()  # --check wrote nothing

"""uv.lock is the lock every locked install uses (scripts/_venv.sh, CI, release builds): it must not be stale.

Checked with the uv version the lock itself pins (what scripts/_venv.sh installs into .tools/), each time from an
empty uv cache of its own, so that the result never depends on what a machine happens to have cached:

- a fresh lock is confirmed **offline**: uv compares the lock with pyproject.toml without resolving anything;
- a stale lock is found **online**: to see that a raised floor changes the lock, uv builds the project's metadata
  (its build backend comes from the package index) and resolves again against the index. That is the network this
  test uses, openly: the package index, which every locked install here needs anyway (a fresh clone's first
  ``./scripts/test.sh`` downloads the whole lock from it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from build_tools.uv_bootstrap import requirement
from tests.support.artefacts import REPO_ROOT
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


def uv_lock_check(root: Path, *, cache: Path, offline: bool) -> subprocess.CompletedProcess[str]:
    """``uv lock --check`` in ``root`` with ``cache`` as uv's cache, and ``--offline`` if asked."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env.update({"UV_CACHE_DIR": str(cache), "UV_NO_PROGRESS": "1", "UV_PYTHON_DOWNLOADS": "never"})
    return subprocess.run(
        [*locked_uv(), "lock", "--check", *(["--offline"] if offline else [])],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def empty_cache(tmp_path: Path) -> Path:
    cache = tmp_path / "uv-cache"
    cache.mkdir()
    return cache


def test_the_lock_is_fresh_against_pyproject_offline_from_an_empty_cache(tmp_path: Path) -> None:
    cache = empty_cache(tmp_path)
    result = uv_lock_check(REPO_ROOT, cache=cache, offline=True)
    assert result.returncode == 0, f"uv.lock is stale: run `uv lock` and commit it\n{result.stderr}"


def test_a_changed_floor_makes_the_check_fail(tmp_path: Path) -> None:
    """The check above can fail: the same tree with one floor raised and the lock left as it was. From an empty
    cache, online (see the module's docstring): the failure must be uv's verdict on the lock, not a cache miss."""
    source = snapshot(REPO_ROOT, tmp_path / "source")
    pyproject = source / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert '"ruamel.yaml>=0.18"' in text
    pyproject.write_text(text.replace('"ruamel.yaml>=0.18"', '"ruamel.yaml>=0.18.7"'), encoding="utf-8")
    result = uv_lock_check(source, cache=empty_cache(tmp_path), offline=False)
    assert result.returncode != 0
    assert "needs to be updated" in result.stderr, result.stderr
    assert (source / "uv.lock").read_bytes() == (REPO_ROOT / "uv.lock").read_bytes()  # --check wrote nothing

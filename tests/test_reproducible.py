"""docs/release.md's "rebuild and compare": the same commit, built from two clones on the same locked tools with the
same inputs (SOURCE_DATE_EPOCH = the commit's time, VERSION, GIT_COMMIT, the key), gives byte-identical sdists and
wheels, however the clones differ (path, umask, time zone, file times). Built as scripts/build-binaries.sh builds
them: `python -m build --no-isolation`, the sdist first and the wheel from it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY
from tests.support.artefacts import REPO_ROOT, build_env
from tests.support.worktree import git, snapshot

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name == "nt", reason="umask is POSIX")]


def build(clone: Path, out: Path, inputs: dict[str, str], *, umask: int, tz: str) -> dict[str, str]:
    """The sha256 of each file ``python -m build`` made of ``clone``."""
    env = build_env({**inputs, "TZ": tz})
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), "."],
        cwd=clone,
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
        umask=umask,
    )
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(out.iterdir())}


def test_two_clones_build_the_same_sdist_and_wheel(tmp_path: Path) -> None:
    origin = snapshot(REPO_ROOT, tmp_path / "origin")
    first, second = tmp_path / "a", tmp_path / "elsewhere" / "deeper" / "b"
    git(tmp_path, "clone", "--quiet", str(origin), str(first))
    os.utime(origin / "README.md")  # a later clone gets other file times
    git(tmp_path, "clone", "--quiet", str(origin), str(second))
    inputs = {
        "SOURCE_DATE_EPOCH": git(first, "log", "-1", "--format=%ct").strip(),
        "VERSION": "v1.2.3",
        "GIT_COMMIT": git(first, "rev-parse", "HEAD").strip(),
        "POSTHOG_PUBLIC_KEY": TEST_KEY,
    }
    one = build(first, tmp_path / "out-a", inputs, umask=0o022, tz="UTC")
    two = build(second, tmp_path / "out-b", inputs, umask=0o002, tz="Pacific/Auckland")
    assert sorted(one) == ["archon_cli-1.2.3-py3-none-any.whl", "archon_cli-1.2.3.tar.gz"]
    assert one == two

    # and the comparison can tell: another embedded input gives another wheel
    other = build(
        second, tmp_path / "out-c", {**inputs, "POSTHOG_PUBLIC_KEY": "phc_anotherKey0123456789"}, umask=0o022, tz="UTC"
    )
    assert other["archon_cli-1.2.3-py3-none-any.whl"] != one["archon_cli-1.2.3-py3-none-any.whl"]
    assert other["archon_cli-1.2.3.tar.gz"] == one["archon_cli-1.2.3.tar.gz"]  # the sdist never carries the key

""".gitattributes: a checkout on Windows gets the files as committed, with LF line ends. Git for Windows turns on
``core.autocrlf`` (LF -> CRLF in the work tree), and then bash stops at the first ``\\r`` in .ci/run, scripts/*.sh
and .github/scripts/*.sh (which ci.yml and release.yml run in Git Bash on windows-2025), and a wheel or sdist
built there would differ from Linux's. Checked the way such a checkout happens: a clone with core.autocrlf=true.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.artefacts import REPO_ROOT
from tests.support.worktree import git, snapshot

MUST_BE_LF = [".ci/run", "scripts/test.sh", "scripts/_venv.sh", "scripts/build-binaries.sh", "scripts/install.sh"]


def test_a_checkout_with_autocrlf_keeps_every_file_as_committed(tmp_path: Path) -> None:
    source = snapshot(REPO_ROOT, tmp_path / "source")
    clone = tmp_path / "windows-checkout"
    subprocess.run(
        [
            "git",
            "-c",
            "core.autocrlf=true",
            "clone",
            "--quiet",
            "--config",
            "core.autocrlf=true",
            str(source),
            str(clone),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    tracked = [name for name in git(clone, "ls-files", "-z").split("\0") if name]
    assert set(MUST_BE_LF) <= set(tracked)
    assert [name for name in tracked if b"\r\n" in (clone / name).read_bytes()] == []
    assert [name for name in tracked if (clone / name).read_bytes() != (source / name).read_bytes()] == []
    assert all(git(clone, "check-attr", "eol", "--", name).strip().endswith("eol: lf") for name in MUST_BE_LF)

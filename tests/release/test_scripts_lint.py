"""The release scripts pass shellcheck, as the build and test scripts do (tests/test_build_binaries.py)."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import require_tool
from tests.support.artefacts import REPO_ROOT


@pytest.mark.needs_tool("shellcheck")
def test_the_release_scripts_pass_shellcheck() -> None:
    scripts = sorted((REPO_ROOT / ".github" / "scripts").glob("*.sh"))
    assert [path.name for path in scripts] == ["github-release.sh", "rehearse.sh", "tap-push.sh"]
    result = subprocess.run(
        [require_tool("shellcheck"), "--shell=bash", *map(str, scripts)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr

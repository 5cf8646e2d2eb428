"""scripts/build-binaries.sh: the release pipeline end to end (one run per session, shared with the spec tests),
and its refusals, which fail in seconds, write nothing and leave the tree clean."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY, require_tool
from tests.support.artefacts import REPO_ROOT
from tests.support.binary import FROZEN_VERSION, FrozenArchon, run_build_script
from tests.support.packages import sdist_files, wheel_files
from tests.support.worktree import snapshot, tree_state

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="runs the bash script; Windows runs it in release.yml")


def sums_of(dist: Path) -> dict[str, str]:
    lines = (dist / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


@pytest.mark.slow
def test_dist_holds_the_wheel_sdist_binary_archive_and_checksums(frozen_archon: FrozenArchon) -> None:
    name = f"archon-{frozen_archon.target}"
    archive = name + (".zip" if frozen_archon.target.startswith("windows-") else ".tar.gz")
    assert sorted(p.name for p in frozen_archon.dist.iterdir()) == sorted(
        ["SHA256SUMS", "archon-0.1.0-py3-none-any.whl", "archon-0.1.0.tar.gz", archive, name]
    )
    sums = sums_of(frozen_archon.dist)
    assert sorted(sums) == sorted(["archon-0.1.0-py3-none-any.whl", "archon-0.1.0.tar.gz", archive])
    for file, digest in sums.items():
        assert hashlib.sha256((frozen_archon.dist / file).read_bytes()).hexdigest() == digest
    checker = shutil.which("sha256sum")
    if checker:  # the file is in the format the coreutils tool verifies
        check = subprocess.run(
            [checker, "--check", "SHA256SUMS"], cwd=frozen_archon.dist, capture_output=True, check=False
        )
        assert check.returncode == 0, check.stdout


@pytest.mark.slow
def test_the_build_left_its_tree_clean(frozen_archon: FrozenArchon) -> None:
    assert frozen_archon.tree_before == []
    assert frozen_archon.tree_after == []
    assert "==> work tree check (git status)\nunchanged" in frozen_archon.log


@pytest.mark.slow
def test_the_smoke_test_ran_and_progress_is_reported(frozen_archon: FrozenArchon) -> None:
    log = frozen_archon.log
    for step in ("==> build-time constants", "==> sdist and wheel", "==> standalone binary", "==> smoke test"):
        assert step in log
    assert f"version {FROZEN_VERSION}, commit 0123abcd, telemetry key embedded" in log
    assert "Build: binary" in log
    assert TEST_KEY not in log


@pytest.mark.slow
def test_the_release_wheel_embeds_the_key_once_and_the_sdist_none(frozen_archon: FrozenArchon) -> None:
    wheel = wheel_files(frozen_archon.dist / "archon-0.1.0-py3-none-any.whl")
    holders = {name: data.count(TEST_KEY.encode()) for name, data in wheel.items() if TEST_KEY.encode() in data}
    assert holders == {"archon/bundled_build.py": 1}
    module = wheel["archon/bundled_build.py"].decode()
    assert f"BUNDLED_VERSION: str = {FROZEN_VERSION!r}" in module
    assert "BUNDLED_INSTALL_METHOD: str = 'pip'" in module
    assert "BUNDLED_IS_BINARY: bool = False" in module
    sdist = sdist_files(frozen_archon.dist / "archon-0.1.0.tar.gz")
    assert sdist["archon/bundled_build.py"] == (REPO_ROOT / "archon" / "bundled_build.py").read_bytes()


@pytest.mark.slow
def test_the_archive_unpacks_to_a_working_binary(frozen_archon: FrozenArchon, tmp_path: Path) -> None:
    name = f"archon-{frozen_archon.target}"
    unpacked = tmp_path / "unpacked"
    if frozen_archon.target.startswith("windows-"):
        with zipfile.ZipFile(frozen_archon.dist / f"{name}.zip") as archive:
            archive.extractall(unpacked)  # noqa: S202 - our own archive, just built
        executable = unpacked / name / "archon.exe"
    else:
        with tarfile.open(frozen_archon.dist / f"{name}.tar.gz") as archive:
            archive.extractall(unpacked, filter="tar")
        executable = unpacked / name / "archon"
    result = subprocess.run(
        [str(executable), "version"],
        env={"ARCHON_HOME": str(tmp_path / "home"), "DO_NOT_TRACK": "1", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"archon {FROZEN_VERSION}"
    assert "Build: binary" in result.stdout


@pytest.fixture(scope="module")
def refusal_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return snapshot(REPO_ROOT, tmp_path_factory.mktemp("refusals") / "source")


@posix_only
@pytest.mark.parametrize(
    ("inputs", "reason"),
    [
        ({"POSTHOG_PUBLIC_KEY": "phx_personalKey0123456789abcdef"}, "personal"),
        ({"POSTHOG_PUBLIC_KEY": TEST_KEY, "POSTHOG_HOST": "http://telemetry.example.org"}, "plain http:// is"),
        ({"ARCHON_REQUIRE_POSTHOG_KEY": "1"}, "ARCHON_REQUIRE_POSTHOG_KEY=1"),
        ({"POSTHOG_PUBLIC_KEY": TEST_KEY, "VERSION": "main"}, "VERSION 'main' is not a version"),
    ],
    ids=["personal-key", "plain-http-public-host", "release-without-key", "branch-name-as-version"],
)
def test_refused_inputs_stop_the_script_before_building_and_write_nothing(
    refusal_source: Path, tmp_path: Path, inputs: dict[str, str], reason: str
) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "SHA256SUMS").write_text("an earlier release's sums\n", encoding="utf-8")
    result = run_build_script(refusal_source, inputs=inputs, dist=dist, timeout=120)
    assert result.returncode != 0
    assert reason in result.stderr
    assert "FAILED" in result.stderr
    assert "==> sdist and wheel" not in result.stderr  # refused up front, not after minutes of building
    assert inputs.get("POSTHOG_PUBLIC_KEY", "phc_never") not in result.stderr
    assert [p.name for p in dist.iterdir()] == ["SHA256SUMS"]
    assert (dist / "SHA256SUMS").read_text(encoding="utf-8") == "an earlier release's sums\n"
    assert tree_state(refusal_source) == []


def test_the_shell_scripts_pass_shellcheck() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("shellcheck is installed by .ci/run on Linux; the scripts run on macOS and Windows in release.yml")
    shellcheck = require_tool("shellcheck")
    scripts = ["scripts/build-binaries.sh", "scripts/_venv.sh", "scripts/test.sh", ".ci/run"]
    result = subprocess.run(
        [shellcheck, "--external-sources", "--shell=bash", *scripts],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr

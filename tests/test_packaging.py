"""Packaging contract (like pypa/build's test_self_packaging): exactly which files the wheel and the sdist hold.

The wheel holds the package and its metadata, nothing else (no build_tools/, no tests); the sdist holds what
pyproject.toml's sdist ``include`` names. Inside the pinned folders the expected files are the tree's own (what
git tracks, or would track), so adding a module is not a packaging change but adding a folder, or losing one, is.
Built without a key: a local build warns and yields a telemetry-free artefact.
"""

from __future__ import annotations

import email
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from build_tools.constants import project_version
from tests.support.artefacts import REPO_ROOT, InstalledArchon
from tests.support.packages import Built, build_dists, sdist_files, wheel_files
from tests.support.worktree import git, snapshot, tree_state

pytestmark = pytest.mark.slow

PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
VERSION = project_version(REPO_ROOT)
NAME_VERSION = f"archon_cli-{VERSION}"  # the distribution archon-cli, as wheel and sdist file names spell it
DIST_INFO = {
    f"{NAME_VERSION}.dist-info/METADATA",
    f"{NAME_VERSION}.dist-info/WHEEL",
    f"{NAME_VERSION}.dist-info/RECORD",
    f"{NAME_VERSION}.dist-info/entry_points.txt",
    f"{NAME_VERSION}.dist-info/licenses/LICENSE",
}
WHEEL_FOLDERS = ("archon/",)
SDIST_FOLDERS = ("archon/", "benchmarks/", "build_tools/", "deploy/", "docs/", "scripts/", "tests/")
# GIT_COMMIT: the commit the sdist was made from (the build hook writes it; never in the tree)
SDIST_FILES = {"PKG-INFO", "GIT_COMMIT", ".gitignore", "LICENSE", "README.md", "pyproject.toml", "uv.lock"}
# Files the release depends on; losing one from an artefact is a packaging bug even if git lost it too.
WHEEL_CORE = {
    "archon/__init__.py",
    "archon/__main__.py",
    "archon/py.typed",
    "archon/bundled_build.py",
    "archon/buildinfo.py",
    "archon/runtime.py",
    "archon/cli/app.py",
    "archon/cli/version.py",
    "archon/telemetry/schema.py",
}
SDIST_CORE = {
    "build_tools/constants.py",
    "build_tools/hatch_hook.py",
    "build_tools/archon.spec",
    "build_tools/pyinstaller_entry.py",
    "build_tools/pyi_rth_subprocess_env.py",
    "build_tools/artifacts.py",
    "build_tools/bundle_scope.py",
    "build_tools/glibc_floor.py",
    "build_tools/third_party_licenses.py",
    "build_tools/uv_bootstrap.py",
    "scripts/build-binaries.sh",
    "scripts/_venv.sh",
    "tests/conftest.py",
}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return snapshot(REPO_ROOT, tmp_path_factory.mktemp("packaging") / "source")


@pytest.fixture(scope="module")
def plain(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """sdist and wheel built with no build inputs at all, as on a contributor's machine."""
    built = build_dists(source, tmp_path_factory.mktemp("packaging-out"), {})
    assert built.result.returncode == 0, built.output
    return built


def tree_files(source: Path) -> set[str]:
    return set(filter(None, git(source, "ls-files", "-z").split("\0")))


def test_the_wheel_holds_exactly_the_package_and_its_metadata(source: Path, plain: Built) -> None:
    (wheel,) = plain.wheels
    assert wheel.name == f"{NAME_VERSION}-py3-none-any.whl"
    names = set(wheel_files(wheel))
    expected = {name for name in tree_files(source) if name.startswith(WHEEL_FOLDERS)} | DIST_INFO
    assert sorted(names - expected) == []
    assert sorted(expected - names) == []
    assert names >= WHEEL_CORE
    assert any(name.startswith("archon/workflows/defaults/") and name.endswith(".yaml") for name in names)


def test_the_wheel_has_no_build_code_tests_or_caches(plain: Built) -> None:
    (wheel,) = plain.wheels
    names = list(wheel_files(wheel))
    assert [n for n in names if n.startswith(("build_tools/", "tests/", "scripts/", "benchmarks/"))] == []
    assert [n for n in names if "__pycache__" in n or n.endswith(".pyc")] == []


def test_the_sdist_holds_exactly_what_pyproject_includes(source: Path, plain: Built) -> None:
    (sdist,) = plain.sdists
    assert sdist.name == f"{NAME_VERSION}.tar.gz"
    names = set(sdist_files(sdist))
    expected = {name for name in tree_files(source) if name.startswith(SDIST_FOLDERS)} | SDIST_FILES
    assert sorted(names - expected) == []
    assert sorted(expected - names) == []
    assert names >= SDIST_CORE
    assert [n for n in names if n.startswith((".github/", ".ci/", ".venv/", "dist/", "build/"))] == []


def test_a_build_without_a_key_warns_and_embeds_none(source: Path, plain: Built) -> None:
    assert "POSTHOG_PUBLIC_KEY is not set" in plain.output
    (wheel,) = plain.wheels
    module = wheel_files(wheel)["archon/bundled_build.py"].decode()
    assert "BUNDLED_POSTHOG_KEY: str = ''" in module
    assert f"BUNDLED_VERSION: str = {VERSION!r}" in module  # the package version by default
    assert f"BUNDLED_GIT_COMMIT: str = {git(source, 'rev-parse', 'HEAD')[:8]!r}" in module
    assert tree_state(source) == []


def test_the_wheel_metadata(plain: Built) -> None:
    (wheel,) = plain.wheels
    files = wheel_files(wheel)
    assert files[f"{NAME_VERSION}.dist-info/entry_points.txt"].decode() == (
        "[console_scripts]\narchon = archon.cli.app:main\n"
    )
    metadata = email.message_from_bytes(files[f"{NAME_VERSION}.dist-info/METADATA"])
    assert metadata["Name"] == PROJECT["name"] == "archon-cli"
    assert metadata["Version"] == VERSION
    assert metadata["Requires-Python"] == ">=3.11"
    requires = {Requirement(req) for req in metadata.get_all("Requires-Dist", [])}
    assert requires == {Requirement(req) for req in PROJECT["dependencies"]}  # no dev extra: a dependency group
    assert metadata.get_all("Provides-Extra") is None
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL", []))
    assert urls["Source"] == "https://github.com/archon-cli/archon"
    assert all(url.startswith("https://github.com/archon-cli/archon") for url in urls.values())


def test_the_readme_installs_archon_cli_and_never_the_other_archon() -> None:
    """The index name `archon` is an unrelated 2017 project; `pip install archon` would install it."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(?:pipx|uv|uvx|pip)\b.*$", readme, flags=re.MULTILINE)
    assert "pipx install archon-cli" in commands
    assert any(line.startswith("uv tool install archon-cli") for line in commands)
    assert any(line.startswith("uvx --from archon-cli archon") for line in commands)
    installs = [word for line in commands for word in re.findall(r"install (\S+)|--from (\S+)", line)]
    assert {name for pair in installs for name in pair if name} == {"archon-cli"}


def test_the_installed_wheel_reports_its_embedded_build(keyed_archon: InstalledArchon, tmp_path: Path) -> None:
    """conftest's keyed wheel (VERSION v9.8.7, GIT_COMMIT 0123abcd, TEST_KEY) in a fresh venv."""
    result = subprocess.run(
        [str(keyed_archon.archon), "version"],
        cwd=tmp_path,
        env={**os.environ, "ARCHON_HOME": str(tmp_path / "home"), "DO_NOT_TRACK": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "archon 9.8.7"
    assert "Build: source" in lines
    assert "Install method: uv" in lines  # tests.support.artefacts installs it with `uv pip install`
    assert "Git commit: 0123abcd" in lines
    assert "Telemetry key: embedded" in lines
    assert not any("phc_" in line for line in lines)  # never the key itself

"""scripts/build-binaries.sh: the release pipeline end to end (one run per session, shared with the spec tests),
and its refusals, which fail in seconds, write nothing and leave the tree clean. The session's build uses a
prerelease tag (``v9.8.7-rc.1``), so these tests also show one normalised version (``9.8.7rc1``) everywhere."""

from __future__ import annotations

import email
import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from archon.install_channel import RECEIPT_NAME
from tests.conftest import TEST_KEY, require_tool
from tests.support.artefacts import REPO_ROOT, install_wheel
from tests.support.binary import FROZEN_VERSION, FrozenArchon, bundled_modules, run_build_script
from tests.support.packages import sdist_files, wheel_files
from tests.support.worktree import snapshot, tree_state

WHEEL = f"archon_cli-{FROZEN_VERSION}-py3-none-any.whl"
SDIST = f"archon_cli-{FROZEN_VERSION}.tar.gz"

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="runs the bash script; Windows runs it in release.yml")


def sums_of(dist: Path) -> dict[str, str]:
    lines = (dist / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


@pytest.mark.slow
def test_dist_holds_the_wheel_sdist_binary_archive_and_checksums(frozen_archon: FrozenArchon) -> None:
    name = f"archon-{frozen_archon.target}"
    archive = frozen_archon.archive.name
    assert sorted(p.name for p in frozen_archon.dist.iterdir()) == sorted(["SHA256SUMS", WHEEL, SDIST, archive, name])
    sums = sums_of(frozen_archon.dist)
    assert sorted(sums) == sorted([WHEEL, SDIST, archive])
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
    wheel = wheel_files(frozen_archon.wheel)
    holders = {name: data.count(TEST_KEY.encode()) for name, data in wheel.items() if TEST_KEY.encode() in data}
    assert holders == {"archon/bundled_build.py": 1}
    module = wheel["archon/bundled_build.py"].decode()
    assert f"BUNDLED_VERSION: str = {FROZEN_VERSION!r}" in module
    assert "BUNDLED_INSTALL_METHOD: str = 'pip'" in module
    assert "BUNDLED_IS_BINARY: bool = False" in module
    sdist = sdist_files(frozen_archon.sdist)
    assert sdist["archon/bundled_build.py"] == (REPO_ROOT / "archon" / "bundled_build.py").read_bytes()
    assert sdist["GIT_COMMIT"] == b"0123abcd\n"  # the commit (tests/build_tools/test_hook.py: never a key)


@pytest.mark.slow
def test_a_prerelease_tag_gives_one_normalised_version_everywhere(frozen_archon: FrozenArchon, tmp_path: Path) -> None:
    """VERSION=v9.8.7-rc.1: the wheel's name and metadata, the sdist's, `archon version` of the installed wheel
    and of the binary all say 9.8.7rc1 (the form the package index shows)."""
    assert frozen_archon.inputs["VERSION"] == "v9.8.7-rc.1"
    metadata = email.message_from_bytes(
        wheel_files(frozen_archon.wheel)[f"archon_cli-{FROZEN_VERSION}.dist-info/METADATA"]
    )
    assert metadata["Version"] == FROZEN_VERSION
    assert email.message_from_bytes(sdist_files(frozen_archon.sdist)["PKG-INFO"])["Version"] == FROZEN_VERSION
    installed = install_wheel(frozen_archon.wheel, tmp_path / "venv")
    env = {**os.environ, "ARCHON_HOME": str(tmp_path / "home"), "DO_NOT_TRACK": "1"}
    from_wheel = subprocess.run(
        [str(installed.archon), "version"], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    binary = frozen_archon.run("version", home=tmp_path / "home", env={"DO_NOT_TRACK": "1"})
    assert from_wheel.stdout.splitlines()[0] == binary.stdout.splitlines()[0] == f"archon {FROZEN_VERSION}"


def unpack(frozen_archon: FrozenArchon, into: Path) -> Path:
    if frozen_archon.archive.name.endswith(".zip"):
        with zipfile.ZipFile(frozen_archon.archive) as archive:
            archive.extractall(into)  # noqa: S202 - our own archive, just built
    else:
        with tarfile.open(frozen_archon.archive) as archive:
            archive.extractall(into, filter="tar")
    return into


@pytest.mark.slow
def test_the_archive_unpacks_to_a_working_binary(frozen_archon: FrozenArchon, tmp_path: Path) -> None:
    name = f"archon-{frozen_archon.target}"
    unpacked = unpack(frozen_archon, tmp_path / "unpacked")
    executable = unpacked / name / ("archon.exe" if frozen_archon.target.startswith("windows-") else "archon")
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


# The completion scripts every archive carries, as each shell's user folder names them (README), and the check
# each shell offers without running the script.
COMPLETIONS = {"bash": ("archon.bash", ["-n"]), "zsh": ("_archon", ["-n"]), "fish": ("archon.fish", ["--no-execute"])}


def archive_names(frozen_archon: FrozenArchon) -> list[str]:
    if frozen_archon.archive.name.endswith(".zip"):
        with zipfile.ZipFile(frozen_archon.archive) as archive:
            return archive.namelist()
    with tarfile.open(frozen_archon.archive) as archive:
        return archive.getnames()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="bash, zsh and fish syntax checks")
@pytest.mark.parametrize(
    "shell", [pytest.param(shell, marks=pytest.mark.needs_tool(shell)) for shell in sorted(COMPLETIONS)]
)
def test_the_archive_carries_each_completion_script_valid_in_its_shell(
    frozen_archon: FrozenArchon, tmp_path: Path, shell: str
) -> None:
    """The frozen binary wrote them (`archon completion <shell>`), so they complete exactly its commands."""
    name, check = COMPLETIONS[shell]
    folder = unpack(frozen_archon, tmp_path / "unpacked") / f"archon-{frozen_archon.target}"
    script = folder / "completions" / name
    printed = frozen_archon.run("completion", shell, home=tmp_path / "home", env={"DO_NOT_TRACK": "1"})
    assert printed.returncode == 0, printed.stderr
    assert script.read_text(encoding="utf-8") == printed.stdout
    assert "_ARCHON_COMPLETE" in printed.stdout
    result = subprocess.run(
        [require_tool(shell), *check, str(script)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_the_archive_is_the_same_for_every_channel_it_holds_no_install_receipt(frozen_archon: FrozenArchon) -> None:
    """install.sh, install.ps1 and the Homebrew formula write the receipt that names their channel; an archive
    carrying one would make every copy of it claim that channel (archon/install_channel.py)."""
    names = archive_names(frozen_archon)
    top = f"archon-{frozen_archon.target}"
    assert sorted(n for n in names if n.startswith(f"{top}/completions/")) == sorted(
        f"{top}/completions/{name}" for name, _ in COMPLETIONS.values()
    )
    assert [n for n in names if n.rstrip("/").rsplit("/", 1)[-1] == RECEIPT_NAME] == []
    assert not (frozen_archon.folder / RECEIPT_NAME).exists()


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


@pytest.mark.needs_tool("shellcheck")
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


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.slow
def test_the_archive_carries_licence_and_third_party_licences_of_everything_bundled(
    frozen_archon: FrozenArchon, tmp_path: Path
) -> None:
    """Which distributions are bundled is found here independently of the generator: the top-level names of the
    modules in the binary's PYZ and of the files in _internal/, mapped to distributions by importlib.metadata."""
    folder = unpack(frozen_archon, tmp_path / "unpacked") / f"archon-{frozen_archon.target}"
    assert (folder / "LICENSE").read_bytes() == (REPO_ROOT / "LICENSE").read_bytes()
    text = (folder / "THIRD_PARTY_LICENSES").read_text(encoding="utf-8")

    top_levels = {module.split(".")[0] for module in bundled_modules(frozen_archon.executable).toc}
    top_levels |= {path.name.split(".")[0] for path in (folder / "_internal").iterdir()}
    owners = importlib.metadata.packages_distributions()
    bundled = {_normalised(dist) for name in top_levels for dist in owners.get(name, [])} - {"archon-cli"}
    listed = {_normalised(name) for name in re.findall(r"^- (\S+) \S+: ", text, flags=re.MULTILINE)}
    assert bundled, "the mapping found the bundled distributions"
    assert sorted(bundled - listed) == []
    assert {"posthog", "requests", "urllib3", "certifi", "idna", "typer", "ruamel-yaml", "pyinstaller"} <= listed
    # the build venv's dev tools are not in the binary, so not in the file either
    assert sorted(listed & {"pytest", "mypy", "hypothesis", "twine", "keyring", "cryptography", "pipx"}) == []
    assert re.search(r"^- Python 3\.\d+\.\d+ \(the interpreter\)", text, flags=re.MULTILINE)
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in text  # CPython's own LICENSE.txt
    posthog = importlib.metadata.distribution("posthog")
    (licence,) = [f for f in posthog.files or () if f.name == "LICENSE" and ".dist-info" in str(f)]
    assert licence.read_text(encoding="utf-8").strip() in text  # the distribution's own text, not a summary

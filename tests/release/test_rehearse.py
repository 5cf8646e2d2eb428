""".github/scripts/rehearse.sh on the real release files scripts/build-binaries.sh built for this session (the
``frozen_archon`` fixture: a keyed wheel, the sdist, this machine's archive and SHA256SUMS): installed with pip,
pipx and uv and run, the archive checked and run; and each way a file that must not be published is stopped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.support.artefacts import REPO_ROOT, uv_cache_dir
from tests.support.binary import FROZEN_COMMIT, FROZEN_VERSION, FrozenArchon

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="release.yml runs it on Windows; here, the POSIX paths"),
    pytest.mark.needs_tool("bash"),
]

SCRIPT = REPO_ROOT / ".github" / "scripts" / "rehearse.sh"
TOOLS = Path(sys.executable).parent  # pipx and uv come from the dev group, as release.yml's venv has them


def rehearse(
    tmp_path: Path, *args: str | Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PIPX_", "UV_", "VIRTUAL_ENV", "ARCHON_"))}
    full = {
        **keep,
        "HOME": str(home),
        "UV_CACHE_DIR": uv_cache_dir(),
        "TMPDIR": str(tmp_path),
        "VERSION": FROZEN_VERSION,
        "COMMIT": FROZEN_COMMIT,
        "KEY": "embedded",
        "PYTHON": sys.executable,
        "PIPX": str(TOOLS / "pipx"),
        "UV": str(TOOLS / "uv"),
        **(env or {}),
    }
    return subprocess.run(
        ["bash", str(SCRIPT), *map(str, args)], env=full, capture_output=True, text=True, check=False, timeout=900
    )


def copy_of(frozen: FrozenArchon, tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    dist.mkdir()
    for file in (frozen.wheel, frozen.sdist, frozen.archive, frozen.dist / "SHA256SUMS"):
        shutil.copy2(file, dist / file.name)
    return dist


def test_the_wheel_and_the_sdist_install_and_run_with_pip_pipx_and_uv(
    frozen_archon: FrozenArchon, tmp_path: Path
) -> None:
    result = rehearse(tmp_path, "packages", frozen_archon.dist)
    assert result.returncode == 0, result.stderr
    for channel in ("pip", "pipx", "uv"):
        assert f"wheel with {channel}: archon {FROZEN_VERSION} (source, {channel}, key embedded) runs" in result.stderr
        assert f"sdist with {channel}: archon {FROZEN_VERSION} (source, {channel}, key none) runs" in result.stderr


def test_the_archive_is_checked_unpacked_and_run(frozen_archon: FrozenArchon, tmp_path: Path) -> None:
    result = rehearse(tmp_path, "archive", frozen_archon.dist, frozen_archon.target)
    assert result.returncode == 0, result.stderr
    assert f"{frozen_archon.archive.name}: checksum, before unpacking" in result.stderr
    assert f"{frozen_archon.archive.name}: archon {FROZEN_VERSION} (binary, binary, key embedded) runs" in result.stderr


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"VERSION": "9.8.8"}, "expected the line 'archon 9.8.8'"),
        ({"COMMIT": "89abcdef"}, "expected the line 'Git commit: 89abcdef'"),
        ({"KEY": "none"}, "expected the line 'Telemetry key: none (development build)'"),
        ({"COMMIT": "not-hex"}, "COMMIT must be a commit"),
        ({"KEY": "maybe"}, "KEY must be embedded or none"),
    ],
)
def test_an_archive_that_says_anything_else_is_stopped(
    frozen_archon: FrozenArchon, tmp_path: Path, env: dict[str, str], says: str
) -> None:
    result = rehearse(tmp_path, "archive", frozen_archon.dist, frozen_archon.target, env=env)
    assert result.returncode != 0
    assert says in result.stderr


def test_a_tampered_archive_is_refused_before_it_is_unpacked(frozen_archon: FrozenArchon, tmp_path: Path) -> None:
    dist = copy_of(frozen_archon, tmp_path)
    archive = dist / frozen_archon.archive.name
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    result = rehearse(tmp_path, "archive", dist, frozen_archon.target)
    assert result.returncode != 0
    assert f"{archive.name} does not match SHA256SUMS" in result.stderr
    assert not list(tmp_path.glob("rehearse.*/unpacked"))  # never unpacked (and the work folder is gone)


def test_an_archive_missing_from_the_sums_is_refused(frozen_archon: FrozenArchon, tmp_path: Path) -> None:
    dist = copy_of(frozen_archon, tmp_path)
    sums = dist / "SHA256SUMS"
    lines = sums.read_text(encoding="utf-8").splitlines(keepends=True)
    sums.write_text("".join(line for line in lines if frozen_archon.archive.name not in line), encoding="utf-8")
    result = rehearse(tmp_path, "archive", dist, frozen_archon.target)
    assert result.returncode != 0
    assert f"SHA256SUMS has no entry for {frozen_archon.archive.name}" in result.stderr


def test_a_missing_sdist_is_refused_before_anything_is_installed(frozen_archon: FrozenArchon, tmp_path: Path) -> None:
    """(A file that says anything else is stopped by the same check as the archive's, above.)"""
    dist = copy_of(frozen_archon, tmp_path)
    (dist / frozen_archon.sdist.name).unlink()
    result = rehearse(tmp_path, "packages", dist)
    assert result.returncode != 0
    assert f"no sdist for {FROZEN_VERSION}" in result.stderr
    assert " with pip" not in result.stderr  # refused up front

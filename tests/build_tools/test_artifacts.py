"""build_tools/artifacts.py: release file names, reproducible archives, SHA256SUMS."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from build_tools.artifacts import archive_dir, archive_suffix, main, platform_target, sha256sums, write_sha256sums


@pytest.mark.parametrize(
    ("system", "machine", "target"),
    [
        ("linux", "x86_64", "linux-x86_64"),
        ("linux", "aarch64", "linux-arm64"),
        ("darwin", "arm64", "macos-arm64"),
        ("darwin", "x86_64", "macos-x86_64"),
        ("win32", "AMD64", "windows-x86_64"),
        ("win32", "ARM64", "windows-arm64"),
        ("freebsd14", "riscv64", "freebsd14-riscv64"),
        ("linux", "", "linux-unknown"),
    ],
)
def test_platform_target(system: str, machine: str, target: str) -> None:
    assert platform_target(system, machine) == target


def test_windows_gets_a_zip_and_everything_else_a_tar_gz() -> None:
    assert archive_suffix("windows-x86_64") == ".zip"
    assert archive_suffix("linux-arm64") == ".tar.gz"
    assert archive_suffix("macos-arm64") == ".tar.gz"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "archon-linux-x86_64"
    (root / "_internal" / "archon").mkdir(parents=True)
    (root / "archon").write_bytes(b"\x7fELF binary")
    (root / "archon").chmod(0o755)
    (root / "_internal" / "archon" / "data.yaml").write_text("name: x\n", encoding="utf-8")
    (root / "_internal" / "libfoo.so.1").write_bytes(b"lib")
    if os.name != "nt":
        (root / "_internal" / "libfoo.so").symlink_to("libfoo.so.1")
    return root


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
def test_archives_are_reproducible(folder: Path, tmp_path: Path, suffix: str) -> None:
    first = archive_dir(folder, tmp_path / f"one{suffix}", mtime=1_700_000_000)
    os.utime(folder / "archon", (1, 1))  # file times on disk do not matter, only the given mtime
    second = archive_dir(folder, tmp_path / f"two{suffix}", mtime=1_700_000_000)
    assert first.read_bytes() == second.read_bytes()
    third = archive_dir(folder, tmp_path / f"three{suffix}", mtime=1_700_086_400)
    assert third.read_bytes() != first.read_bytes()


@pytest.mark.skipif(os.name == "nt", reason="symlinks and exec bits are POSIX")
def test_a_tar_gz_keeps_the_folder_exec_bits_and_symlinks(folder: Path, tmp_path: Path) -> None:
    archive = archive_dir(folder, tmp_path / "out.tar.gz", mtime=1_700_000_000)
    with tarfile.open(archive) as tar:
        members = {member.name: member for member in tar.getmembers()}
        tar.extractall(tmp_path / "x", filter="tar")
    top = "archon-linux-x86_64"
    assert members[top].isdir()
    assert members[f"{top}/archon"].mode == 0o755
    assert members[f"{top}/_internal/archon/data.yaml"].mode == 0o644
    assert members[f"{top}/_internal/libfoo.so"].issym()
    assert members[f"{top}/_internal/libfoo.so"].linkname == "libfoo.so.1"
    assert {m.uid for m in members.values()} == {0}
    assert {m.mtime for m in members.values()} == {1_700_000_000}
    extracted = tmp_path / "x" / top
    assert os.access(extracted / "archon", os.X_OK)
    assert (extracted / "_internal" / "libfoo.so").read_bytes() == b"lib"
    assert list(members) == sorted(members)


def test_a_zip_holds_the_folder_with_exec_bits(folder: Path, tmp_path: Path) -> None:
    archive = archive_dir(folder, tmp_path / "out.zip", mtime=1_700_000_000)
    with zipfile.ZipFile(archive) as zf:
        infos = {info.filename: info for info in zf.infolist()}
        assert zf.read("archon-linux-x86_64/archon") == b"\x7fELF binary"
    if os.name != "nt":
        assert stat.S_IMODE(infos["archon-linux-x86_64/archon"].external_attr >> 16) == 0o755
    assert stat.S_IMODE(infos["archon-linux-x86_64/_internal/archon/data.yaml"].external_attr >> 16) == 0o644


def test_unknown_archive_types_are_refused(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsupported archive type"):
        archive_dir(folder, tmp_path / "out.rar", mtime=0)


def test_sha256sums_lists_files_by_name_in_the_coreutils_format(tmp_path: Path) -> None:
    b = tmp_path / "b.whl"
    a = tmp_path / "sub" / "a.tar.gz"
    a.parent.mkdir()
    a.write_bytes(b"alpha")
    b.write_bytes(b"beta")
    text = sha256sums([b, a])
    assert text == (f"{hashlib.sha256(b'alpha').hexdigest()}  a.tar.gz\n{hashlib.sha256(b'beta').hexdigest()}  b.whl\n")
    out = write_sha256sums(tmp_path / "SHA256SUMS", [a, b])
    assert out.read_bytes() == text.encode()


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum not installed")
def test_sha256sum_verifies_what_we_write(tmp_path: Path) -> None:
    for name in ("one.whl", "two.tar.gz"):
        (tmp_path / name).write_bytes(name.encode() * 1000)
    main(["sums", str(tmp_path / "SHA256SUMS"), str(tmp_path / "one.whl"), str(tmp_path / "two.tar.gz")])
    check = subprocess.run(
        ["sha256sum", "--check", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    (tmp_path / "one.whl").write_bytes(b"tampered")
    tampered = subprocess.run(
        ["sha256sum", "--check", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert tampered.returncode != 0


def test_the_command_line(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["target"]) == 0
    target, suffix = capsys.readouterr().out.split()
    assert suffix == archive_suffix(target)
    assert main(["archive", str(folder), str(tmp_path / "x.tar.gz"), "--mtime", "5"]) == 0
    with tarfile.open(tmp_path / "x.tar.gz") as tar:
        assert {m.mtime for m in tar.getmembers()} == {5}

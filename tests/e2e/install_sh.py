"""What the install.sh tests share: a user's machine (a home, the environment install.sh runs in, the loopback
release server), a snapshot of a folder tree, and a release whose ``archon`` is a small shell script."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import subprocess
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support.artefacts import REPO_ROOT
from tests.support.binary import FROZEN_VERSION
from tests.support.release_server import ReleaseServer

__all__ = ["INSTALL_SH", "Machine", "fake_release", "installed_version", "ok", "refused", "sums_for", "tree"]

INSTALL_SH = REPO_ROOT / "scripts" / "install.sh"


@dataclass
class Machine:
    """A user's machine: a home, the environment install.sh runs in, and the release server."""

    home: Path
    archon_home: Path  # where the installed archon keeps its own files when the test runs it
    tmp: Path  # TMPDIR: the installer's work folder goes here, and must be gone afterwards
    fakes: Path  # put first on PATH: stand-ins for uname, sysctl, gh when a test needs them
    server: ReleaseServer
    target: str

    @property
    def link(self) -> Path:
        return self.home / ".local" / "bin" / "archon"

    @property
    def versions(self) -> Path:
        return self.home / ".archon" / "install" / "versions"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHON_", "DO_NOT_TRACK"))}
        env.update(
            {
                "HOME": str(self.home),
                "PATH": f"{self.fakes}{os.pathsep}{os.environ['PATH']}",
                "TMPDIR": str(self.tmp),
                "ARCHON_INSTALL_BASE_URL": self.server.url,
                "ARCHON_TELEMETRY": "on",  # the user opted in: the installer's own check must still run with it off
            }
        )
        env.update(extra or {})
        return env

    def install(
        self, *args: str, version: str | None = FROZEN_VERSION, shell: str = "sh", env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        extra = {"ARCHON_VERSION": version} if version else {}
        self.server.take_requests()
        return subprocess.run(
            [shell, str(INSTALL_SH), *args],
            env=self.env({**extra, **(env or {})}),
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )

    def archon(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The installed archon, run through the link as a user would."""
        return subprocess.run(
            [str(self.link), *args],
            env={**os.environ, "HOME": str(self.home), "ARCHON_HOME": str(self.archon_home)},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    def fake(self, name: str, script: str) -> None:
        path = self.fakes / name
        path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
        path.chmod(0o755)


def tree(root: Path) -> dict[str, tuple[object, ...]]:
    """Everything under ``root``: type and mode; for files also size and modification time, for links the target.
    (A folder's own size and time change whenever an entry comes and goes, so they are left out.)"""
    found: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            info = path.lstat()
            if stat.S_ISDIR(info.st_mode):
                found[str(path.relative_to(root))] = (stat.filemode(info.st_mode),)
            elif stat.S_ISLNK(info.st_mode):
                found[str(path.relative_to(root))] = (stat.filemode(info.st_mode), os.readlink(path))
            else:
                found[str(path.relative_to(root))] = (stat.filemode(info.st_mode), info.st_size, info.st_mtime_ns)
    return found


def installed_version(machine: Machine) -> str:
    result = machine.archon("version")
    assert result.returncode == 0, result.stderr
    return result.stdout


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stderr


def refused(result: subprocess.CompletedProcess[str], reason: str) -> str:
    assert result.returncode != 0, result.stderr
    assert f"archon installer: error: {reason}" in result.stderr
    return result.stderr


def sums_for(*files: Path) -> str:
    return "".join(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.name}\n" for f in files)


def fake_release(
    machine: Machine,
    tmp_path: Path,
    version: str,
    archon_script: str,
    *,
    mode: int = 0o755,
    owner: tuple[int, int] = (0, 0),
    extra: Mapping[str, tuple[bytes, int]] | None = None,
) -> None:
    """Publish v<version>/ holding an archive whose ``archon`` is ``archon_script`` (with ``mode`` and ``owner``
    as the archive records them), plus ``extra`` members (name in the bundle: content, mode), and its SHA256SUMS."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    archive = tmp_path / f"archon-{machine.target}.tar.gz"
    members = {"archon": (("#!/bin/sh\n" + archon_script).encode(), mode), **(extra or {})}
    with tarfile.open(archive, "w:gz") as tar:
        for name, (body, member_mode) in members.items():
            info = tarfile.TarInfo(f"archon-{machine.target}/{name}")
            info.size, info.mode = len(body), member_mode
            info.uid, info.gid = owner
            tar.addfile(info, io.BytesIO(body))
    (tmp_path / "SHA256SUMS").write_text(sums_for(archive))
    machine.server.publish(f"v{version}", [tmp_path / "SHA256SUMS", archive])

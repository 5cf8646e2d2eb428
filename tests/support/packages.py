"""Build an sdist and a wheel of a source tree with chosen build inputs, and read what they hold."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support.artefacts import build_env

__all__ = ["Built", "build_dists", "sdist_files", "wheel_files"]


@dataclass(frozen=True)
class Built:
    result: subprocess.CompletedProcess[str]
    out: Path

    @property
    def output(self) -> str:
        return self.result.stdout + self.result.stderr

    @property
    def wheels(self) -> list[Path]:
        return sorted(self.out.glob("*.whl"))

    @property
    def sdists(self) -> list[Path]:
        return sorted(self.out.glob("*.tar.gz"))


def build_dists(source: Path, out: Path, inputs: Mapping[str, str], *targets: str) -> Built:
    """``python -m build --no-isolation`` of ``source`` into ``out``; ``targets`` are ``--sdist``/``--wheel``
    (both built straight from the tree when both are given)."""
    out.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", *(targets or ("--sdist", "--wheel")), "--outdir", str(out)],
        cwd=source,
        env=build_env(inputs),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return Built(result, out)


def wheel_files(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


def sdist_files(sdist: Path) -> dict[str, bytes]:
    """Member files by path below the sdist's top-level ``<name>-<version>/`` folder."""
    files: dict[str, bytes] = {}
    with tarfile.open(sdist, "r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            handle = archive.extractfile(member)
            assert handle is not None
            files[member.name.split("/", 1)[1]] = handle.read()
    return files

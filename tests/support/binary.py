"""Build the standalone binary once, the way a release does: ``scripts/build-binaries.sh`` in a committed copy of
the work tree, with build inputs a test chooses, into a directory outside the tree.

``tests/conftest.py``'s ``frozen_archon`` fixture calls :func:`build_frozen_archon` once per session (a PyInstaller
build takes most of a minute); the telemetry end-to-end tests reuse that binary.
"""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.artefacts import REPO_ROOT, build_env
from tests.support.worktree import snapshot, tree_state

__all__ = [
    "FROZEN_COMMIT",
    "FROZEN_TAG",
    "FROZEN_VERSION",
    "BundledModules",
    "FrozenArchon",
    "build_frozen_archon",
    "bundled_modules",
    "run_build_script",
]

FROZEN_TAG = "v9.8.7-rc.1"  # a prerelease tag, as a maintainer would push it
FROZEN_VERSION = "9.8.7rc1"  # its PEP 440 normal form: what every artefact of the build must carry
FROZEN_COMMIT = "0123abcd"


@dataclass(frozen=True, kw_only=True)
class FrozenArchon:
    """The outcome of one ``scripts/build-binaries.sh`` run."""

    source: Path  # the committed copy of the work tree it was built from
    dist: Path  # ARCHON_DIST_DIR: wheel, sdist, archive, unpacked binary folder, SHA256SUMS
    target: str  # <os>-<arch>, e.g. linux-x86_64
    version: str  # the PEP 440 version every artefact of the build carries
    inputs: Mapping[str, str]
    log: str  # the script's progress output (stderr)
    tree_before: list[str] = field(default_factory=list)
    tree_after: list[str] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        return self.dist / f"archon-{self.target}"

    @property
    def archive(self) -> Path:
        """The release archive of the folder: ``archon-<target>.tar.gz``, or ``.zip`` on Windows."""
        return self.dist / f"archon-{self.target}{'.zip' if self.target.startswith('windows-') else '.tar.gz'}"

    @property
    def executable(self) -> Path:
        return self.folder / ("archon.exe" if os.name == "nt" else "archon")

    @property
    def wheel(self) -> Path:
        return self.dist / f"archon_cli-{self.version}-py3-none-any.whl"

    @property
    def sdist(self) -> Path:
        return self.dist / f"archon_cli-{self.version}.tar.gz"

    def run(
        self, *args: str, home: Path, env: Mapping[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run the binary with its own ``ARCHON_HOME``; ``env`` adds to (and overrides) the current environment."""
        full_env = {**os.environ, "ARCHON_HOME": str(home), **(env or {})}
        return subprocess.run(
            [str(self.executable), *args], env=full_env, capture_output=True, text=True, check=False, timeout=timeout
        )


def run_build_script(
    source: Path, *, inputs: Mapping[str, str], dist: Path, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """``bash scripts/build-binaries.sh`` in ``source`` with exactly ``inputs`` as build inputs, using this
    interpreter (``ARCHON_PYTHON``) instead of bootstrapping a venv."""
    env = build_env(inputs)
    env.update({"ARCHON_PYTHON": sys.executable, "ARCHON_DIST_DIR": str(dist)})
    return subprocess.run(
        ["bash", str(source / "scripts" / "build-binaries.sh")],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def _target(dist: Path) -> str:
    folders: Sequence[Path] = [p for p in dist.glob("archon-*") if p.is_dir()]
    if len(folders) != 1:
        raise AssertionError(f"expected one binary folder in {dist}, found {[p.name for p in folders]}")
    return folders[0].name.removeprefix("archon-")


def build_frozen_archon(work: Path, *, key: str, host: str, version: str = FROZEN_VERSION) -> FrozenArchon:
    """Build wheel, sdist and binary with ``key`` and ``host`` embedded; fail loudly with the script's log.

    The session's build is tagged :data:`FROZEN_TAG`, a prerelease tag as a maintainer writes it; any other
    ``version`` (a second build, for upgrades) is tagged ``v<version>``."""
    source = snapshot(REPO_ROOT, work / "source")
    dist = work / "dist"
    inputs = {
        "POSTHOG_PUBLIC_KEY": key,
        "POSTHOG_HOST": host,
        "VERSION": FROZEN_TAG if version == FROZEN_VERSION else f"v{version}",
        "GIT_COMMIT": FROZEN_COMMIT,
        "ARCHON_REQUIRE_POSTHOG_KEY": "1",
    }
    before = tree_state(source)
    result = run_build_script(source, inputs=inputs, dist=dist)
    if result.returncode != 0:
        raise AssertionError(f"scripts/build-binaries.sh failed ({result.returncode}):\n{result.stderr[-6000:]}")
    return FrozenArchon(
        source=source,
        dist=dist,
        target=_target(dist),
        version=version,
        inputs=inputs,
        log=result.stderr,
        tree_before=before,
        tree_after=tree_state(source),
    )


class BundledModules:
    """The Python modules the binary ships: each a ``.pyc`` under its ``_internal/`` folder (the spec builds with
    ``noarchive``), with ``toc`` (every module's dotted name) and ``extract`` (a module's code object)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.toc = {self._name(path) for path in folder.rglob("*.pyc") if "__pycache__" not in path.parts}

    def _name(self, path: Path) -> str:
        return ".".join(path.relative_to(self.folder).with_suffix("").parts).removesuffix(".__init__")

    def extract(self, name: str) -> Any:
        parts = name.split(".")
        candidates = [self.folder.joinpath(*parts).with_suffix(".pyc"), self.folder.joinpath(*parts, "__init__.pyc")]
        (path,) = [path for path in candidates if path.is_file()]
        return marshal.loads(path.read_bytes()[16:])  # noqa: S302 - this build's own file, after its 16-byte header


def bundled_modules(executable: Path) -> BundledModules:
    """The modules in ``executable``'s ``_internal/`` folder (see :class:`BundledModules`)."""
    return BundledModules(executable.parent / "_internal")

"""Build real archon artefacts for tests: wheels with given build-time constants, and venvs that install them.

Wheels are built from the work tree with ``python -m build --no-isolation`` (the hatch hook runs for real); venvs
are made and filled with ``uv``, whose cache makes each one take about a second after the first.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["REPO_ROOT", "InstalledArchon", "build_env", "build_wheel", "install_wheel", "uv_cache_dir"]

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_INPUTS = (
    "POSTHOG_PUBLIC_KEY",
    "POSTHOG_HOST",
    "VERSION",
    "GIT_COMMIT",
    "ARCHON_REQUIRE_POSTHOG_KEY",
)


def build_env(overrides: Mapping[str, str]) -> dict[str, str]:
    """The current environment without any inherited build input, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if k not in BUILD_INPUTS}
    env.update(overrides)
    return env


def build_wheel(
    out_dir: Path, overrides: Mapping[str, str], *, source: Path = REPO_ROOT
) -> subprocess.CompletedProcess[str]:
    """Build a wheel of the work tree (or of another checkout, ``source``) into ``out_dir`` with ``overrides`` as
    build inputs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out_dir),
            str(source),
        ],
        env=build_env(overrides),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


# Captured at import, before the isolation fixture points HOME at a temp dir, so every test shares uv's cache.
_UV_CACHE_DIR = os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv")


def uv_cache_dir() -> str:
    """uv's cache, shared by every test (the isolation fixture moves HOME, where uv would look for it)."""
    return _UV_CACHE_DIR


def _uv() -> list[str]:
    return [sys.executable, "-m", "uv", "--cache-dir", _UV_CACHE_DIR]


@dataclass(frozen=True)
class InstalledArchon:
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    @property
    def archon(self) -> Path:
        return self.venv / ("Scripts/archon.exe" if os.name == "nt" else "bin/archon")


def _same_versions_as_here(out: Path) -> Path:
    """Constraints that pin every distribution to its version in this test environment: a wheel installed for a
    test gets the dependencies the suite runs on (uv.lock's, or the floors in CI's lowest-direct job), not whatever
    the package index serves today."""
    pins = sorted(
        {f"{dist.metadata['Name']}=={dist.version}" for dist in importlib.metadata.distributions()}
        - {f"archon-cli=={importlib.metadata.version('archon-cli')}"}
    )
    out.write_text("\n".join(pins) + "\n", encoding="utf-8")
    return out


def install_wheel(wheel: Path, venv_dir: Path) -> InstalledArchon:
    """A fresh venv at ``venv_dir`` with ``wheel`` and its dependencies, at this environment's versions."""
    constraints = _same_versions_as_here(venv_dir.parent / f"{venv_dir.name}-constraints.txt")
    subprocess.run(
        [*_uv(), "venv", "--quiet", "--python", sys.executable, str(venv_dir)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    installed = InstalledArchon(venv_dir)
    subprocess.run(
        # --compile-bytecode: as pip does by default. Without it (uv's default) and with PYTHONDONTWRITEBYTECODE
        # set, as in CI, every archon run recompiles ~250 modules: 1.3 s instead of 0.45 s for `archon version`.
        [
            *_uv(),
            *("pip", "install", "--quiet", "--compile-bytecode", "--python", str(installed.python)),
            *("--constraint", str(constraints), str(wheel)),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return installed

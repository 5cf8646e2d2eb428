"""The release wheel (the one scripts/build-binaries.sh built for the session), installed with the real tools, each
in its own home: ``archon version`` names the tool that installed it and the command that upgrades it.

pipx and uv come from the dev extra; archon's dependencies come from the package index, through the caches the
test run already has (captured before the isolation fixture moves HOME).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.support.binary import FROZEN_VERSION, FrozenArchon

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="venv layout (bin/); the channel logic is tested everywhere"),
]

TOOLS = Path(sys.executable).parent
_CACHES = {
    "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv"),
    "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip"),
}


def release_wheel(frozen: FrozenArchon) -> Path:
    (wheel,) = frozen.dist.glob("*.whl")
    return wheel


def run(argv: list[str], env: Mapping[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, env=dict(env), capture_output=True, text=True, check=False, timeout=timeout)
    assert result.returncode == 0, f"{argv}:\n{result.stdout}\n{result.stderr}"
    return result


def isolated(tmp_path: Path) -> dict[str, str]:
    """A user with nothing installed: their own home, pipx and uv tool folders; the shared download caches."""
    home = tmp_path / "home"
    home.mkdir()
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PIPX_", "UV_", "PIP_", "VIRTUAL_ENV"))}
    return {
        **keep,
        **_CACHES,
        "HOME": str(home),
        "ARCHON_HOME": str(tmp_path / "archon-home"),
        "DO_NOT_TRACK": "1",
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
        "UV_TOOL_DIR": str(tmp_path / "uv-tools"),
        "UV_TOOL_BIN_DIR": str(tmp_path / "bin"),
        "UV_PYTHON_DOWNLOADS": "never",
    }


def version_of(archon: Path, env: Mapping[str, str]) -> list[str]:
    lines = run([str(archon), "version"], env, timeout=120).stdout.splitlines()
    assert lines[0] == f"archon {FROZEN_VERSION}"
    assert "Build: source" in lines  # the wheel, not the binary
    return lines


@pytest.mark.parametrize("backend", ["uv", "pip"])
def test_pipx_install(frozen_archon: FrozenArchon, tmp_path: Path, backend: str) -> None:
    env = isolated(tmp_path)
    wheel = release_wheel(frozen_archon)
    run([str(TOOLS / "pipx"), "install", "--backend", backend, "--python", sys.executable, str(wheel)], env)
    lines = version_of(tmp_path / "bin" / "archon", env)
    assert "Install method: pipx" in lines
    assert "Upgrade: pipx upgrade archon-cli" in lines


def test_uv_tool_install(frozen_archon: FrozenArchon, tmp_path: Path) -> None:
    env = isolated(tmp_path)
    run(
        [sys.executable, "-m", "uv", "tool", "install", "--python", sys.executable, str(release_wheel(frozen_archon))],
        env,
    )
    lines = version_of(tmp_path / "bin" / "archon", env)
    assert "Install method: uv" in lines
    assert "Upgrade: uv tool upgrade archon-cli" in lines


def test_uv_pip_install_into_a_venv(frozen_archon: FrozenArchon, tmp_path: Path) -> None:
    env = isolated(tmp_path)
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "uv", "venv", "--python", sys.executable, str(venv)], env)
    run(
        [
            sys.executable,
            "-m",
            "uv",
            "pip",
            "install",
            "--python",
            str(venv / "bin" / "python"),
            str(release_wheel(frozen_archon)),
        ],
        env,
    )
    lines = version_of(venv / "bin" / "archon", env)
    assert "Install method: uv" in lines
    assert "Upgrade: uv pip install --upgrade archon-cli" in lines


def test_pip_install_into_a_venv(frozen_archon: FrozenArchon, tmp_path: Path) -> None:
    env = isolated(tmp_path)
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], env)
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(release_wheel(frozen_archon))], env)
    lines = version_of(venv / "bin" / "archon", env)
    assert "Install method: pip" in lines
    assert "Upgrade: pip install --upgrade archon-cli" in lines

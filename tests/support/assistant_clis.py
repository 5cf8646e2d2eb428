"""The pinned real assistant CLIs the end-to-end tests run: `claude` and `codex` as `.ci/run` installs them from
``.ci/assistants/package-lock.json`` into ``.tools/assistants`` (never whatever is on PATH, which may be another
version, or the user's own login).

A missing or different install skips the test on a laptop and fails it in CI (like ``require_tool``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import pytest

from tests.conftest import IN_CI

__all__ = ["ASSISTANTS_MANIFEST", "AssistantCli", "CliName", "pinned_version", "require_assistant"]

CliName = Literal["claude", "codex"]

_ROOT = Path(__file__).resolve().parents[2]
ASSISTANTS_MANIFEST = _ROOT / ".ci" / "assistants" / "package.json"
INSTALL_DIR = _ROOT / ".tools" / "assistants"
_PACKAGES: dict[CliName, str] = {"claude": "@anthropic-ai/claude-code", "codex": "@openai/codex"}


@dataclass(frozen=True)
class AssistantCli:
    name: CliName
    executable: Path
    """What a user's PATH would run: claude's native binary, codex's Node launcher (codex.js)."""
    version: str
    package_dir: Path


@cache
def pinned_version(name: CliName) -> str:
    """The version `.ci/assistants/package.json` pins (the lock file holds the same, with hashes)."""
    manifest = json.loads(ASSISTANTS_MANIFEST.read_text(encoding="utf-8"))
    return str(manifest["dependencies"][_PACKAGES[name]])


def _installed(name: CliName) -> AssistantCli | str:
    package_dir = INSTALL_DIR / "node_modules" / _PACKAGES[name]
    executable = INSTALL_DIR / "node_modules" / ".bin" / name
    try:
        installed = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return f"{_PACKAGES[name]} is not installed in {INSTALL_DIR} (.ci/run installs it)"
    if installed != pinned_version(name):
        return f"{_PACKAGES[name]} {installed} is installed, the pin is {pinned_version(name)} (rerun .ci/run)"
    if not executable.exists():
        return f"{executable} is missing (rerun .ci/run)"
    return AssistantCli(name, executable, installed, package_dir)


def require_assistant(name: CliName) -> AssistantCli:
    """The pinned CLI; skipped on a laptop without it, a failure in CI."""
    found = _installed(name)
    if isinstance(found, str):
        if IN_CI:
            pytest.fail(found)
        pytest.skip(found)
    return found

"""Which assistant CLIs archon knows (``claude``, ``codex``) and where their binaries are.

archon never talks to a model itself: a prompt node runs the provider's own CLI non-interactively, with the
user's own login and settings (how, per CLI: :mod:`archon.workflows.clis`). The binary can be overridden per
provider (``ARCHON_CLAUDE_BIN``, ``ARCHON_CODEX_BIN``), and is looked up on the ``PATH`` of the environment handed
in, never ``os.environ``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, get_args

from archon.workflows.errors import ProviderNotFoundError

if TYPE_CHECKING:
    from archon.workflows.clis.contract import AssistantCli

__all__ = [
    "PROVIDER_NAMES",
    "ProviderName",
    "default_binary",
    "detect_providers",
    "find_on_path",
    "find_provider_binary",
    "require_provider_binary",
]

ProviderName = Literal["claude", "codex"]
PROVIDER_NAMES: tuple[ProviderName, ...] = get_args(ProviderName)
"""In order of preference: when several are installed and nothing says which, the first one wins."""


def _cli(name: ProviderName) -> AssistantCli:
    # startup time: `archon setup`'s module (loaded to show any --help) needs only the names above, not the CLI
    # modules' stream parsing (json and all)
    from archon.workflows.clis import assistant_cli

    return assistant_cli(name)


def default_binary(name: ProviderName) -> str:
    return _cli(name).default_binary


_WINDOWS_PATHEXT = ".COM;.EXE;.BAT;.CMD"


def find_on_path(program: str, *, env: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """``program`` in the absolute directories of ``env``'s ``PATH`` (not this process's), never the current one.

    ``shutil.which`` looks in the current directory first on Windows, and an empty or relative ``PATH`` entry
    means the current directory everywhere: run inside a cloned repository, its ``claude.cmd`` or ``bash`` would
    be what archon runs. Both are left out. A ``program`` with a directory part (an ``ARCHON_CLAUDE_BIN`` the user
    set) is taken as given. ``platform`` is ``sys.platform``'s value, a parameter so tests can ask as Windows.
    """
    windows = platform == "win32"
    separator = ";" if windows else ":"
    if os.path.dirname(program):
        return shutil.which(program, path="")
    directories = [d for d in env.get("PATH", os.defpath).split(separator) if _is_absolute(d, windows=windows)]
    if not windows:
        return shutil.which(program, path=os.pathsep.join(directories)) if directories else None
    extensions = [e for e in env.get("PATHEXT", _WINDOWS_PATHEXT).split(";") if e]
    names = [program] if program.lower().endswith(tuple(e.lower() for e in extensions)) else []
    names += [program + extension for extension in extensions]
    for directory in directories:
        for name in names:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                return candidate
    return None


def _is_absolute(directory: str, *, windows: bool) -> bool:
    if windows:  # C:\tools or \\server\share; not C:tools, \tools (drive-relative) or .
        return len(directory) > 2 and (directory[1:3] in (":\\", ":/") or directory[:2] in ("\\\\", "//"))
    return directory.startswith("/")


def find_provider_binary(name: ProviderName, *, env: Mapping[str, str]) -> str | None:
    """The full path of the provider's binary, or None when it is not installed (or the override is wrong)."""
    cli = _cli(name)
    candidate = env.get(cli.env_override, "").strip() or cli.default_binary
    return find_on_path(candidate, env=env)


def require_provider_binary(name: ProviderName, *, env: Mapping[str, str]) -> str:
    """Like :func:`find_provider_binary`, but a missing binary is a :class:`ProviderNotFoundError` saying what to do."""
    found = find_provider_binary(name, env=env)
    if found is not None:
        return found
    cli = _cli(name)
    override = env.get(cli.env_override, "").strip()
    if override:
        raise ProviderNotFoundError(
            f"the {name} CLI was not found: {cli.env_override}={override!r} is not an executable file"
        )
    raise ProviderNotFoundError(
        f"the {name} CLI ({cli.default_binary!r}) was not found on PATH; install it ({cli.install_hint}), "
        f"point {cli.env_override} at it, or choose another assistant with `archon setup`"
    )


def detect_providers(*, env: Mapping[str, str]) -> dict[ProviderName, str]:
    """Every installed provider CLI and its path, in order of preference."""
    found: dict[ProviderName, str] = {}
    for name in PROVIDER_NAMES:
        path = find_provider_binary(name, env=env)
        if path is not None:
            found[name] = path
    return found

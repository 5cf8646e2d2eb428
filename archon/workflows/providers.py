"""The assistant CLIs archon drives (``claude``, ``codex``): where the binary is and how a prompt is passed.

archon never talks to a model itself: a prompt node runs the provider's own CLI non-interactively, with the
user's own login, settings and permissions. The binary can be overridden per provider (``ARCHON_CLAUDE_BIN``,
``ARCHON_CODEX_BIN``), and is looked up on the ``PATH`` of the environment handed in, never ``os.environ``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from archon.runtime import ENV_ARCHON_CLAUDE_BIN, ENV_ARCHON_CODEX_BIN
from archon.workflows.errors import ProviderNotFoundError

__all__ = [
    "PROVIDER_NAMES",
    "ProviderCli",
    "ProviderName",
    "detect_providers",
    "find_on_path",
    "find_provider_binary",
    "provider_cli",
    "require_provider_binary",
]

ProviderName = Literal["claude", "codex"]
PROVIDER_NAMES: tuple[ProviderName, ...] = get_args(ProviderName)
"""In order of preference: when several are installed and nothing says which, the first one wins."""


@dataclass(frozen=True)
class ProviderCli:
    name: ProviderName
    default_binary: str
    env_override: str
    prompt_flags: tuple[str, ...]
    install_hint: str

    def argv(self, binary: str, prompt: str) -> list[str]:
        """The command line that runs ``prompt`` once, non-interactively; the prompt is one argv item.

        ``--`` ends the options (claude parses with commander, codex with clap; both honour it), so a prompt that
        starts with ``-`` (``$ARGUMENTS`` = ``--dangerously-skip-permissions``, a Markdown list) stays the prompt
        and never becomes a flag of the CLI.
        """
        return [binary, *self.prompt_flags, "--", prompt]


_PROVIDERS: dict[ProviderName, ProviderCli] = {
    "claude": ProviderCli(
        name="claude",
        default_binary="claude",
        env_override=ENV_ARCHON_CLAUDE_BIN,
        prompt_flags=("-p",),
        install_hint="npm install -g @anthropic-ai/claude-code",
    ),
    "codex": ProviderCli(
        name="codex",
        default_binary="codex",
        env_override=ENV_ARCHON_CODEX_BIN,
        prompt_flags=("exec",),
        install_hint="npm install -g @openai/codex",
    ),
}


def provider_cli(name: ProviderName) -> ProviderCli:
    return _PROVIDERS[name]


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
    cli = _PROVIDERS[name]
    candidate = env.get(cli.env_override, "").strip() or cli.default_binary
    return find_on_path(candidate, env=env)


def require_provider_binary(name: ProviderName, *, env: Mapping[str, str]) -> str:
    """Like :func:`find_provider_binary`, but a missing binary is a :class:`ProviderNotFoundError` saying what to do."""
    found = find_provider_binary(name, env=env)
    if found is not None:
        return found
    cli = _PROVIDERS[name]
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

"""The one module that reads the world: environment variables, the archon home, the clock, the terminal.

Every other module takes a :class:`Runtime` (or the values it holds) as a parameter, so tests can pin each of
them. Every environment variable archon reads is named here, once.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

from archon.value import Value

__all__ = [
    "ENV_ALL_PROXY",
    "ENV_ARCHON_CLAUDE_BIN",
    "ENV_ARCHON_CODEX_BIN",
    "ENV_ARCHON_COMPLETE",
    "ENV_ARCHON_DEBUG",
    "ENV_ARCHON_HOME",
    "ENV_ARCHON_TELEMETRY",
    "ENV_ARCHON_TELEMETRY_DEBUG",
    "ENV_ARCHON_TELEMETRY_DISABLED",
    "ENV_CA_BUNDLES",
    "ENV_CI",
    "ENV_CLAUDE_CODE_MAX_RETRIES",
    "ENV_DO_NOT_TRACK",
    "ENV_HTTPS_PROXY",
    "ENV_HTTP_PROXY",
    "ENV_NO_PROXY",
    "Runtime",
    "default_archon_home",
    "flag",
]

# Environment variables archon reads. Nothing else in the package calls os.environ.
ENV_ARCHON_HOME = "ARCHON_HOME"
ENV_DO_NOT_TRACK = "DO_NOT_TRACK"
ENV_ARCHON_TELEMETRY = "ARCHON_TELEMETRY"
ENV_ARCHON_TELEMETRY_DISABLED = "ARCHON_TELEMETRY_DISABLED"
ENV_ARCHON_TELEMETRY_DEBUG = "ARCHON_TELEMETRY_DEBUG"
ENV_ARCHON_DEBUG = "ARCHON_DEBUG"
ENV_ARCHON_CLAUDE_BIN = "ARCHON_CLAUDE_BIN"
ENV_ARCHON_CODEX_BIN = "ARCHON_CODEX_BIN"
ENV_CI = "CI"
ENV_CLAUDE_CODE_MAX_RETRIES = "CLAUDE_CODE_MAX_RETRIES"
"""Read only to leave a value the user set alone; otherwise archon bounds claude's own retries (docs/workflows.md)."""
ENV_ARCHON_COMPLETE = "_ARCHON_COMPLETE"
"""Set by archon's shell completion scripts (Typer's) when a TAB press runs archon: ``_{PROG}_COMPLETE``."""
# Read by the flusher only, to reach the ingest host the way the user's network requires; everything else in the
# environment that an HTTP library would pick up on its own (netrc, ...) is ignored. Proxy variables are looked up
# in lower case first, then upper case, as curl and requests do.
ENV_HTTPS_PROXY = "https_proxy"
ENV_HTTP_PROXY = "http_proxy"
ENV_ALL_PROXY = "all_proxy"
ENV_NO_PROXY = "no_proxy"
ENV_CA_BUNDLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


def flag(raw: str | None) -> bool | None:
    """The one parser of archon's boolean environment variables.

    ``1``, ``true``, ``yes``, ``on`` (any case, surrounding spaces ignored) are True; unset, empty, ``0``,
    ``false``, ``no``, ``off`` are False; anything else is None (not understood), which each caller treats as the
    safe side and may report.
    """
    value = (raw or "").strip().lower()
    if value in _TRUE_WORDS:
        return True
    if value in _FALSE_WORDS:
        return False
    return None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def default_archon_home(env: Mapping[str, str], user_home: Path, cwd: Path) -> Path:
    """``$ARCHON_HOME`` when set and non-empty (a relative one taken from ``cwd``), else ``~/.archon``.

    Always absolute: the detached flusher changes directory, and must find the same home.
    """
    override = env.get(ENV_ARCHON_HOME, "").strip()
    if override:
        return cwd / Path(override).expanduser()
    return user_home / ".archon"


class Runtime(Value):
    """A frozen snapshot of the outside world, built once per process by the root CLI callback.

    A :class:`~archon.value.Value`: it is defined and built on every start (see that module).
    """

    env: Mapping[str, str]
    home: Path
    cwd: Path
    now: Callable[[], datetime] = _utc_now
    monotonic: Callable[[], float] = time.monotonic
    stdout_is_tty: bool = False
    stderr_is_tty: bool = False
    stdin_is_tty: bool = False
    executable: tuple[str, ...] = ()
    user_home: Path | None = None
    """The user's home directory (``Path.home()``): the walk for a repository's workflows stops there."""

    @property
    def is_ci(self) -> bool:
        return flag(self.env.get(ENV_CI)) is True

    @property
    def debug(self) -> bool:
        """``ARCHON_DEBUG``: tracebacks instead of one-line errors."""
        return flag(self.env.get(ENV_ARCHON_DEBUG)) is True

    @property
    def telemetry_debug(self) -> bool:
        """``ARCHON_TELEMETRY_DEBUG``: print events to stderr instead of recording them."""
        return flag(self.env.get(ENV_ARCHON_TELEMETRY_DEBUG)) is True

    @classmethod
    def from_os(cls) -> Runtime:
        env = MappingProxyType(dict(os.environ))
        cwd = Path.cwd()
        user_home = Path.home()
        return cls(
            env=env,
            home=default_archon_home(env, user_home, cwd),
            cwd=cwd,
            stdout_is_tty=_isatty(sys.stdout),
            stderr_is_tty=_isatty(sys.stderr),
            stdin_is_tty=_isatty(sys.stdin),
            executable=_self_command(),
            user_home=user_home,
        )


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):
        return False


def _self_command() -> tuple[str, ...]:
    """How to start this same archon again: the frozen binary itself, or ``python -P -m archon``.

    ``-P`` keeps the working directory off ``sys.path``: without it, ``-m`` run inside any directory holding an
    ``archon/`` package (a checkout of archon, say) would import that one instead of the installed archon.
    """
    if getattr(sys, "frozen", False):
        return (sys.executable,)
    return (sys.executable, "-P", "-m", "archon")

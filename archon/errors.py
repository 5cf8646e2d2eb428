"""The exceptions archon raises on purpose. Only ``archon.cli`` turns them into text and exit codes."""

from __future__ import annotations

from archon import exit_codes

__all__ = ["ArchonError", "ArchonInterrupt", "ConfigError", "UsageError"]


class ArchonError(Exception):
    """An error with a message meant for the user. ``exit_code`` is what the CLI exits with."""

    exit_code: int = exit_codes.FAILURE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(ArchonError):
    """The user asked for something archon cannot do as asked (bad flag value, unknown name)."""

    exit_code = exit_codes.USAGE


class ConfigError(ArchonError):
    """``config.yaml`` could not be read or written."""


class ArchonInterrupt(BaseException):
    """archon was told to stop, by a signal it turns into an exception (SIGTERM: ``archon.cli.signals``). A
    ``BaseException``, as ``KeyboardInterrupt`` is, so ``except Exception`` never swallows it."""

"""Which archon command a command line names, as telemetry may report it.

The vocabulary is the set of command names registered on the Typer app (read from its click command tree), so
it can never drift from the real commands. Anything else on the command line (a workflow name, an option value,
a typo) is never reported: it becomes ``user-defined``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from archon.telemetry.vocabulary import NO_NAME, USER_DEFINED, SafeName, command_name

__all__ = ["CommandPath", "command_path", "command_vocabulary"]


class CommandPath(NamedTuple):
    """The command and subcommand a command line names, as telemetry may report them."""

    command: SafeName
    subcommand: SafeName

    def is_(self, command: str, *subcommands: str) -> bool:
        return self.command == command and (not subcommands or self.subcommand in subcommands)


class _Group:
    """A click group seen through ``list_commands``/``get_command``, which a lazy group answers by importing only
    the subcommand asked for (:mod:`archon.cli.lazy_group`)."""

    def __init__(self, group: Any) -> None:
        self._group = group
        self._context = group.context_class(group)

    @classmethod
    def of(cls, node: object) -> _Group | None:
        return cls(node) if callable(getattr(node, "list_commands", None)) else None

    def names(self) -> list[str]:
        return [str(name) for name in self._group.list_commands(self._context)]

    def get(self, name: str) -> object | None:
        command: object | None = self._group.get_command(self._context, name)
        return command


def command_vocabulary(root: object) -> frozenset[str]:
    """Every command and subcommand name registered below ``root`` (loads every lazy group: docs, not start-up)."""
    names: set[str] = set()
    pending = [root]
    while pending:
        group = _Group.of(pending.pop())
        for name in group.names() if group else []:
            names.add(name)
            pending.append(group.get(name))  # type: ignore[union-attr]
    return frozenset(names)


def command_path(root: object, args: Sequence[str]) -> CommandPath:
    """The command and subcommand ``args`` name, walking archon's command tree and skipping options.

    Walking stops at the first word that is not a command of the current group, so arguments (workflow names,
    option values) are never taken for commands; an unknown word itself is reported as ``user-defined``.
    """
    names: list[SafeName] = []
    group = _Group.of(root)
    for arg in args:
        if arg == "--" or len(names) == 2 or group is None:
            break
        if arg.startswith("-"):
            continue
        child = group.get(arg)
        if child is None:  # not a command of this group: an argument or a typo, never reported as typed
            names.append(SafeName(USER_DEFINED))
            break
        names.append(command_name(arg, group.names()))
        group = _Group.of(child)
    names += [NO_NAME] * (2 - len(names))
    return CommandPath(command=names[0], subcommand=names[1])

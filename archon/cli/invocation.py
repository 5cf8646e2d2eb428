"""Which archon command a command line names, as telemetry may report it.

The vocabulary is the set of command names registered on the Typer app (read from its click command tree), so
it can never drift from the real commands. Anything else on the command line (a workflow name, an option value,
a typo) is never reported: it becomes ``user-defined``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from archon.telemetry.vocabulary import NO_NAME, USER_DEFINED, SafeName, command_name

__all__ = ["CommandPath", "command_path", "command_vocabulary"]


@dataclass(frozen=True)
class CommandPath:
    command: SafeName
    subcommand: SafeName

    def is_(self, command: str, *subcommands: str) -> bool:
        return self.command == command and (not subcommands or self.subcommand in subcommands)


def _subcommands(node: object) -> Mapping[str, object] | None:
    """A group's commands by name (click's and typer's vendored click both have ``.commands``), else None."""
    commands = getattr(node, "commands", None)
    return commands if isinstance(commands, Mapping) else None


def command_vocabulary(root: object) -> frozenset[str]:
    """Every command and subcommand name registered below ``root`` (a click/typer command object)."""
    names: set[str] = set()
    pending = [root]
    while pending:
        for name, child in (_subcommands(pending.pop()) or {}).items():
            names.add(str(name))
            pending.append(child)
    return frozenset(names)


def command_path(root: object, args: Sequence[str]) -> CommandPath:
    """The command and subcommand ``args`` name, walking archon's command tree and skipping options.

    Walking stops at the first word that is not a command of the current group, so arguments (workflow names,
    option values) are never taken for commands; an unknown word itself is reported as ``user-defined``.
    """
    known = command_vocabulary(root)
    names: list[SafeName] = []
    group = _subcommands(root)
    for arg in args:
        if arg == "--" or len(names) == 2 or group is None:
            break
        if arg.startswith("-"):
            continue
        child = group.get(arg)
        if child is None:  # not a command of this group: an argument or a typo, never reported as typed
            names.append(SafeName(USER_DEFINED))
            break
        names.append(command_name(arg, known))
        group = _subcommands(child)
    names += [NO_NAME] * (2 - len(names))
    return CommandPath(command=names[0], subcommand=names[1])

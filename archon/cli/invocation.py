"""Which archon command a command line names, as telemetry may report it.

The vocabulary is the set of command names registered on the Typer app (read from its click command tree), so
it can never drift from the real commands, and the path is the one the parser dispatches to (read from the parser
itself, never re-derived from the words). Anything else on the command line (a workflow name, an option value, a
typo) is never reported: it becomes ``user-defined``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archon.telemetry.vocabulary import NO_NAME, USER_DEFINED, SafeName, command_name
from archon.value import Value

__all__ = ["CommandPath", "command_path", "command_vocabulary"]


class CommandPath(Value):
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


def command_path(root: Any, args: Sequence[str]) -> CommandPath:
    """The command and subcommand the parser dispatches ``args`` to, as telemetry may name them.

    Resolved by the parser itself, the way its shell completion resolves a command line (``make_context`` with
    resilient parsing, then ``resolve_command`` level by level; archon's one option callback, ``--version``,
    does nothing while parsing is resilient, and no command runs), so the path is what really runs: ``archon --
    telemetry status`` runs ``telemetry status``, and is named so. Words the parser does not dispatch (workflow
    names, option values) are never taken for commands; an unknown command is reported as ``user-defined``, and
    a command line the parser cannot read at all as no command.
    """
    names: list[SafeName] = []
    try:
        with root.make_context("archon", list(args), resilient_parsing=True) as context:
            ctx = context
            rest = [*ctx._protected_args, *ctx.args]
            while rest and len(names) < 2 and (group := _Group.of(ctx.command)) is not None:
                _name, command, rest = ctx.command.resolve_command(ctx, rest)
                if command is None:  # not a command of this group: never reported as typed
                    names.append(SafeName(USER_DEFINED))
                    break
                names.append(command_name(str(command.name), group.names()))
                if _Group.of(command) is None or len(names) == 2:  # a command, not a group: nothing more to name
                    break
                ctx = command.make_context(command.name, rest, parent=ctx, resilient_parsing=True)
                rest = [*ctx._protected_args, *ctx.args]
    except Exception:  # the parser refuses the command line: it runs nothing either, and says why
        names = []
    names += [NO_NAME] * (2 - len(names))
    return CommandPath(command=names[0], subcommand=names[1])

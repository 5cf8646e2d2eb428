"""A command group whose subcommands are imported only when they are named (click's lazy-loading pattern).

Typer builds the click command of every registered command and group at start-up, from each function's
signature, and that was most of what ``archon version`` cost beyond importing typer (measured: ~5 ms of a ~14 ms
difference). The root group therefore names its command groups by module instead, and imports and builds a group
the first time the parser asks for it: ``archon version`` builds one command, ``archon workflow run`` two, and
``archon --help`` (which lists them all) every one.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import ClassVar

import typer.core
import typer.main
from typer import _click

__all__ = ["LazyGroup"]


class LazyGroup(typer.core.TyperGroup):
    """A TyperGroup with :attr:`lazy_subcommands`: ``{name: "module:attribute"}`` of Typer apps, loaded on use."""

    lazy_subcommands: ClassVar[Mapping[str, str]] = {}

    def list_commands(self, ctx: _click.Context) -> list[str]:
        loaded = super().list_commands(ctx)
        return loaded + [name for name in self.lazy_subcommands if name not in loaded]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_subcommands:
            self.commands[cmd_name] = self._load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, name: str) -> _click.Command:
        module_name, _, attribute = self.lazy_subcommands[name].partition(":")
        sub_app = getattr(importlib.import_module(module_name), attribute)
        command = typer.main.get_command(sub_app)
        command.name = name
        return command

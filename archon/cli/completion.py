"""``archon completion bash|zsh|fish``: print the shell completion script, and answer the shell's completion
requests.

The scripts are Typer's own (``typer.completion``, which ``import typer`` loads anyway): each TAB press runs
``archon`` with ``_ARCHON_COMPLETE`` set and the words typed so far in the environment. Such a run is not an archon
command: :func:`answer` handles it before anything else, so a TAB press never prints the first-run notice, never
records telemetry and never writes a file.

Two of the names come from Typer's private modules, where they are defined (``typer.completion`` uses them without
re-exporting them); pyproject.toml pins typer below 0.29, and tests/cli/test_completion.py drives the real scripts
in real shells, so a move inside Typer fails a test.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated

import typer
import typer.main
from typer._completion_classes import completion_init
from typer._completion_shared import get_completion_script
from typer.completion import shell_complete

from archon.runtime import ENV_ARCHON_COMPLETE

__all__ = ["COMPLETE_VAR", "PROG_NAME", "Shell", "answer", "app", "completion"]

PROG_NAME = "archon"
COMPLETE_VAR = ENV_ARCHON_COMPLETE  # the variable Typer's scripts set: `_{PROG_NAME}_COMPLETE`, upper case


# Typer's zsh script only defines the completer and registers it. Saved in $fpath as _archon (the `#compdef` way
# README gives), zsh runs the file as the body of _archon on the first TAB, which then completes nothing; this
# trailer completes that first TAB too (as cobra's zsh scripts do). Sourced, it does nothing.
ZSH_AUTOLOAD = """
if [ "$funcstack[1]" = "_archon" ]; then
  _archon_completion "$@"
fi
"""


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def answer(app: typer.Typer, env: Mapping[str, str]) -> int:
    """Print the completions of ``app`` for the words the shell passed; return the exit code the shell expects."""
    completion_init()  # Typer's bash/zsh/fish formats, which its scripts parse (add_completion=False skips this)
    try:
        return shell_complete(typer.main.get_command(app), {}, PROG_NAME, COMPLETE_VAR, env[COMPLETE_VAR])
    except SystemExit as exc:  # fish asks "are there candidates?" and is answered by the exit code
        return exc.code if isinstance(exc.code, int) else 1


def completion(
    shell: Annotated[
        Shell, typer.Argument(help="The shell to print the script for.", metavar="SHELL", show_default=False)
    ],
) -> None:
    """Print the completion script for bash, zsh or fish. To enable it, save it where your shell looks:

    bash: archon completion bash > ~/.local/share/bash-completion/completions/archon

    zsh: archon completion zsh > ~/.zfunc/_archon, with fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc

    fish: archon completion fish > ~/.config/fish/completions/archon.fish
    """
    script = get_completion_script(prog_name=PROG_NAME, complete_var=COMPLETE_VAR, shell=shell.value)
    typer.echo(script + (ZSH_AUTOLOAD if shell is Shell.zsh else ""))


app = typer.Typer(add_completion=False)
"""A one-command app, so the root can load it on use (:mod:`archon.cli.lazy_group`)."""
app.command("completion")(completion)

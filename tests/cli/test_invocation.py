"""Which command a command line names, as telemetry reports it: archon's own names only."""

from __future__ import annotations

import pytest
import typer.main

from archon.cli.app import app
from archon.cli.invocation import command_path, command_vocabulary


@pytest.fixture(scope="module")
def root() -> object:
    return typer.main.get_command(app)


def test_vocabulary_is_the_registered_commands(root: object) -> None:
    vocabulary = command_vocabulary(root)
    assert {"telemetry", "on", "off", "status", "inspect", "clear", "policy", "version", "workflow"} <= vocabulary


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ("", "")),
        (["--version"], ("", "")),
        (["-h"], ("", "")),
        (["version"], ("version", "")),
        (["telemetry", "status", "--json"], ("telemetry", "status")),
        (["telemetry", "--help"], ("telemetry", "")),
        (["telemetry", "nonsense"], ("telemetry", "user-defined")),
        (["telemetry"], ("telemetry", "")),
        (["my-secret-command"], ("user-defined", "")),
        (["/home/alice/secret"], ("user-defined", "")),
        (["status"], ("user-defined", "")),  # a subcommand name is not a root command
        # What the parser dispatches, `--` or not: `archon -- telemetry status` runs `telemetry status`.
        (["--", "telemetry"], ("telemetry", "")),
        (["--", "telemetry", "status"], ("telemetry", "status")),
        (["telemetry", "--", "inspect"], ("telemetry", "inspect")),
        (["workflow", "run", "my-flow", "--input", "token=abc"], ("workflow", "run")),
        (["workflow", "run", "--", "status"], ("workflow", "run")),
        (["--no-such-option", "version"], ("", "")),  # the parser refuses it: nothing runs
        (["version", "telemetry"], ("version", "")),  # a command that is not a group takes no subcommand
    ],
)
def test_command_path(root: object, args: list[str], expected: tuple[str, str]) -> None:
    path = command_path(root, args)
    assert (path.command, path.subcommand) == expected


def test_arguments_after_the_subcommand_are_never_taken(root: object) -> None:
    path = command_path(root, ["workflow", "run", "deploy-prod", "--input", "token=ghp_secret"])
    assert path.command == "workflow"
    assert path.subcommand in ("run", "user-defined")
    assert "deploy" not in repr(path)


def test_is_matches_command_and_subcommands(root: object) -> None:
    path = command_path(root, ["telemetry", "off"])
    assert path.is_("telemetry", "on", "off")
    assert path.is_("telemetry")
    assert not path.is_("telemetry", "on")
    assert not path.is_("workflow")

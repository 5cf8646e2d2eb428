"""docs/cli.md is generated from the Typer app; the committed page must match what the commands say today."""

from __future__ import annotations

import typer.main

from archon.cli.app import app
from archon.cli.invocation import command_vocabulary
from build_tools.cli_docs import CLI_HEADER, render_cli_page
from tests.support.artefacts import REPO_ROOT


def test_committed_cli_page_is_current() -> None:
    committed = (REPO_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == render_cli_page(), "docs/cli.md is stale: run `python -m build_tools.docs`"


def test_every_command_has_a_section() -> None:
    page = render_cli_page()
    assert page.splitlines()[0] == CLI_HEADER
    for name in command_vocabulary(typer.main.get_command(app)):
        assert f" {name}`\n" in page, name
    for path in ("archon telemetry status", "archon telemetry inspect", "archon workflow run"):
        assert f"`{path}`" in page
    assert "`--json`" in page

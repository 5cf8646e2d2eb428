"""``archon setup``: detection on the runtime's PATH, a question only on a terminal, config kept intact."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from archon.cli.app import app
from archon.cli.context import Application
from archon.config import read_config
from archon.errors import ConfigError, UsageError
from archon.runtime import Runtime
from archon.telemetry.schema import SetupCompleted
from tests.support.workflow_fakes import RecordingSink, fake_provider


class Setup:
    def __init__(self, home: Path, tmp_path: Path) -> None:
        self.home = home
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        self.cwd = tmp_path
        self.sink = RecordingSink()

    def install(self, *names: str) -> None:
        for name in names:
            fake_provider(self.bin, name, "echo")

    def __call__(self, *args: str, tty: bool = False, answer: str | None = None) -> Result:
        runtime = Runtime(env={"PATH": str(self.bin)}, home=self.home, cwd=self.cwd, stdin_is_tty=tty)
        application = Application(runtime=runtime, telemetry=self.sink)
        return CliRunner().invoke(app, ["setup", *args], obj=application, input=answer)

    def saved(self) -> object:
        return read_config(self.home / "config.yaml").get("defaultAssistant")


@pytest.fixture
def setup(isolation: Path, tmp_path: Path) -> Setup:
    return Setup(isolation, tmp_path)


def test_flags_choose_without_asking_and_keep_the_rest_of_the_config(setup: Setup) -> None:
    setup.home.mkdir(parents=True, exist_ok=True)
    config = setup.home / "config.yaml"
    config.write_text("# my settings\ntelemetry:\n  enabled: false  # not now\ndefaultAssistant: claude\n")
    setup.install("codex")
    result = setup("--assistant", "codex", "--yes", tty=True)
    assert result.exit_code == 0, result.output
    assert setup.saved() == "codex"
    text = config.read_text()
    assert "# my settings" in text
    assert "enabled: false  # not now" in text
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    assert setup.sink.events == [SetupCompleted(install_method="source", default_assistant="codex")]


def test_without_a_terminal_the_only_installed_cli_is_chosen(setup: Setup) -> None:
    setup.install("codex")
    result = setup()
    assert result.exit_code == 0, result.output
    assert setup.saved() == "codex"
    assert "codex (the only one installed)" in result.stdout


def test_without_a_terminal_the_first_of_several_is_chosen(setup: Setup) -> None:
    setup.install("claude", "codex")
    assert setup().exit_code == 0
    assert setup.saved() == "claude"


def test_without_a_terminal_and_nothing_installed_it_fails_clearly(setup: Setup) -> None:
    result = setup()
    assert isinstance(result.exception, UsageError)
    assert "pass --assistant claude|codex" in result.exception.message
    assert not (setup.home / "config.yaml").exists()
    assert setup.sink.events == []


def test_on_a_terminal_it_asks(setup: Setup) -> None:
    setup.install("claude", "codex")
    result = setup(tty=True, answer="codex\n")
    assert result.exit_code == 0, result.output
    assert "Default assistant" in result.stderr
    assert setup.saved() == "codex"


def test_on_a_terminal_an_unknown_answer_is_asked_again(setup: Setup) -> None:
    setup.install("claude", "codex")
    result = setup(tty=True, answer="gpt\n\n")  # then Enter takes the default: the first installed
    assert result.exit_code == 0, result.output
    assert "Default assistant (claude, codex) [claude]:" in result.stderr
    assert "Error: unknown assistant 'gpt'; choose one of: claude, codex" in result.stderr
    assert result.stderr.count("Default assistant (claude, codex)") == 2
    assert setup.saved() == "claude"


def test_yes_never_asks_even_on_a_terminal(setup: Setup) -> None:
    setup.install("codex")
    result = setup("--yes", tty=True)  # no input given: a question would abort
    assert result.exit_code == 0, result.output
    assert setup.saved() == "codex"


def test_an_uninstalled_assistant_can_be_chosen_with_a_warning(setup: Setup) -> None:
    result = setup("--assistant", "claude")
    assert result.exit_code == 0, result.output
    assert "warning: the claude CLI is not installed" in result.stderr
    assert setup.saved() == "claude"


def test_an_unknown_assistant_is_refused(setup: Setup) -> None:
    result = setup("--assistant", "gpt")
    assert result.exit_code == 2
    assert setup.sink.events == []


def test_a_malformed_config_is_never_overwritten(setup: Setup) -> None:
    setup.home.mkdir(parents=True, exist_ok=True)
    config = setup.home / "config.yaml"
    config.write_text("telemetry: [unclosed\n")
    result = setup("--assistant", "codex")
    assert isinstance(result.exception, ConfigError)
    assert config.read_text() == "telemetry: [unclosed\n"
    assert setup.sink.events == []

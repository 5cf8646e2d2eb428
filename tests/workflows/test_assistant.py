from __future__ import annotations

from pathlib import Path

from archon.config import ConfigState
from archon.workflows.assistant import choose_assistant


def test_the_assistant_is_the_workflows_then_the_configs_then_claude(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    configured = ConfigState(path=path, exists=True, data={"defaultAssistant": "codex"})
    assert choose_assistant("claude", configured).provider == "claude"
    assert (choose_assistant(None, configured).provider, choose_assistant(None, configured).fallback) == ("codex", None)
    empty = ConfigState(path=path, exists=False)
    assert (choose_assistant(None, empty).provider, choose_assistant(None, empty).fallback) == ("claude", None)


def test_a_config_that_cannot_say_falls_back_to_claude_and_says_why_as_data(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    weird = choose_assistant(None, ConfigState(path=path, exists=True, data={"defaultAssistant": "gpt"}))
    assert (weird.provider, weird.fallback) == ("claude", "unknown-assistant")
    broken = choose_assistant(None, ConfigState(path=path, exists=True, problem="invalid-yaml"))
    assert (broken.provider, broken.fallback) == ("claude", "unreadable-config")

from __future__ import annotations

from pathlib import Path

import pytest

from archon.workflows.clis import ASSISTANT_CLIS, assistant_cli
from archon.workflows.errors import ProviderNotFoundError
from archon.workflows.providers import (
    PROVIDER_NAMES,
    ProviderName,
    detect_providers,
    find_provider_binary,
    require_provider_binary,
)
from tests.support.workflow_fakes import fake_provider


def test_detection_uses_the_given_path_and_overrides(tmp_path: Path) -> None:
    claude = fake_provider(tmp_path / "bin", "claude", "echo")
    codex = fake_provider(tmp_path / "other", "codex-nightly", "echo")
    env = {"PATH": str(tmp_path / "bin"), "ARCHON_CODEX_BIN": str(codex)}
    assert detect_providers(env=env) == {"claude": str(claude), "codex": str(codex)}
    assert detect_providers(env={"PATH": str(tmp_path / "nothing")}) == {}
    assert find_provider_binary("claude", env={"PATH": str(tmp_path / "bin"), "ARCHON_CLAUDE_BIN": "  "}) == str(claude)


def test_a_missing_cli_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProviderNotFoundError, match=r"claude CLI \('claude'\) was not found on PATH"):
        require_provider_binary("claude", env={"PATH": str(tmp_path)})
    with pytest.raises(ProviderNotFoundError, match="ARCHON_CODEX_BIN="):
        require_provider_binary("codex", env={"PATH": str(tmp_path), "ARCHON_CODEX_BIN": str(tmp_path / "nope")})


def test_every_provider_name_has_a_cli_module_and_back() -> None:
    """ProviderName (the config and telemetry vocabulary) and the CLI registry name the same CLIs, in order."""
    assert tuple(ASSISTANT_CLIS) == PROVIDER_NAMES


@pytest.mark.parametrize("name", PROVIDER_NAMES)
def test_each_cli_module_names_its_binary_and_override(name: ProviderName) -> None:
    cli = assistant_cli(name)
    assert (cli.name, cli.default_binary, cli.env_override) == (name, name, f"ARCHON_{name.upper()}_BIN")

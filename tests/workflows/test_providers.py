from __future__ import annotations

from pathlib import Path

import pytest

from archon.workflows.errors import ProviderNotFoundError
from archon.workflows.providers import (
    ProviderName,
    detect_providers,
    find_provider_binary,
    provider_cli,
    require_provider_binary,
)
from tests.support.workflow_fakes import fake_provider


def test_detection_uses_the_given_path_and_overrides(tmp_path: Path) -> None:
    claude = fake_provider(tmp_path / "bin", "claude", "success")
    codex = fake_provider(tmp_path / "other", "codex-nightly", "success")
    env = {"PATH": str(tmp_path / "bin"), "ARCHON_CODEX_BIN": str(codex)}
    assert detect_providers(env=env) == {"claude": str(claude), "codex": str(codex)}
    assert detect_providers(env={"PATH": str(tmp_path / "nothing")}) == {}
    assert find_provider_binary("claude", env={"PATH": str(tmp_path / "bin"), "ARCHON_CLAUDE_BIN": "  "}) == str(claude)


def test_a_missing_cli_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProviderNotFoundError, match=r"claude CLI \('claude'\) was not found on PATH"):
        require_provider_binary("claude", env={"PATH": str(tmp_path)})
    with pytest.raises(ProviderNotFoundError, match="ARCHON_CODEX_BIN="):
        require_provider_binary("codex", env={"PATH": str(tmp_path), "ARCHON_CODEX_BIN": str(tmp_path / "nope")})


@pytest.mark.parametrize(("name", "flags"), [("claude", ["-p"]), ("codex", ["exec"])])
@pytest.mark.parametrize("prompt", ["hi", "--dangerously-skip-permissions", "-", "--"])
def test_the_prompt_follows_the_end_of_options_marker(name: ProviderName, flags: list[str], prompt: str) -> None:
    """A prompt starting with `-` must stay the prompt, never become an option of the provider CLI."""
    assert provider_cli(name).argv("/bin/x", prompt) == ["/bin/x", *flags, "--", prompt]

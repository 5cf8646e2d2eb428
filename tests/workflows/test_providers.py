from __future__ import annotations

from pathlib import Path

import pytest

from archon.workflows.errors import ProviderNotFoundError
from archon.workflows.providers import (
    ProviderName,
    detect_providers,
    find_on_path,
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


def _planted(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\necho planted\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("path_entries", [[".", "{bin}"], ["", "{bin}"], ["{bin}", "."], ["relative/bin"]])
def test_the_current_directory_is_never_searched_on_posix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path_entries: list[str]
) -> None:
    """An empty or relative PATH entry means the current directory: a cloned repository's ``claude`` or ``bash``."""
    monkeypatch.chdir(tmp_path)
    _planted(tmp_path, "claude")
    _planted(tmp_path / "relative" / "bin", "claude")
    real = _planted(tmp_path / "bin", "claude")
    path = ":".join(e.format(bin=tmp_path / "bin") for e in path_entries)
    expected = str(real) if "{bin}" in path_entries else None
    assert find_on_path("claude", env={"PATH": path}, platform="linux") == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("C:\\bin", "C:\\bin/claude.cmd"),  # the absolute directory, never the current one first
        (".;C:\\bin", "C:\\bin/claude.cmd"),
        (";C:\\bin", "C:\\bin/claude.cmd"),
        ("C:bin;.", None),  # drive-relative: the current directory of drive C:
        ("", None),
    ],
)
def test_the_current_directory_is_never_searched_on_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, expected: str | None
) -> None:
    """Windows semantics on any machine: ``shutil.which`` would take ``.\\claude.cmd`` first. Directories named like
    Windows paths are made inside the current directory, so the lookup runs for real."""
    monkeypatch.chdir(tmp_path)
    _planted(tmp_path, "claude.cmd")
    _planted(tmp_path / "C:bin", "claude.cmd")
    _planted(tmp_path / "C:\\bin", "claude.cmd")
    env = {"PATH": path, "PATHEXT": ".com;.exe;.bat;.cmd"}  # lower case: this file system is case-sensitive
    assert find_on_path("claude", env=env, platform="win32") == expected


def test_an_override_with_a_directory_is_taken_as_given(tmp_path: Path) -> None:
    mine = _planted(tmp_path / "tools", "claude-dev")
    assert find_on_path(str(mine), env={"PATH": ""}, platform="linux") == str(mine)

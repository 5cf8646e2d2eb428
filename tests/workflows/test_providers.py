from __future__ import annotations

from pathlib import Path

import pytest

from archon.workflows.clis import ASSISTANT_CLIS, assistant_cli
from archon.workflows.errors import ProviderNotFoundError
from archon.workflows.providers import (
    PROVIDER_NAMES,
    ProviderName,
    detect_providers,
    find_on_path,
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

"""config.yaml: reading never raises and never trusts; writing keeps the user's keys and comments, and never goes
through a symlink or into a directory someone else controls."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from archon.config import (
    CONFIG_SIZE_LIMIT,
    REMOVE,
    read_config,
    set_config_value,
    set_config_values,
)
from archon.errors import ConfigError

if TYPE_CHECKING:
    from archon.config import ConfigProblem

USER_CONFIG = """\
# my archon settings
defaultAssistant: codex   # the one I pay for
telemetry:
  # decided after reading docs/telemetry.md
  enabled: false
extra:
  - one
  - two
"""


def test_missing_file_is_an_empty_config(tmp_path: Path) -> None:
    state = read_config(tmp_path / "config.yaml")
    assert (state.exists, state.problem, dict(state.data)) == (False, None, {})
    assert state.get("telemetry", "enabled") is None


@pytest.mark.parametrize(
    ("content", "problem", "text"),
    [
        (b"telemetry: [unclosed", "invalid-yaml", "not valid YAML"),
        (b"\xff\xfe\x00garbage", "not-utf-8", "not valid UTF-8"),
        (b"- a\n- list\n", "not-a-mapping", "must hold a mapping"),
    ],
)
def test_unusable_files_are_reported_not_raised(
    tmp_path: Path, content: bytes, problem: ConfigProblem, text: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(content)
    state = read_config(path)
    assert state.problem == problem
    assert text in (state.describe_problem() or "")
    assert dict(state.data) == {}
    assert state.get("telemetry", "enabled") is None


@pytest.mark.parametrize("kind", ["directory", "fifo", "symlink-to-dev-zero", "symlink-to-a-good-file", "too-large"])
def test_only_a_small_regular_file_is_read(tmp_path: Path, kind: str) -> None:
    """A FIFO would block the open, /dev/zero never ends, megabytes of YAML take seconds: none is read."""
    path = tmp_path / "config.yaml"
    good = tmp_path / "good.yaml"
    good.write_text("telemetry:\n  enabled: true\n", encoding="utf-8")
    expected = {
        "directory": "not-a-regular-file",
        "fifo": "not-a-regular-file",
        "symlink-to-dev-zero": "symlink",
        "symlink-to-a-good-file": "symlink",
        "too-large": "too-large",
    }[kind]
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink-to-dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "symlink-to-a-good-file":
        path.symlink_to(good)
    else:
        path.write_bytes(good.read_bytes() + b"#" * CONFIG_SIZE_LIMIT)
    state = read_config(path)
    assert (state.exists, state.problem) == (True, expected)
    assert state.get("telemetry", "enabled") is None


def test_a_file_exactly_at_the_size_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    head = b"telemetry:\n  enabled: true\n#"
    path.write_bytes(head + b"x" * (CONFIG_SIZE_LIMIT - len(head)))
    assert read_config(path).get("telemetry", "enabled") is True


def test_set_keeps_other_keys_comments_and_order(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(USER_CONFIG, encoding="utf-8")
    set_config_value(path, ("telemetry", "enabled"), True)
    assert path.read_text(encoding="utf-8") == USER_CONFIG.replace("enabled: false", "enabled: true")
    assert read_config(path).get("telemetry", "enabled") is True


def test_set_creates_the_file_private_and_nested_keys(tmp_path: Path) -> None:
    path = tmp_path / "home" / "config.yaml"
    set_config_value(path, ("telemetry", "enabled"), False)
    assert read_config(path).get("telemetry", "enabled") is False
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_set_replaces_a_scalar_where_a_mapping_is_needed(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("telemetry: yes please\nkeep: 1\n", encoding="utf-8")
    set_config_value(path, ("telemetry", "enabled"), True)
    state = read_config(path)
    assert state.get("telemetry", "enabled") is True
    assert state.get("keep") == 1


def test_set_refuses_to_overwrite_a_file_it_cannot_parse(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"telemetry: [unclosed\n# precious notes\n")
    with pytest.raises(ConfigError, match="fix or remove it"):
        set_config_value(path, ("telemetry", "enabled"), True)
    assert path.read_bytes() == b"telemetry: [unclosed\n# precious notes\n"


def test_set_never_writes_through_a_symlink(tmp_path: Path) -> None:
    """Writing through it would rewrite (and re-mode) a file elsewhere, chosen by whoever made the link."""
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "archon.yaml"
    real.write_text(USER_CONFIG, encoding="utf-8")
    real.chmod(0o644)
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    link = home / "config.yaml"
    link.symlink_to(real)
    with pytest.raises(ConfigError, match="symbolic link"):
        set_config_value(link, ("telemetry", "enabled"), True)
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == USER_CONFIG
    assert stat.S_IMODE(real.stat().st_mode) == 0o644


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702])
def test_set_never_writes_into_a_directory_others_may_write(tmp_path: Path, mode: int) -> None:
    home = tmp_path / "shared"
    home.mkdir()
    home.chmod(mode)
    with pytest.raises(ConfigError, match="writable by other users"):
        set_config_value(home / "config.yaml", ("telemetry", "enabled"), True)
    assert list(home.iterdir()) == []


def test_set_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "config.yaml"
    for value in (True, False, True):
        set_config_value(path, ("telemetry", "enabled"), value)
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.yaml"]


def test_several_keys_in_one_write_and_a_removal_keep_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(USER_CONFIG, encoding="utf-8")
    set_config_values(path, {("telemetry", "enabled"): False, ("telemetry", "local_only"): True})
    local = path.read_text(encoding="utf-8")
    assert local == USER_CONFIG.replace("enabled: false\n", "enabled: false\n  local_only: true\n")
    set_config_values(path, {("telemetry", "enabled"): True, ("telemetry", "local_only"): REMOVE})
    assert path.read_text(encoding="utf-8") == USER_CONFIG.replace("enabled: false", "enabled: true")
    set_config_values(path, {("nothing", "here"): REMOVE})  # removing what is absent creates nothing
    assert read_config(path).get("nothing") is None

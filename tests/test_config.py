"""config.yaml: reading never raises and never trusts; writing keeps the user's keys, comments and symlinks."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from archon.config import ConfigProblem, read_config, set_config_value
from archon.errors import ConfigError

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
        (b"telemetry: [unclosed", ConfigProblem.INVALID_YAML, "not valid YAML"),
        (b"\xff\xfe\x00garbage", ConfigProblem.NOT_UTF8, "not valid UTF-8"),
        (b"- a\n- list\n", ConfigProblem.NOT_A_MAPPING, "must hold a mapping"),
    ],
)
def test_unusable_files_are_reported_not_raised(
    tmp_path: Path, content: bytes, problem: ConfigProblem, text: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(content)
    state = read_config(path)
    assert state.problem is problem
    assert text in (state.describe_problem() or "")
    assert dict(state.data) == {}
    assert state.get("telemetry", "enabled") is None


def test_a_directory_in_place_of_the_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").mkdir()
    state = read_config(tmp_path / "config.yaml")
    assert state.problem is ConfigProblem.UNREADABLE
    assert state.detail


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


def test_set_through_a_symlink_updates_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "archon.yaml"
    real.write_text(USER_CONFIG, encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    link = home / "config.yaml"
    link.symlink_to(real)
    set_config_value(link, ("telemetry", "enabled"), True)
    assert link.is_symlink()
    assert read_config(real).get("telemetry", "enabled") is True
    assert "# the one I pay for" in real.read_text(encoding="utf-8")


def test_set_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "config.yaml"
    for value in (True, False, True):
        set_config_value(path, ("telemetry", "enabled"), value)
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.yaml"]

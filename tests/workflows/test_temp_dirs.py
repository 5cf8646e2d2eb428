"""Each assistant node's private temporary directory: where it is made, who may use it, and that it goes away."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

from archon.paths import ArchonPaths
from archon.workflows.temp_dirs import node_temp_dir, run_temp_root


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def system_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where ``tempfile`` makes directories in this test (the fallback), instead of the machine's /tmp."""
    where = tmp_path / "system-temp"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def test_a_run_and_its_nodes_get_private_directories_under_the_archon_home(
    paths: ArchonPaths, tmp_path: Path, system_temp: Path
) -> None:
    with run_temp_root(paths, workspace=tmp_path / "work") as root:
        assert root.parent == paths.tmp
        assert (_mode(paths.tmp), _mode(root)) == (0o700, 0o700)
        with node_temp_dir(root, "implement") as node:
            assert node.parent == root
            assert node.name.startswith("implement-")
            assert _mode(node) == 0o700
            (node / "scratch.txt").write_text("x", encoding="utf-8")
        assert not node.exists()
    assert not root.exists()
    assert list(system_temp.iterdir()) == []


def test_everything_is_removed_even_when_the_node_fails_and_left_read_only_directories(
    paths: ArchonPaths, tmp_path: Path
) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me", encoding="utf-8")
    made: list[Path] = []

    def failing_node(root: Path) -> None:
        with node_temp_dir(root, "a") as node:
            made.append(node)
            locked = node / "locked"
            (locked / "inner").mkdir(parents=True)
            (locked / "inner" / "f").write_text("x", encoding="utf-8")
            (locked / "inner").chmod(0o500)
            locked.chmod(0o500)
            (node / "link").symlink_to(outside)
            (node / "dirlink").symlink_to(tmp_path, target_is_directory=True)
            raise RuntimeError("the node failed")

    with run_temp_root(paths, workspace=tmp_path / "work") as root:
        with pytest.raises(RuntimeError, match="the node failed"):
            failing_node(root)
        assert not made[0].exists()
        leftover = root / "left-by-a-daemon"
        leftover.mkdir()
    assert not root.exists()
    assert outside.read_text(encoding="utf-8") == "keep me"  # a link inside is removed, never followed


@pytest.mark.parametrize("why", ["writable-by-others", "inside-the-workspace", "a-link"])
def test_a_home_that_cannot_hold_it_gives_a_private_directory_in_the_system_temp_dir(
    tmp_path: Path, system_temp: Path, why: str
) -> None:
    home = tmp_path / "archon-home"
    workspace = tmp_path / "work"
    if why == "writable-by-others":
        home.mkdir()
        home.chmod(0o777)
    elif why == "inside-the-workspace":
        home = workspace / ".archon-home"
    else:
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir(mode=0o700)
        home.mkdir(mode=0o700)
        (home / "tmp").symlink_to(elsewhere, target_is_directory=True)
    with run_temp_root(ArchonPaths(home), workspace=workspace) as root:
        assert root.parent == system_temp
        assert root.name.startswith("archon-")
        assert _mode(root) == 0o700
    assert not root.exists()
    assert not (workspace / ".archon-home").exists()


def test_without_a_home_it_is_in_the_system_temp_dir(tmp_path: Path, system_temp: Path) -> None:
    with run_temp_root(None, workspace=tmp_path) as root:
        assert root.parent == system_temp
        assert os.access(root, os.W_OK)
    assert not root.exists()

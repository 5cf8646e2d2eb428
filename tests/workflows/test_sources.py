"""The trust rule for workflow sources: which directories the walk accepts, where it stops, and why a source is
skipped (as data; tests/cli words it). Directories of another user are made with ``chown`` (root only); world- and
group-writable ones with ``chmod``; Windows is simulated with ``SourceTrust(None, windows=True)``. Each walk is
given the test's directory as the user's home, so a ``/tmp/.git`` or ``/tmp/.archon`` someone left on the machine
(this suite has met one) does not change what it finds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archon.ownership import Owner
from archon.paths import ArchonPaths
from archon.workflows.sources import SkippedSource, SkipReason, SourceTrust, find_repo_root, workflow_sources
from tests.support.ownership import give_away

pytestmark = pytest.mark.skipif(os.name != "posix", reason="owners and mode bits are POSIX's")


def _me(private_gid: int | None = None) -> SourceTrust:
    return SourceTrust(Owner(os.geteuid(), private_gid))


def _repo(root: Path, marker: str = ".archon") -> Path:
    (root / marker).mkdir(parents=True, exist_ok=True)
    (root / ".archon" / "workflows").mkdir(parents=True, exist_ok=True)
    return root


def _base(tmp_path: Path) -> Path:
    base = tmp_path / "base"
    base.mkdir(mode=0o755)
    base.chmod(0o755)
    return base


def test_ones_own_repository_is_found(tmp_path: Path) -> None:
    repo = _repo(_base(tmp_path) / "repo", ".git")
    (repo / "src").mkdir()
    assert find_repo_root(repo / "src", trust=_me(), user_home=tmp_path).root == repo


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o773])
def test_a_repository_others_may_write_is_skipped_and_says_why(tmp_path: Path, mode: int) -> None:
    """The issue's attack: a sticky world-writable S with S/.archon/workflows, run from S/scratch (one's own)."""
    shared = _repo(_base(tmp_path) / "S")
    shared.chmod(mode)
    scratch = shared / "scratch"
    scratch.mkdir(mode=0o755)
    search = find_repo_root(scratch, trust=_me(), user_home=tmp_path)
    assert search.root is None
    assert search.skipped == SkippedSource("repo", shared, shared, SkipReason.WRITABLE_BY_OTHERS)


def test_a_repository_of_another_user_is_skipped(tmp_path: Path) -> None:
    repo = _repo(_base(tmp_path) / "theirs", ".git")
    give_away(repo)
    search = find_repo_root(repo, trust=_me(), user_home=tmp_path)
    assert search == (None, SkippedSource("repo", repo, repo, SkipReason.NOT_OWNED))


def test_the_walk_stops_at_a_directory_others_may_write_even_without_a_repository_there(tmp_path: Path) -> None:
    """A 0777 folder between the working directory and the repository: the repository is reported, not read."""
    repo = _repo(_base(tmp_path) / "repo", ".git")
    build = repo / "build"
    build.mkdir()
    build.chmod(0o777)
    (build / "out").mkdir(mode=0o755)
    search = find_repo_root(build / "out", trust=_me(), user_home=tmp_path)
    assert search == (None, SkippedSource("repo", repo, build, SkipReason.WRITABLE_BY_OTHERS))


def test_the_walk_stops_silently_where_there_is_nothing_to_lose(tmp_path: Path) -> None:
    shared = _base(tmp_path) / "S"
    shared.mkdir()
    shared.chmod(0o1777)
    (shared / "scratch").mkdir(mode=0o755)
    assert find_repo_root(shared / "scratch", trust=_me(), user_home=tmp_path) == (None, None)


def test_the_walk_stops_at_the_users_home(tmp_path: Path) -> None:
    above = _repo(_base(tmp_path), ".git")  # a repository above the home is not the user's project
    home = above / "home"
    (home / "notes").mkdir(parents=True)
    assert find_repo_root(home / "notes", trust=_me(), user_home=home) == (None, None)
    assert find_repo_root(home / "notes", trust=_me(), user_home=tmp_path).root == above


def test_group_writable_is_trusted_only_for_the_users_private_group(tmp_path: Path) -> None:
    repo = _repo(_base(tmp_path) / "repo", ".git")
    repo.chmod(0o775)
    gid = repo.stat().st_gid
    assert find_repo_root(repo, trust=_me(private_gid=gid), user_home=tmp_path).root == repo
    assert find_repo_root(repo, trust=_me(private_gid=None), user_home=tmp_path).skipped == SkippedSource(
        "repo", repo, repo, SkipReason.WRITABLE_BY_OTHERS
    )


def test_folders_of_the_repository_are_judged_too(isolation: Path, tmp_path: Path) -> None:
    repo = _repo(_base(tmp_path) / "repo", ".git")
    workflows = repo / ".archon" / "workflows"
    (workflows / "commands").mkdir()
    (workflows / "commands").chmod(0o777)
    sources = workflow_sources(paths=ArchonPaths(isolation), cwd=repo, user_home=tmp_path, trust=_me())
    assert [s.directory for s in sources.workflows if s.origin == "repo"] == [workflows]
    assert [s.directory for s in sources.commands if s.origin == "repo"] == []
    assert sources.skipped == [
        SkippedSource("repo", workflows / "commands", workflows / "commands", SkipReason.WRITABLE_BY_OTHERS)
    ]
    workflows.chmod(0o777)
    sources = workflow_sources(paths=ArchonPaths(isolation), cwd=repo, user_home=tmp_path, trust=_me())
    assert [s.origin for s in sources.workflows] == ["bundled", "user"]
    assert SkippedSource("repo", workflows, workflows, SkipReason.WRITABLE_BY_OTHERS) in sources.skipped


def test_an_archon_folder_that_links_out_of_the_repository_is_skipped(isolation: Path, tmp_path: Path) -> None:
    base = _base(tmp_path)
    elsewhere = base / "elsewhere"
    (elsewhere / "workflows").mkdir(parents=True)
    repo = base / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".archon").symlink_to(elsewhere, target_is_directory=True)
    sources = workflow_sources(paths=ArchonPaths(isolation), cwd=repo, user_home=tmp_path, trust=_me())
    assert [s.origin for s in sources.workflows] == ["bundled", "user"]
    assert sources.skipped[0].reason == SkipReason.LINK_LEAVES_REPO


def test_an_archon_folder_that_links_inside_the_repository_is_followed(isolation: Path, tmp_path: Path) -> None:
    repo = _base(tmp_path) / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "config" / "archon" / "workflows").mkdir(parents=True)
    (repo / ".archon").symlink_to(repo / "config" / "archon", target_is_directory=True)
    sources = workflow_sources(paths=ArchonPaths(isolation), cwd=repo, user_home=tmp_path, trust=_me())
    assert [s.origin for s in sources.workflows] == ["bundled", "user", "repo"]
    assert sources.skipped == []


@pytest.mark.parametrize("mode", [0o777, 0o775])
def test_a_user_workflows_directory_others_may_write_is_skipped(tmp_path: Path, mode: int) -> None:
    home = _base(tmp_path) / "archon-home"
    (home / "workflows").mkdir(parents=True)
    home.chmod(0o700)
    (home / "workflows").chmod(mode)
    sources = workflow_sources(paths=ArchonPaths(home), cwd=tmp_path, user_home=tmp_path, trust=_me())
    assert [s.origin for s in sources.workflows] == ["bundled"]
    assert sources.skipped == [
        SkippedSource("user", home / "workflows", home / "workflows", SkipReason.WRITABLE_BY_OTHERS)
    ]


def test_a_user_workflows_directory_may_be_a_link_to_ones_own_dotfiles(tmp_path: Path) -> None:
    base = _base(tmp_path)
    dotfiles = base / "dotfiles" / "archon-workflows"
    dotfiles.mkdir(parents=True)
    home = base / "archon-home"
    home.mkdir(mode=0o700)
    (home / "workflows").symlink_to(dotfiles, target_is_directory=True)
    sources = workflow_sources(paths=ArchonPaths(home), cwd=tmp_path, user_home=tmp_path, trust=_me())
    assert [s.origin for s in sources.workflows] == ["bundled", "user"]
    dotfiles.chmod(0o777)
    sources = workflow_sources(paths=ArchonPaths(home), cwd=tmp_path, user_home=tmp_path, trust=_me())
    assert [s.origin for s in sources.workflows] == ["bundled"]
    assert sources.skipped[0].reason == SkipReason.WRITABLE_BY_OTHERS


def test_windows_never_walks_outside_the_user_profile(tmp_path: Path) -> None:
    """Anyone may create C:\\.archon: with no owner to check, only repositories inside the profile are read."""
    windows = SourceTrust(None, windows=True)
    base = _base(tmp_path)
    outside = _repo(base / "C" / "code" / "project", ".git")
    profile = base / "C" / "Users" / "v"
    _repo(profile / "project", ".git")
    _repo(base / "C")  # the planted C:\.archon
    assert find_repo_root(outside, trust=windows, user_home=profile) == (
        None,
        SkippedSource("repo", outside, outside, SkipReason.OUTSIDE_HOME),
    )
    assert find_repo_root(profile / "project", trust=windows, user_home=profile).root == profile / "project"
    (profile / "scratch").mkdir()
    assert find_repo_root(profile / "scratch", trust=windows, user_home=profile) == (None, None)
    assert find_repo_root(profile / "project", trust=windows, user_home=None).skipped is not None

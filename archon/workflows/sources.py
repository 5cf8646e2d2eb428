"""The directories workflows and commands are read from, in order of precedence (later overrides earlier), and the
trust rule that decides whether a directory may be one of them:

1. the bundled defaults (``archon/workflows/defaults/``, package data),
2. ``~/.archon/workflows/`` (``$ARCHON_HOME/workflows``),
3. ``<repo>/.archon/workflows/``, where ``<repo>`` is the nearest ancestor of the working directory (itself
   included) holding ``.git`` or ``.archon``.

Commands live in a ``commands/`` directory inside each of them.

**The trust rule** (git's ``safe.directory``, CVE-2022-24765, plus the archon home's rule): a directory that
another user owns, or that someone else may write (world-writable, sticky or not; group-writable unless the group
is the user's private one, see :mod:`archon.ownership`), is never a source. The walk up from the working
directory stops at the first such directory and at the user's home; when the directory it stops at holds
``.git`` or ``.archon``, that repository is *skipped* and the caller is told why (:class:`SkippedSource`, data:
the CLI words it). The repository's ``.archon/``, ``.archon/workflows/`` and ``commands/`` are judged the same
way, down from the repository root; one that is a symbolic link may lead only to a directory inside the
repository. ``~/.archon`` and its ``workflows/`` may be symbolic links (a dotfiles checkout) to directories of
the user's own.

On Windows, where Python shows no owner, the walk never leaves the user's profile: a repository outside it is
skipped (:attr:`SkipReason.OUTSIDE_HOME`), since anyone may create ``C:\\.archon``.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import NamedTuple

from archon.ownership import CHECKS_OWNERS, Owner, current_owner, distrust
from archon.paths import ArchonPaths
from archon.workflows.model import Origin

__all__ = [
    "BUNDLED_LABEL",
    "COMMANDS_DIR",
    "RepoSearch",
    "SkipReason",
    "SkippedSource",
    "SourceSet",
    "SourceTrust",
    "WorkflowSource",
    "find_repo_root",
    "workflow_sources",
]

BUNDLED_LABEL = "<bundled>"
COMMANDS_DIR = "commands"


class SkipReason(StrEnum):
    """Why a directory that would have been a source was not used."""

    NOT_OWNED = "not-owned"
    WRITABLE_BY_OTHERS = "writable-by-others"
    NOT_A_DIRECTORY = "not-a-directory"
    LINK_LEAVES_REPO = "link-leaves-repo"
    """``.archon`` or a folder below it is a symbolic link to a directory outside the repository."""
    OUTSIDE_HOME = "outside-home"
    """Windows: a repository outside the user's profile (owners cannot be checked there)."""


@dataclass(frozen=True)
class SkippedSource:
    origin: Origin
    """``user`` or ``repo``."""
    source: Path
    """What would have been read: the repository, or the user's workflows or commands directory."""
    path: Path
    """The directory that failed the rule: ``source`` itself, a folder of it, or one the walk had to pass."""
    reason: SkipReason


class SourceTrust(NamedTuple):
    """Whose directories are trusted, and how to tell."""

    owner: Owner | None
    """None: owners are not checked (Windows)."""
    windows: bool = False

    @classmethod
    def of_this_process(cls) -> SourceTrust:
        if not CHECKS_OWNERS:
            return cls(None, windows=os.name == "nt")
        return cls(current_owner(allow_private_group=True))


@dataclass(frozen=True)
class WorkflowSource:
    origin: Origin
    directory: Traversable | Path
    label: str
    """How messages name the directory: its path, or ``<bundled>``."""
    bound: Path | None = None
    """A file here may be a symbolic link only to a file under this directory (the repository, or the user's
    workflows directory itself); None for the bundled defaults."""


@dataclass(frozen=True)
class SourceSet:
    workflows: list[WorkflowSource]
    commands: list[WorkflowSource]
    skipped: list[SkippedSource]
    trust: SourceTrust


class RepoSearch(NamedTuple):
    root: Path | None
    skipped: SkippedSource | None = None


def _judge(path: Path, trust: SourceTrust) -> SkipReason | None:
    """The rule for one directory, not following a symlink at ``path`` itself."""
    if trust.owner is None:
        return None
    try:
        info = os.lstat(path)
    except OSError:
        return None  # gone or unreadable: nothing will be read from it either
    if not stat.S_ISDIR(info.st_mode):
        return SkipReason.NOT_A_DIRECTORY
    why = distrust(info, trust.owner)
    return None if why is None else SkipReason(why.value)


def _is_repo(directory: Path) -> bool:
    return (directory / ".git").exists() or (directory / ".archon").is_dir()


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def find_repo_root(cwd: Path, *, trust: SourceTrust, user_home: Path | None) -> RepoSearch:
    """The nearest repository at or above ``cwd`` that may be a source, or why the one found may not."""
    home = Path(os.path.realpath(user_home)) if user_home is not None else None

    def skipped(directory: Path, reason: SkipReason) -> RepoSearch:
        """Why the walk stopped at ``directory``, if a repository it would have found is lost that way."""
        for above in (directory, *directory.parents):
            if _is_repo(above):
                return RepoSearch(None, SkippedSource("repo", above, directory, reason))
            if above == home:
                break
        return RepoSearch(None)

    if trust.windows and (home is None or not _within(cwd, home)):
        return skipped(cwd, SkipReason.OUTSIDE_HOME)
    for directory in (cwd, *cwd.parents):
        reason = _judge(directory, trust)
        if reason is not None:
            return skipped(directory, reason)
        if _is_repo(directory):
            return RepoSearch(directory)
        if directory == home:
            break
    return RepoSearch(None)


def _untrusted_below(root: Path, target: Path, trust: SourceTrust) -> tuple[Path, SkipReason] | None:
    """The first directory from ``root`` (excluded) down to ``target``'s real path that fails the rule; a target
    whose real path is outside ``root`` fails as a link leaving it."""
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(target))
    if not _within(real, real_root):
        return target, SkipReason.LINK_LEAVES_REPO
    level = real_root
    for part in real.relative_to(real_root).parts:
        level = level / part
        reason = _judge(level, trust)
        if reason is not None:
            return level, reason
    return None


def _user_directory(paths: ArchonPaths, sub: Path, trust: SourceTrust) -> tuple[Path, SkipReason] | None:
    """The archon home and ``sub`` below it may each be a symlink to a directory of the user's own."""
    for directory in (paths.home, sub.parent, sub):
        reason = _judge(Path(os.path.realpath(directory)), trust)
        if reason is not None:
            return directory, reason
    return None


def workflow_sources(
    *, paths: ArchonPaths, cwd: Path, user_home: Path | None, trust: SourceTrust | None = None
) -> SourceSet:
    trust = trust if trust is not None else SourceTrust.of_this_process()
    bundled = resources.files("archon.workflows.defaults")
    workflows = [WorkflowSource("bundled", bundled, BUNDLED_LABEL)]
    commands = [WorkflowSource("bundled", bundled / COMMANDS_DIR, f"{BUNDLED_LABEL}/{COMMANDS_DIR}")]
    skipped: list[SkippedSource] = []

    def add(
        origin: Origin, directory: Path, problem: tuple[Path, SkipReason] | None, into: list[WorkflowSource]
    ) -> None:
        if problem is not None:
            if directory.is_dir():  # a source that is not there is not worth a word
                skipped.append(SkippedSource(origin, directory, *problem))
            return
        bound = Path(os.path.realpath(directory)) if origin == "user" else repo_bound
        into.append(WorkflowSource(origin, directory, str(directory), bound))

    repo_bound: Path | None = None
    user_dir = paths.workflows
    add("user", user_dir, _user_directory(paths, user_dir, trust), workflows)
    add("user", user_dir / COMMANDS_DIR, _user_directory(paths, user_dir / COMMANDS_DIR, trust), commands)
    search = find_repo_root(cwd, trust=trust, user_home=user_home)
    if search.skipped is not None:
        skipped.append(search.skipped)
    if search.root is not None:
        repo_bound = Path(os.path.realpath(search.root))
        repo_dir = search.root / ".archon" / "workflows"
        if os.path.realpath(repo_dir) != os.path.realpath(user_dir):  # e.g. run from the home directory itself
            add("repo", repo_dir, _untrusted_below(search.root, repo_dir, trust), workflows)
            repo_commands = repo_dir / COMMANDS_DIR
            add("repo", repo_commands, _untrusted_below(search.root, repo_commands, trust), commands)
    return SourceSet(workflows, commands, skipped, trust)

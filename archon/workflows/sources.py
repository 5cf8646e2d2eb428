"""The directories workflows and commands are read from, in order of precedence (later overrides earlier):

1. the bundled defaults (``archon/workflows/defaults/``, package data),
2. ``~/.archon/workflows/`` (``$ARCHON_HOME/workflows``),
3. ``<repo>/.archon/workflows/``, where ``<repo>`` is the nearest ancestor of the working directory (itself
   included) holding ``.git`` or ``.archon``.

Commands live in a ``commands/`` directory inside each of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from archon.paths import ArchonPaths
from archon.workflows.model import Origin

__all__ = ["BUNDLED_LABEL", "WorkflowSource", "files_in", "find_repo_root", "workflow_sources"]

BUNDLED_LABEL = "<bundled>"


@dataclass(frozen=True)
class WorkflowSource:
    origin: Origin
    directory: Traversable | Path
    label: str
    """How messages name the directory: its path, or ``<bundled>``."""


def find_repo_root(cwd: Path) -> Path | None:
    for directory in (cwd, *cwd.parents):
        if (directory / ".git").exists() or (directory / ".archon").is_dir():
            return directory
    return None


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path


def workflow_sources(*, paths: ArchonPaths, cwd: Path) -> list[WorkflowSource]:
    sources = [
        WorkflowSource("bundled", resources.files("archon.workflows.defaults"), BUNDLED_LABEL),
        WorkflowSource("user", paths.workflows, str(paths.workflows)),
    ]
    repo = find_repo_root(cwd)
    if repo is not None:
        repo_dir = repo / ".archon" / "workflows"
        if _resolved(repo_dir) != _resolved(paths.workflows):  # e.g. run from the home directory itself
            sources.append(WorkflowSource("repo", repo_dir, str(repo_dir)))
    return sources


def files_in(directory: Traversable | Path, suffixes: tuple[str, ...]) -> list[Traversable | Path]:
    """The files in ``directory`` ending in one of ``suffixes``, by name; none if it is missing or unreadable."""
    try:
        if not directory.is_dir():
            return []
        entries = [e for e in directory.iterdir() if e.is_file() and e.name.endswith(suffixes)]
    except OSError:
        return []
    return sorted(entries, key=lambda e: e.name)

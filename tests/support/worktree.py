"""A private, committed copy of the work tree, for builds whose "the tree stays clean" claim a test checks.

The shared work tree changes under concurrent editors; a copy made at the start of the test session holds exactly
the files of the work tree (tracked and untracked, never ignored ones), committed, so ``git status`` in it is
empty and changes only if a build writes into it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

__all__ = ["GIT_IDENTITY", "git", "snapshot", "tree_state"]

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "archon tests",
    "GIT_AUTHOR_EMAIL": "tests@archon.invalid",
    "GIT_COMMITTER_NAME": "archon tests",
    "GIT_COMMITTER_EMAIL": "tests@archon.invalid",
}
# Build caches Python writes next to the modules it imports; not a build writing into the tree.
_CACHE_PARTS = ("__pycache__",)


def git(root: Path, *args: str) -> str:
    env = {**os.environ, **GIT_IDENTITY, "GIT_CEILING_DIRECTORIES": str(root.parent)}
    result = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True, timeout=60)
    return result.stdout


def snapshot(source: Path, dest: Path) -> Path:
    """Copy ``source``'s work tree (files git would not ignore) to ``dest`` and commit it there."""
    listed = git(source, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in sorted(filter(None, listed)):
        src = source / name
        if not src.is_file():  # deleted but still in the index
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    git(dest, "init", "--quiet")
    git(dest, "add", "--all")
    git(dest, "commit", "--quiet", "--no-verify", "-m", "snapshot of the work tree for build tests")
    return dest


def tree_state(root: Path) -> list[str]:
    """``git status --porcelain``, including ignored files (dist/, build/, *.egg-info), without import caches."""
    lines = git(root, "status", "--porcelain", "--untracked-files=all", "--ignored").splitlines()
    return [line for line in lines if not any(part in line for part in _CACHE_PARTS)]

"""A private temporary directory for each assistant node: its CLI's ``TMPDIR``, made by archon and removed when the
node ends, however it ends.

Why: left to themselves, the CLIs write into ``/tmp``, which every user of the machine shares. codex's
``workspace-write`` sandbox makes ``/tmp`` and ``$TMPDIR`` writable roots and creates the mount points it needs
in them (``.git``, ``.codex``, ``.agents``, ``.aws``, ``codex-bwrap-synthetic-mount-targets-N/``); a codex that
is killed mid-turn leaves an empty ``/tmp/.git`` behind, and /tmp then looks like a repository. claude keeps its
per-user state in ``$TMPDIR/claude-UID/`` (else ``/tmp/claude-UID``), and its Bash tool's commands write their
temporary files wherever ``TMPDIR`` says. A sandboxed, possibly prompt-injected agent should also have no shared
directory to leave files in for other users. So each node gets a directory only this user may enter, its CLI is
told (``TMPDIR``; codex also loses ``/tmp`` as a writable root, see :mod:`archon.workflows.clis.codex`), and the
tools the agent runs (pytest, ``mktemp``) still have a temporary directory to write to.

Where: ``<archon home>/tmp/run-XXXXXXXX/<node id>-XXXXXXXX/``, each level 0700. The archon home must pass the
same trust rule as for telemetry (the user's own, nobody else may write it, ``tmp`` a real directory, not a
link) and must not be inside the working directory (the repository the agent works in). Where it cannot be used,
the run's directory is ``tempfile.mkdtemp`` in the system's temporary directory instead: 0700, a name nobody can
guess or take first. A node's directory is removed when the node ends; the run's, with whatever is left in it
(by a process that outlived its node), when the run ends, after its processes were stopped. Links inside are
removed, never followed. Only a SIGKILLed archon leaves its run's directory behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from archon.paths import ArchonPaths
from archon.private_files import PRIVATE_DIR_MODE, ensure_private_dir, untrusted_directory

__all__ = ["node_temp_dir", "remove_tree", "run_temp_root"]

_SYSTEM_PREFIX = "archon-"


def _parent(paths: ArchonPaths | None, workspace: Path) -> Path | None:
    """``paths.tmp`` when it may hold the run's directory (made 0700 if missing), else None."""
    if paths is None:
        return None
    try:
        if paths.tmp.resolve().is_relative_to(workspace.resolve()):
            return None
        if untrusted_directory(paths.home, follow_symlink=True) or untrusted_directory(paths.tmp, follow_symlink=False):
            return None
        ensure_private_dir(paths.tmp)
        return None if untrusted_directory(paths.tmp, follow_symlink=False) else paths.tmp
    except OSError:
        return None


@contextlib.contextmanager
def run_temp_root(paths: ArchonPaths | None, *, workspace: Path) -> Iterator[Path]:
    """A private directory for one run's node directories (see the module docstring); removed with everything in it
    when the run ends. ``paths``: the archon home to keep it in (None: the system's temporary directory)."""
    parent = _parent(paths, workspace)
    if parent is None:
        root = Path(tempfile.mkdtemp(prefix=_SYSTEM_PREFIX))
    else:
        root = Path(tempfile.mkdtemp(prefix="run-", dir=parent))
    try:
        yield root
    finally:
        remove_tree(root)


@contextlib.contextmanager
def node_temp_dir(run_root: Path, node_id: str) -> Iterator[Path]:
    """A private directory for one node, inside its run's; removed when the node ends."""
    path = Path(tempfile.mkdtemp(prefix=f"{node_id}-", dir=run_root))
    try:
        yield path
    finally:
        remove_tree(path)


def remove_tree(path: Path) -> None:
    """Remove ``path`` and everything in it, links included (never what they point to), also directories the node
    made read-only. Best effort: never raises."""
    with contextlib.suppress(OSError):
        if sys.version_info >= (3, 12):
            shutil.rmtree(path, onexc=_open_up_and_retry)
        else:  # Python 3.11: onexc is new in 3.12, and onerror deprecated there
            shutil.rmtree(path, onerror=_open_up_and_retry)


def _open_up_and_retry(function: Callable[..., Any], path: str, _error: object) -> None:
    """A read-only directory stops ``rmtree``: make it (and the one holding ``path``) the user's again, retry once."""
    for directory in (os.path.dirname(path), path):
        with contextlib.suppress(OSError):
            if stat.S_ISDIR(os.lstat(directory).st_mode):
                os.chmod(directory, PRIVATE_DIR_MODE)
    function(path)

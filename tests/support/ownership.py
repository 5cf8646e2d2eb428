"""Giving a path away to another user, for the tests of the trust rule. Needs root: skipped without it on a
laptop, a failure in CI (which runs as root), as ``tests.conftest.require_tool`` does for tools."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import IN_CI

__all__ = ["NOBODY", "give_away"]

NOBODY = 65534
"""``nobody``'s uid and gid: another user, who never logs in."""


def give_away(*paths: Path, uid: int = NOBODY, gid: int = NOBODY) -> None:
    """``chown`` each path (not following a symlink) to another user."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        message = "giving a path to another user needs root"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    for path in paths:
        os.lchown(path, uid, gid)

"""Who else could change a directory or a file: the one owner-and-mode rule behind every trust decision archon
makes (its home, its telemetry directories, the directories and files workflows and commands come from).

A path is this user's own when this user owns it and nobody else may write it. "Nobody else" has one exception,
which only the workflow sources use: a group-writable path whose group is the user's *private* group (the group
named after the user, that is the user's primary group and lists no other member: the per-user groups that
``useradd`` creates by default, under which ``login.defs``' ``USERGROUPS_ENAB`` makes the umask 002). Such a
group holds nobody but the user, so its write bit gives nobody else anything. archon's own private directories
(the home, telemetry) never need that exception: archon creates them 0700.

Owners and mode bits mean something on POSIX only. On Windows access is decided by ACLs, which Python's ``os``
does not show; callers there apply rules of their own (see :mod:`archon.workflows.sources`).
"""

from __future__ import annotations

import os
import stat
from enum import StrEnum
from typing import NamedTuple

__all__ = ["CHECKS_OWNERS", "Distrust", "Owner", "current_owner", "distrust", "private_group"]

CHECKS_OWNERS = os.name == "posix"


class Distrust(StrEnum):
    """Why a directory (or file) must not be used as this user's own."""

    NOT_OWNED = "not-owned"
    """It belongs to another user."""
    WRITABLE_BY_OTHERS = "writable-by-others"
    """Its group or everyone may change it (in a directory: create, rename and delete entries)."""
    SYMLINK = "symlink"
    """A symbolic link where archon keeps a directory of its own."""
    NOT_A_DIRECTORY = "not-a-directory"


class Owner(NamedTuple):
    """The user whose own paths are trusted, as the kernel sees them."""

    uid: int
    private_gid: int | None = None
    """A group whose write bit is harmless (the user's private group), or None: group-writable is never trusted."""


def private_group(uid: int) -> int | None:
    """The user's private group, if they have one: their primary group, named as they are, with no listed member
    but them. None when the user or the group cannot be looked up (NSS down, a uid with no name)."""
    import grp  # startup time: only the workflow sources ask
    import pwd

    try:
        user = pwd.getpwuid(uid)
        group = grp.getgrgid(user.pw_gid)
    except (KeyError, OSError):
        return None
    if group.gr_name != user.pw_name or set(group.gr_mem) - {user.pw_name}:
        return None
    return group.gr_gid


def current_owner(*, allow_private_group: bool) -> Owner:
    """This process's effective user; with ``allow_private_group``, also its private group (one NSS look-up)."""
    uid = os.geteuid()
    return Owner(uid, private_group(uid) if allow_private_group else None)


def distrust(info: os.stat_result, owner: Owner) -> Distrust | None:
    """Why the path ``info`` describes (an ``lstat``/``stat``/``fstat`` result) is not ``owner``'s own, or None.

    Sticky or not, a world-writable directory is never trusted: the sticky bit stops others from removing what
    is there, not from adding what is not (``/tmp/.archon``).
    """
    if info.st_uid != owner.uid:
        return Distrust.NOT_OWNED
    if info.st_mode & stat.S_IWOTH:
        return Distrust.WRITABLE_BY_OTHERS
    if info.st_mode & stat.S_IWGRP and (owner.private_gid is None or info.st_gid != owner.private_gid):
        return Distrust.WRITABLE_BY_OTHERS
    return None

"""The one owner-and-mode rule (archon.ownership), as a table, and the private-group look-up against the real
user database."""

from __future__ import annotations

import os
import stat

import pytest

from archon.ownership import Distrust, Owner, distrust, private_group

posix_only = pytest.mark.skipif(os.name != "posix", reason="owners and mode bits are POSIX's")

ME, OTHER, MY_GROUP, SHARED_GROUP = 1000, 1001, 1000, 100


def _info(mode: int, uid: int = ME, gid: int = MY_GROUP, kind: int = stat.S_IFDIR) -> os.stat_result:
    return os.stat_result((kind | mode, 0, 0, 1, uid, gid, 0, 0, 0, 0))


@pytest.mark.parametrize(
    ("mode", "uid", "gid", "private_gid", "expected"),
    [
        (0o700, ME, MY_GROUP, None, None),
        (0o755, ME, MY_GROUP, None, None),
        (0o755, OTHER, MY_GROUP, None, Distrust.NOT_OWNED),
        (0o700, 0, 0, None, Distrust.NOT_OWNED),  # root is another user too, as in git
        (0o777, ME, MY_GROUP, None, Distrust.WRITABLE_BY_OTHERS),
        (0o1777, ME, MY_GROUP, MY_GROUP, Distrust.WRITABLE_BY_OTHERS),  # sticky: others still add entries
        (0o757, ME, MY_GROUP, MY_GROUP, Distrust.WRITABLE_BY_OTHERS),
        (0o775, ME, MY_GROUP, None, Distrust.WRITABLE_BY_OTHERS),  # umask 002, no private group known
        (0o775, ME, MY_GROUP, MY_GROUP, None),  # umask 002 with the user's private group
        (0o775, ME, SHARED_GROUP, MY_GROUP, Distrust.WRITABLE_BY_OTHERS),  # a group others are in
        (0o2775, ME, MY_GROUP, MY_GROUP, None),  # setgid directory of the private group
    ],
)
def test_the_rule(mode: int, uid: int, gid: int, private_gid: int | None, expected: Distrust | None) -> None:
    assert distrust(_info(mode, uid, gid), Owner(ME, private_gid)) == expected


def test_files_follow_the_same_rule() -> None:
    assert distrust(_info(0o664, kind=stat.S_IFREG), Owner(ME, MY_GROUP)) is None
    assert distrust(_info(0o666, kind=stat.S_IFREG), Owner(ME, MY_GROUP)) == Distrust.WRITABLE_BY_OTHERS
    assert distrust(_info(0o644, OTHER, kind=stat.S_IFREG), Owner(ME, MY_GROUP)) == Distrust.NOT_OWNED


@posix_only
def test_the_private_group_is_the_users_own_named_group_with_no_other_member() -> None:
    import grp
    import pwd

    me = pwd.getpwuid(os.geteuid())
    group = grp.getgrgid(me.pw_gid)
    expected = group.gr_gid if group.gr_name == me.pw_name and set(group.gr_mem) <= {me.pw_name} else None
    assert private_group(os.geteuid()) == expected
    assert private_group(2**31 - 7) is None  # a uid nobody has


@posix_only
@pytest.mark.parametrize(
    ("group_name", "members", "expected"),
    [
        ("alice", [], 1000),  # useradd's per-user group
        ("alice", ["alice"], 1000),
        ("alice", ["alice", "bob"], None),  # bob is in it: its write bit lets bob write
        ("staff", [], None),  # a primary group that is not named after the user (shared by design)
    ],
)
def test_a_private_group_is_named_after_the_user_and_has_nobody_else(
    monkeypatch: pytest.MonkeyPatch, group_name: str, members: list[str], expected: int | None
) -> None:
    import grp
    import pwd

    user = pwd.struct_passwd(("alice", "x", 1000, 1000, "", "/home/alice", "/bin/sh"))
    group = grp.struct_group((group_name, "x", 1000, members))
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: user if uid == 1000 else pwd.getpwuid(-1))
    monkeypatch.setattr(grp, "getgrgid", lambda gid: group)
    assert private_group(1000) == expected

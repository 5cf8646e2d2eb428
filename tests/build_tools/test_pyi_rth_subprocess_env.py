"""build_tools/pyi_rth_subprocess_env.py: what the binary's children inherit. (The real thing runs in the
frozen-binary test; these pin each rule.)"""

from __future__ import annotations

import os

from build_tools.pyi_rth_subprocess_env import restore_user_environment

BUNDLE = "/opt/archon/_internal"


def test_the_bootloaders_library_path_is_removed_when_the_user_had_none() -> None:
    env = {"LD_LIBRARY_PATH": BUNDLE, "PATH": "/usr/bin"}
    restore_user_environment(env, bundle_dir=BUNDLE, platform="linux")
    assert env == {"PATH": "/usr/bin"}


def test_the_users_library_path_is_restored() -> None:
    env = {"LD_LIBRARY_PATH": f"{BUNDLE}{os.pathsep}/home/me/lib", "LD_LIBRARY_PATH_ORIG": "/home/me/lib"}
    restore_user_environment(env, bundle_dir=BUNDLE, platform="linux")
    assert env == {"LD_LIBRARY_PATH": "/home/me/lib"}


def test_a_library_path_the_bootloader_did_not_set_is_kept() -> None:
    env = {"LD_LIBRARY_PATH": "/home/me/lib"}
    restore_user_environment(env, bundle_dir=BUNDLE, platform="linux")
    assert env == {"LD_LIBRARY_PATH": "/home/me/lib"}


def test_pyinstaller_process_state_is_dropped_everywhere() -> None:
    for platform in ("linux", "darwin", "win32"):
        env = {"_PYI_ARCHIVE_FILE": "/x/archon", "_PYI_PARENT_PROCESS_LEVEL": "1", "HOME": "/home/me"}
        restore_user_environment(env, bundle_dir=BUNDLE, platform=platform)
        assert env == {"HOME": "/home/me"}


def test_macos_and_windows_keep_library_variables() -> None:
    for platform in ("darwin", "win32"):
        env = {"LD_LIBRARY_PATH": BUNDLE, "LD_LIBRARY_PATH_ORIG": "/x"}
        restore_user_environment(env, bundle_dir=BUNDLE, platform=platform)
        assert env == {"LD_LIBRARY_PATH": BUNDLE, "LD_LIBRARY_PATH_ORIG": "/x"}


def test_aix_uses_libpath() -> None:
    env = {"LIBPATH": BUNDLE, "LIBPATH_ORIG": "/usr/lib"}
    restore_user_environment(env, bundle_dir=BUNDLE, platform="aix7")
    assert env == {"LIBPATH": "/usr/lib"}

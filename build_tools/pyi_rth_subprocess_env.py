"""PyInstaller runtime hook (build_tools/archon.spec): the programs archon starts get the user's environment.

On Linux the bootloader puts the bundle's own library folder first on ``LD_LIBRARY_PATH`` (its libssl, libcrypto,
libz, ...) and, on every platform, sets ``_PYI_*`` variables that describe this process. Children inherit both: a
workflow's bash node running git or curl would load archon's bundled libssl instead of the system's, and archon
starting itself again (the detached telemetry flusher) would be taken for a helper of this process rather than a
new, independent instance. The dynamic loader read ``LD_LIBRARY_PATH`` when this process started, so restoring
the user's value here changes nothing for archon itself. Runs in the binary only; not shipped in the wheel.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping


def restore_user_environment(env: MutableMapping[str, str], *, bundle_dir: str, platform: str) -> None:
    """Drop what the bootloader added to ``env``; leave everything the user set."""
    for name in [name for name in env if name.startswith("_PYI_")]:
        del env[name]
    variable = {"linux": "LD_LIBRARY_PATH", "aix": "LIBPATH"}.get(platform.rstrip("0123456789"))
    if variable is None:
        return
    current = env.get(variable, "")
    if current.split(os.pathsep, 1)[0] != bundle_dir:
        return  # not the bootloader's doing: keep it
    original = env.pop(f"{variable}_ORIG", None)
    if original is None:
        env.pop(variable, None)
    else:
        env[variable] = original


if getattr(sys, "frozen", False):
    restore_user_environment(os.environ, bundle_dir=getattr(sys, "_MEIPASS", ""), platform=sys.platform)

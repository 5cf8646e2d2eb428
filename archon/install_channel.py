"""How this archon was installed, decided at run time from what the installer left behind.

No build-time constant can tell these apart: pip, pipx and uv install the same wheel, and install.sh and Homebrew
unpack the same release archive. So archon reads the installer's own record:

- a **wheel** install: the ``INSTALLER`` file (PEP 376) of the distribution whose ``RECORD`` lists this very
  package, in the site-packages folder the package was imported from. ``pipx`` is told apart by what it leaves in
  every venv it manages, ``pipx_metadata.json`` in the venv's root, whatever its backend wrote into ``INSTALLER``
  (``pip``, or ``uv`` since pipx 1.18 picks uv when it finds it); then ``uv`` gives ``uv`` (``uv tool install``
  also leaves ``uv-receipt.toml`` in the venv's root) and ``pip`` gives ``pip``;
- a **binary**: the receipt that install.sh, install.ps1 or the Homebrew formula writes beside the executable,
  :data:`RECEIPT_NAME`, a text file of ``key=value`` lines of which archon reads only ``channel`` (``curl`` or
  ``homebrew``).

Anything else (an editable install, a source checkout, an installer archon does not know, an unreadable record)
keeps the build constant ``BUNDLED_INSTALL_METHOD``: ``source``, ``pip`` for wheels, ``binary`` for binaries. The
constant only ever says which kind of artefact this is (build_tools/constants.py derives it from that, and no build
input can set it), because the same archive reaches users through every channel; a constant naming any other
channel is ignored.

Only the channel's name ever leaves this module; the paths it looked at are never kept.

Cheap on purpose (``archon version`` prints it): no ``importlib.metadata``, no json; one directory listing and at
most a few small files read.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from archon.value import Value

if TYPE_CHECKING:
    from archon.buildinfo import BuildInfo

__all__ = [
    "BUILD_DEFAULTS",
    "INSTALL_CHANNELS",
    "RECEIPT_CHANNELS",
    "RECEIPT_NAME",
    "InstallChannel",
    "Installation",
    "as_channel",
    "current_installation",
    "detect_installation",
]

InstallChannel = Literal["source", "pip", "pipx", "uv", "binary", "curl", "homebrew"]
"""The closed vocabulary of ``install_method``: printed by ``archon version``, sent in ``setup.completed``."""
INSTALL_CHANNELS: tuple[InstallChannel, ...] = get_args(InstallChannel)

RECEIPT_NAME = "install-receipt"
"""The receipt's file name, beside the binary's executable (install.sh, install.ps1, the Homebrew formula)."""
RECEIPT_CHANNELS: tuple[InstallChannel, ...] = ("curl", "homebrew")
"""The channels a receipt may name; any other value is ignored."""
BUILD_DEFAULTS: tuple[InstallChannel, ...] = ("source", "pip", "binary")
"""The only channels the build constant may decide: the kind of artefact, never how it was installed."""

PIPX_MARKER = "pipx_metadata.json"  # in the root of every venv pipx manages (pipx/venv.py)
UV_TOOL_MARKER = "uv-receipt.toml"  # in the root of every venv `uv tool install` makes
_PACKAGE_INIT = "archon/__init__.py"
_MAX_RECORD_BYTES = 4096  # an INSTALLER or receipt is one short line or a few


class Installation(Value):
    """The channel, and whether archon lives in an environment of its own that a tool manages (pipx, uv tool):
    the upgrade command differs (``uv tool upgrade`` vs ``uv pip install --upgrade``). Never a path."""

    channel: InstallChannel
    tool_environment: bool = False


def as_channel(value: str) -> InstallChannel | None:
    """``value`` if it is a channel name, else ``None``."""
    for channel in INSTALL_CHANNELS:
        if value == channel:
            return channel
    return None


def _read_small(path: Path) -> str | None:
    """The text of a small regular file, or ``None`` (missing, not a regular file, too big, unreadable)."""
    try:
        if not path.is_file():  # a FIFO or a device would block or never end
            return None
        with path.open("rb") as handle:
            data = handle.read(_MAX_RECORD_BYTES + 1)
    except OSError:
        return None
    if len(data) > _MAX_RECORD_BYTES:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _owning_dist_info(site_dir: Path) -> Path | None:
    """The ``*.dist-info`` folder in ``site_dir`` whose RECORD lists archon's own ``__init__.py``: the
    distribution that installed this package, whatever its name (``archon-cli``, or an older name)."""
    try:
        candidates = sorted(
            entry.path
            for entry in os.scandir(site_dir)
            if entry.name.lower().startswith("archon") and entry.name.endswith(".dist-info")
        )
    except OSError:
        return None
    for candidate in candidates:
        try:
            with open(os.path.join(candidate, "RECORD"), encoding="utf-8") as record:
                if any(line.startswith(_PACKAGE_INIT + ",") for line in record):
                    return Path(candidate)
        except (OSError, UnicodeDecodeError):
            continue
    return None


def _wheel_installation(dist_info: Path, prefix: Path) -> Installation | None:
    if (prefix / PIPX_MARKER).is_file():
        return Installation(channel="pipx", tool_environment=True)
    installer = (_read_small(dist_info / "INSTALLER") or "").strip()
    if installer == "uv":
        return Installation(channel="uv", tool_environment=(prefix / UV_TOOL_MARKER).is_file())
    if installer == "pip":
        return Installation(channel="pip")
    return None


def _receipt_channel(text: str) -> InstallChannel | None:
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "channel":
            channel = as_channel(value.strip())
            return channel if channel in RECEIPT_CHANNELS else None
    return None


def _binary_installation(executable: Path) -> Installation | None:
    text = _read_small(executable.parent / RECEIPT_NAME)
    channel = _receipt_channel(text) if text is not None else None
    return Installation(channel=channel) if channel is not None else None


def detect_installation(
    *, default: str, is_binary: bool, executable: Path, package_dir: Path, prefix: Path
) -> Installation:
    """How this archon was installed. ``default`` is the build constant; ``executable`` the binary's resolved
    path; ``package_dir`` the folder of the imported ``archon`` package; ``prefix`` the Python environment's root
    (``sys.prefix``). Never raises: an unreadable record means the default."""
    default_channel = as_channel(default)
    fallback = default_channel if default_channel in BUILD_DEFAULTS else None
    if is_binary:
        return _binary_installation(executable) or Installation(channel=fallback or "binary")
    dist_info = _owning_dist_info(package_dir.parent)
    if dist_info is None:  # a source checkout or an editable install: the package is not in site-packages
        return Installation(channel=fallback or "source")
    return _wheel_installation(dist_info, prefix) or Installation(channel=fallback or "pip")


def current_installation(build: BuildInfo) -> Installation:
    """:func:`detect_installation` for this process (this module lives in the ``archon`` package itself)."""
    return detect_installation(
        default=build.install_method,
        is_binary=build.is_binary,
        executable=Path(sys.executable).resolve(),
        package_dir=Path(__file__).resolve().parent,
        prefix=Path(sys.prefix),
    )

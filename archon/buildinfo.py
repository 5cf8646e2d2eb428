"""What this artefact is: the build-time constants, read once, as a value. Never exposes the full key."""

from __future__ import annotations

import platform
import sys

from archon import bundled_build
from archon.value import Value

__all__ = ["BuildInfo", "current_build"]


class BuildInfo(Value):
    """The build-time constants of this artefact, and the platform it runs on.

    A :class:`~archon.value.Value`: it is defined and built on every start (see that module).
    """

    version: str
    git_commit: str
    is_binary: bool
    install_method: str
    posthog_host: str
    posthog_key: str
    platform: str
    arch: str
    python_version: str

    @property
    def key_embedded(self) -> bool:
        return bool(self.posthog_key)

    @property
    def key_prefix(self) -> str:
        """The first 8 characters of the key (``phc_xxxx``): enough to tell keys apart, never the key."""
        return self.posthog_key[:8]

    def __repr__(self) -> str:  # keep the key out of logs and tracebacks
        return (
            f"BuildInfo(version={self.version!r}, git_commit={self.git_commit!r}, is_binary={self.is_binary!r}, "
            f"key={'embedded' if self.key_embedded else 'none'})"
        )


def _arch(machine: str) -> str:
    lowered = machine.lower()
    return {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(lowered, lowered or "unknown")


def current_build() -> BuildInfo:
    return BuildInfo(
        version=bundled_build.BUNDLED_VERSION,
        git_commit=bundled_build.BUNDLED_GIT_COMMIT,
        is_binary=bundled_build.BUNDLED_IS_BINARY,
        install_method=bundled_build.BUNDLED_INSTALL_METHOD,
        posthog_host=bundled_build.BUNDLED_POSTHOG_HOST,
        posthog_key=bundled_build.BUNDLED_POSTHOG_KEY,
        platform=sys.platform,
        arch=_arch(platform.machine()),
        python_version=f"{sys.version_info.major}.{sys.version_info.minor}",
    )

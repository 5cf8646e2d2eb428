"""The release gate's version check (release.yml, job ``gate``): a tag is released only if it *is* the package
version under ``packaging.Version``, written in that version's normal form with a ``v`` (``v1.4.0rc1``, not
``v1.4.0-rc.1``: the release's download URLs, which the installers build from ``archon version``'s output, carry
the tag), and it is a prerelease exactly when that version is one (``Version.is_prerelease``: a, b, rc and dev).

    python -m build_tools.release_version --tag v1.4.0rc1     # -> version=1.4.0rc1 / prerelease=true
    python -m build_tools.release_version                     # a dry run on a branch: the package version

prints ``key=value`` lines for ``$GITHUB_OUTPUT``; a tag that does not match exits 1 and says why.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from build_tools.constants import BuildConstantsError, project_version

__all__ = ["Release", "ReleaseVersionError", "release_for"]


class ReleaseVersionError(ValueError):
    """The tag is not the package version; the message says which is which."""


@dataclass(frozen=True)
class Release:
    version: str  # PEP 440 normal form: what the wheel, the sdist, the binary and `archon version` carry
    prerelease: bool


def release_for(tag: str | None, package_version: str) -> Release:
    """The release a push of ``tag`` makes (``None``: a dry run without a tag) of a tree at ``package_version``."""
    version = Version(package_version)
    if tag is not None:
        try:
            tagged = Version(tag)
        except InvalidVersion:
            raise ReleaseVersionError(f"tag {tag!r} is not a version (e.g. v{version})") from None
        if tagged != version:
            raise ReleaseVersionError(
                f"tag {tag} is version {tagged}, but pyproject.toml's [tool.archon] version is {version}: "
                "set that version, commit, and tag that commit"
            )
        if tag != f"v{version}":
            raise ReleaseVersionError(
                f"tag {tag} is version {version}, but a release tag is its normal form, v{version}: the release's "
                "download URLs carry the tag, and the installers build them from the version archon reports"
            )
    return Release(str(version), version.is_prerelease)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m build_tools.release_version", description=__doc__.split("\n")[0])
    parser.add_argument("--tag", help="the pushed tag (GITHUB_REF_NAME); omit for a dry run on a branch")
    args = parser.parse_args(argv)
    try:
        release = release_for(args.tag, project_version(Path.cwd()))
    except (ReleaseVersionError, BuildConstantsError) as exc:
        print(f"release gate: {exc}", file=sys.stderr)
        return 1
    print(f"version={release.version}")
    print(f"prerelease={'true' if release.prerelease else 'false'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

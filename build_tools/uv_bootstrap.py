"""The pip requirement that brings uv itself, at exactly the version and with the hashes that ``uv.lock`` records.

scripts/_venv.sh needs uv before it can install anything from ``uv.lock``; it gets uv from the package index with
``pip install --require-hashes`` of what this prints, so even the bootstrap is pinned and verified, and there is no
second copy of the pin to keep in step with the lock. Standard library only: it runs on the bare ``python3``.

    python -m build_tools.uv_bootstrap uv.lock    # -> uv==X.Y.Z --hash=sha256:... --hash=sha256:...
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["UvBootstrapError", "requirement"]


class UvBootstrapError(ValueError):
    """uv.lock does not pin uv the way the bootstrap needs (one version, from the index, with hashes)."""


def _hashes(package: Mapping[str, Any]) -> list[str]:
    files = [package.get("sdist", {}), *package.get("wheels", [])]
    return sorted({str(file["hash"]) for file in files if "hash" in file})


def requirement(lock: Mapping[str, Any]) -> str:
    """``uv==<version>`` with one ``--hash`` per file uv.lock records for it (every platform's wheel, the sdist)."""
    found = [package for package in lock.get("package", []) if package.get("name") == "uv"]
    if len(found) != 1:
        raise UvBootstrapError(f"uv.lock must pin exactly one uv (the dev group's), found {len(found)}")
    (package,) = found
    hashes = _hashes(package)
    if not hashes or not all(digest.startswith("sha256:") for digest in hashes):
        raise UvBootstrapError("uv.lock records no sha256 hashes for uv")
    return " ".join([f"uv=={package['version']}", *(f"--hash={digest}" for digest in hashes)])


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args[0] if args else "uv.lock")
    try:
        print(requirement(tomllib.loads(path.read_text(encoding="utf-8"))))
    except (OSError, tomllib.TOMLDecodeError, UvBootstrapError) as exc:
        print(f"uv_bootstrap: {path}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

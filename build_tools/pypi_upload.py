"""What release.yml's pypi job uploads, so that a re-run on the same tag finishes an interrupted upload without
duplicating anything: the package index never takes a file name twice, and must never be sent a different file
under a name it already has.

For each release file (the wheel and the sdist), the index's JSON API for the version
(``{index}/pypi/{project}/{version}/json``, 404 before the first upload) says whether it already has that name:

- not there: upload it;
- there with the same SHA-256: skip it (an earlier run uploaded it);
- there with another SHA-256: refuse the whole upload (exit 1), and copy nothing.

    python -m build_tools.pypi_upload --project archon-cli --version 1.4.0 --dist pypi-dist --out pypi-upload

copies the files to upload into ``--out`` and prints ``upload=true|false`` for ``$GITHUB_OUTPUT``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Plan", "PyPIUploadError", "main", "plan", "published_files"]

DEFAULT_INDEX = "https://pypi.org"
_TIMEOUT = 30


class PyPIUploadError(RuntimeError):
    """The index could not be asked, or answered something that is not its JSON API."""


@dataclass(frozen=True)
class Plan:
    upload: tuple[str, ...]  # not on the index yet
    skip: tuple[str, ...]  # on the index, identical
    conflicts: tuple[str, ...]  # on the index with other content: never uploaded, never replaced


def plan(local: Mapping[str, str], published: Mapping[str, str]) -> Plan:
    """``local`` and ``published`` map file names to SHA-256 hex digests."""
    upload = tuple(sorted(name for name in local if name not in published))
    skip = tuple(sorted(name for name in local if published.get(name) == local[name]))
    conflicts = tuple(sorted(name for name in local if name in published and published[name] != local[name]))
    return Plan(upload, skip, conflicts)


def published_files(index: str, project: str, version: str) -> dict[str, str]:
    """The files the index has for ``project`` ``version``: name -> SHA-256 (empty if it has no such version)."""
    url = f"{index.rstrip('/')}/pypi/{project}/{version}/json"
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise PyPIUploadError(f"refusing to ask {url}: not https")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # noqa: S310 - checked above
            data: Any = json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return {}
        raise PyPIUploadError(f"{url} answered {error.code}") from None
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        raise PyPIUploadError(f"could not read {url}: {error}") from None
    try:
        return {str(file["filename"]): str(file["digests"]["sha256"]) for file in data["urls"]}
    except (KeyError, TypeError):
        raise PyPIUploadError(f"{url} is not the index's JSON for a version (no urls[].filename/digests)") from None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m build_tools.pypi_upload", description=__doc__.split("\n")[0])
    parser.add_argument("--project", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--dist", type=Path, required=True, help="the release's wheel and sdist")
    parser.add_argument("--out", type=Path, required=True, help="where the files to upload are copied (made new)")
    parser.add_argument("--index", default=DEFAULT_INDEX)
    args = parser.parse_args(argv)
    local = {path.name: _sha256(path) for path in sorted(args.dist.iterdir()) if path.is_file()}
    if not local:
        print(f"pypi_upload: error: {args.dist} holds no file", file=sys.stderr)
        return 1
    try:
        decided = plan(local, published_files(args.index, args.project, args.version))
    except PyPIUploadError as error:
        print(f"pypi_upload: error: {error}", file=sys.stderr)
        return 1
    if decided.conflicts:
        print(
            f"pypi_upload: error: the index already has {', '.join(decided.conflicts)} for {args.project} "
            f"{args.version} with other content than this release built; nothing is uploaded (the index never "
            "replaces a file: docs/release.md, 'When a release fails halfway')",
            file=sys.stderr,
        )
        return 1
    args.out.mkdir(parents=True, exist_ok=False)
    for name in decided.upload:
        shutil.copy2(args.dist / name, args.out / name)
    for name in decided.skip:
        print(f"pypi_upload: {name} is on the index already, identical: skipped", file=sys.stderr)
    for name in decided.upload:
        print(f"pypi_upload: {name}: to upload", file=sys.stderr)
    print(f"upload={'true' if decided.upload else 'false'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Release artefacts, portably: the platform target name, a reproducible archive of the binary's folder, and
``SHA256SUMS``. Called by scripts/build-binaries.sh as ``python -m build_tools.artifacts ...`` so the script needs
no GNU-vs-BSD tar, ``sha256sum``-vs-``shasum`` or ``zip`` differences on Linux, macOS and Windows (Git Bash).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import platform
import stat
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["archive_dir", "archive_suffix", "platform_target", "sha256sums", "write_sha256sums"]

_SYSTEMS = {"linux": "linux", "darwin": "macos", "win32": "windows", "cygwin": "windows", "msys": "windows"}
_MACHINES = {"amd64": "x86_64", "x64": "x86_64", "x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
ZIP_EPOCH = 315532800  # 1980-01-01, the earliest time a zip entry can carry


def platform_target(system: str, machine: str) -> str:
    """``<os>-<arch>`` as release files are named: ``linux-x86_64``, ``macos-arm64``, ``windows-x86_64``."""
    lowered = machine.lower()
    return f"{_SYSTEMS.get(system, system)}-{_MACHINES.get(lowered, lowered or 'unknown')}"


def archive_suffix(target: str) -> str:
    """Windows users expect a zip; elsewhere a tar.gz keeps the symlinks and exec bits PyInstaller relies on."""
    return ".zip" if target.startswith("windows-") else ".tar.gz"


def _entries(root: Path) -> list[Path]:
    found = [Path(dirpath, name) for dirpath, dirnames, filenames in os.walk(root) for name in dirnames + filenames]
    return sorted(found, key=lambda path: path.relative_to(root).as_posix())


def _normalised(info: tarfile.TarInfo, mtime: int) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = mtime
    if not info.issym():
        executable = info.isdir() or bool(info.mode & stat.S_IXUSR)
        info.mode = 0o755 if executable else 0o644
    return info


def _write_tar_gz(src: Path, dest: Path, *, mtime: int) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in [src, *_entries(src)]:
            arcname = Path(src.name, path.relative_to(src)).as_posix()
            info = _normalised(tar.gettarinfo(str(path), arcname), mtime)
            if info.isreg():
                with path.open("rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)
    with dest.open("wb") as out, gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=mtime) as gz:
        gz.write(raw.getvalue())


def _write_zip(src: Path, dest: Path, *, mtime: int) -> None:
    stamp = max(mtime, ZIP_EPOCH)
    date_time = time.gmtime(stamp)[:6]
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in _entries(src):
            arcname = Path(src.name, path.relative_to(src)).as_posix()
            if path.is_dir():
                info = zipfile.ZipInfo(arcname + "/", date_time)
                info.external_attr = (stat.S_IFDIR | 0o755) << 16
                archive.writestr(info, b"")
            else:
                info = zipfile.ZipInfo(arcname, date_time)
                executable = os.access(path, os.X_OK) or path.suffix.lower() in (".exe", ".dll", ".pyd")
                info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())


def archive_dir(src: Path, dest: Path, *, mtime: int) -> Path:
    """Archive the folder ``src`` (as its own top-level folder) into ``dest`` (.tar.gz or .zip), reproducibly:
    sorted entries, one timestamp, no owner names; symlinks stay symlinks in a tar.gz."""
    if dest.name.endswith(".zip"):
        _write_zip(src, dest, mtime=mtime)
    elif dest.name.endswith(".tar.gz"):
        _write_tar_gz(src, dest, mtime=mtime)
    else:
        raise ValueError(f"unsupported archive type: {dest.name}")
    return dest


def sha256sums(files: Iterable[Path]) -> str:
    """``SHA256SUMS`` text in the format ``sha256sum --check`` and ``shasum -a 256 -c`` read (binary mode)."""
    lines = []
    for path in sorted(files, key=lambda p: p.name):
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        lines.append(f"{digest.hexdigest()}  {path.name}\n")
    return "".join(lines)


def write_sha256sums(out: Path, files: Iterable[Path]) -> Path:
    out.write_text(sha256sums(files), encoding="utf-8", newline="\n")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m build_tools.artifacts", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("target", help="print <os>-<arch> of this machine")
    arc = sub.add_parser("archive", help="archive a folder reproducibly (.tar.gz or .zip by DEST's name)")
    arc.add_argument("src", type=Path)
    arc.add_argument("dest", type=Path)
    arc.add_argument("--mtime", type=int, default=int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0))
    sums = sub.add_parser("sums", help="write SHA256SUMS for FILES (listed by file name) into OUT")
    sums.add_argument("out", type=Path)
    sums.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "target":
        target = platform_target(sys.platform, platform.machine())
        print(f"{target} {archive_suffix(target)}")
    elif args.command == "archive":
        archive_dir(args.src, args.dest, mtime=args.mtime)
    else:
        write_sha256sums(args.out, args.files)
    return 0


if __name__ == "__main__":
    sys.exit(main())

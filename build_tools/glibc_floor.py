"""The oldest glibc a Linux bundle runs on: the highest ``GLIBC_x.y`` symbol version any ELF file in it needs.

A PyInstaller bundle needs the glibc of the machine it was built on (its libpython and extension modules were
linked there); the dynamic loader refuses to start it on an older one ("version `GLIBC_2.34' not found"). This
reads each ELF file's version requirements (``.gnu.version_r``, with pyelftools) and reports the highest glibc
version among them, and which files need it. scripts/build-binaries.sh prints it; release.yml sets
``ARCHON_MAX_GLIBC=2.28`` (``--max 2.28``), so a Linux build that needs more, or needs ``GLIBC_PRIVATE``, fails.

    python -m build_tools.glibc_floor dist/archon-linux-x86_64 [--max 2.28]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

__all__ = ["GlibcFloor", "glibc_floor", "glibc_needs", "parse_version"]

_GLIBC = re.compile(r"GLIBC_(\d+(?:\.\d+)+)")
_ELF_MAGIC = b"\x7fELF"

Version = tuple[int, ...]


def parse_version(text: str) -> Version:
    """``2.28`` (or ``GLIBC_2.28``) -> ``(2, 28)``."""
    match = re.fullmatch(r"(?:GLIBC_)?(\d+(?:\.\d+)+)", text.strip())
    if match is None:
        raise ValueError(f"not a glibc version: {text!r} (e.g. 2.28)")
    return tuple(int(part) for part in match.group(1).split("."))


def _show(version: Version) -> str:
    return "GLIBC_" + ".".join(map(str, version))


def glibc_needs(path: Path) -> tuple[set[Version], bool]:
    """The glibc symbol versions the ELF file ``path`` needs, and whether it needs ``GLIBC_PRIVATE`` (glibc's
    internals: only that exact glibc build has them)."""
    versions: set[Version] = set()
    private = False
    with path.open("rb") as fh:
        for section in ELFFile(fh).iter_sections():
            if not isinstance(section, GNUVerNeedSection):
                continue
            for _, auxiliaries in section.iter_versions():
                for aux in auxiliaries:
                    name = str(aux.name)
                    match = _GLIBC.fullmatch(name)
                    if match:
                        versions.add(parse_version(match.group(1)))
                    private = private or name == "GLIBC_PRIVATE"
    return versions, private


def _elf_files(folder: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if path.is_symlink() or not path.is_file():
                continue  # a symlink's target is walked as itself
            with path.open("rb") as fh:
                if fh.read(4) == _ELF_MAGIC:
                    yield path


@dataclass(frozen=True)
class GlibcFloor:
    version: Version | None  # None: no file needs a versioned glibc symbol (or there are no ELF files)
    needed_by: tuple[str, ...]  # files (relative to the folder) that need exactly that version
    private: tuple[str, ...]  # files that need GLIBC_PRIVATE
    elf_files: int

    @property
    def name(self) -> str:
        return _show(self.version) if self.version else "none"


def glibc_floor(folder: Path) -> GlibcFloor:
    """The highest glibc version any ELF file under ``folder`` needs."""
    needs: dict[str, set[Version]] = {}
    private: list[str] = []
    for path in _elf_files(folder):
        relative = path.relative_to(folder).as_posix()
        try:
            needs[relative], needs_private = glibc_needs(path)
        except ELFError as exc:
            raise ValueError(f"{relative}: not a readable ELF file ({exc})") from exc
        if needs_private:
            private.append(relative)
    highest = max((v for versions in needs.values() for v in versions), default=None)
    needed_by = tuple(name for name, versions in needs.items() if highest in versions)
    return GlibcFloor(highest, needed_by if highest else (), tuple(private), len(needs))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m build_tools.glibc_floor", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="the unpacked onedir bundle (or any folder)")
    parser.add_argument("--max", type=parse_version, metavar="X.Y", help="fail if the bundle needs a newer glibc")
    args = parser.parse_args(argv)
    floor = glibc_floor(args.folder)
    print(floor.name)
    more = len(floor.needed_by) - 5
    shown = ", ".join(floor.needed_by[:5]) + (f" and {more} more" if more > 0 else "")
    print(f"  the highest of {floor.elf_files} ELF files; needed by: {shown or '-'}")
    problems = []
    if floor.private:
        problems.append(f"needs GLIBC_PRIVATE (only that exact glibc build has it): {', '.join(floor.private)}")
    if args.max is not None and floor.version is not None and floor.version > args.max:
        problems.append(f"needs {floor.name}, above the allowed {_show(args.max)}: it would not start on older systems")
    strict = args.max is not None  # without --max this only reports
    for problem in problems:
        print(f"glibc_floor: {'error' if strict else 'warning'}: {problem}", file=sys.stderr)
    return 1 if problems and strict else 0


if __name__ == "__main__":
    sys.exit(main())

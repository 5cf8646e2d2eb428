"""build_tools/glibc_floor.py: on ELF files compiled here (one needing a glibc version no glibc has yet, through a
version script), and on the real onedir bundle the session built (the ``frozen_archon`` fixture)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from build_tools.glibc_floor import glibc_floor, glibc_needs, main, parse_version
from tests.conftest import require_tool
from tests.support.binary import FrozenArchon
from tests.support.tools import needs_tools

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF and glibc are Linux's")


def test_versions_compare_as_numbers() -> None:
    assert parse_version("2.28") == (2, 28)
    assert parse_version("GLIBC_2.3.4") == (2, 3, 4)
    assert parse_version("2.9") < parse_version("2.28")
    with pytest.raises(ValueError, match="not a glibc version"):
        parse_version("2")


def _cc(tmp_path: Path, name: str, source: str, *args: str) -> Path:
    src = tmp_path / f"{name}.c"
    src.write_text(source, encoding="utf-8")
    out = tmp_path / name
    subprocess.run([require_tool("gcc"), "-o", str(out), str(src), *args], check=True, capture_output=True, timeout=60)
    return out


@pytest.fixture
@needs_tools("gcc")
def future_bundle(tmp_path: Path) -> Path:
    """A folder like a onedir bundle: a program that needs GLIBC_9.99 from a library (a version script gives the
    library that version node), the library, a symlink to it and a non-ELF file."""
    bundle = tmp_path / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    script = tmp_path / "future.map"
    script.write_text("GLIBC_9.99 { global: archon_future; local: *; };\n", encoding="utf-8")
    _cc(
        tmp_path,
        "libfuture.so",
        "int archon_future(void) { return 7; }\n",
        "-shared",
        "-fPIC",
        f"-Wl,--version-script={script}",
    )
    (tmp_path / "libfuture.so").rename(bundle / "_internal" / "libfuture.so.1")
    (bundle / "_internal" / "libfuture.so").symlink_to("libfuture.so.1")
    program = "int archon_future(void);\nint main(void) { return archon_future() == 7 ? 0 : 1; }\n"
    linked = _cc(tmp_path, "archon", program, "-L", str(bundle / "_internal"), "-lfuture")
    linked.rename(bundle / "archon")
    (bundle / "_internal" / "data.yaml").write_text("name: not an ELF file\n", encoding="utf-8")
    return bundle


@linux_only
def test_a_crafted_elf_that_needs_a_too_new_glibc_is_found_and_fails_the_limit(
    future_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    floor = glibc_floor(future_bundle)
    assert floor.version == (9, 99)
    assert floor.needed_by == ("archon",)
    assert floor.elf_files == 2  # the program and the library; the symlink and data.yaml are not counted twice
    assert main([str(future_bundle), "--max", "2.28"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "GLIBC_9.99"
    assert "needs GLIBC_9.99, above the allowed GLIBC_2.28" in err
    assert main([str(future_bundle)]) == 0  # without --max it reports, for local builds
    assert main([str(future_bundle), "--max", "9.99"]) == 0


@linux_only
@pytest.mark.needs_tool("gcc")
def test_a_program_compiled_here_needs_this_machines_glibc_at_most(tmp_path: Path) -> None:
    program = _cc(tmp_path, "hello", '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    here = subprocess.run(["ldd", "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+\.\d+)\s*$", here.splitlines()[0])
    assert match, here
    versions, private = glibc_needs(program)
    assert versions
    assert max(versions) <= parse_version(match.group(1))
    assert not private


@linux_only
@pytest.mark.slow
def test_the_floor_of_the_bundle_built_here(frozen_archon: FrozenArchon, capsys: pytest.CaptureFixture[str]) -> None:
    """The script on the real onedir bundle, and the line scripts/build-binaries.sh printed for it."""
    floor = glibc_floor(frozen_archon.folder)
    assert floor.version is not None
    assert floor.version >= (2, 2, 5)  # every x86_64/aarch64 program needs at least the base symbol versions
    assert floor.elf_files > 10  # the bootloader, libpython, the extension modules
    assert all((frozen_archon.folder / name).is_file() for name in floor.needed_by)
    assert f"glibc floor: {floor.name}\n" in frozen_archon.log
    assert main([str(frozen_archon.folder)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == floor.name

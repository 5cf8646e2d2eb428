"""build_tools/third_party_licenses.py on the distributions installed here (the binary's own file is checked in
tests/test_build_binaries.py against the real bundle)."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

from build_tools.third_party_licenses import bundled_distributions, python_licence, render, system_libraries


def _file_of(distribution: str, suffix: str) -> Path:
    dist = importlib.metadata.distribution(distribution)
    (file,) = [f for f in dist.files or () if str(f).replace("\\", "/").endswith(suffix)]
    return Path(str(dist.locate_file(file)))


INSTALLED = list(importlib.metadata.distributions())


def test_a_distribution_is_bundled_when_one_of_its_files_was_collected() -> None:
    collected = [_file_of("posthog", "posthog/client.py"), _file_of("certifi", "certifi/cacert.pem")]
    found = bundled_distributions([*collected, Path(sys.base_prefix) / "not-a-distribution.py"], INSTALLED)
    assert [(d.name, d.version) for d in found] == [
        ("certifi", importlib.metadata.version("certifi")),
        ("posthog", importlib.metadata.version("posthog")),
    ]
    posthog = found[1]
    assert posthog.licence == "MIT"
    ((name, text),) = [(n, t) for n, t in posthog.texts if n.endswith("LICENSE")]
    assert text == Path(_file_of("posthog", f"dist-info/{name}")).read_text(encoding="utf-8")


def test_archon_itself_is_not_a_third_party() -> None:
    archon = importlib.metadata.distribution("archon-cli")
    files = [Path(str(archon.locate_file(f))) for f in archon.files or ()]
    assert files
    assert bundled_distributions(files, INSTALLED) == []


def test_the_text_lists_every_distribution_then_python_then_each_licence() -> None:
    dists = bundled_distributions([_file_of("posthog", "posthog/client.py")], INSTALLED)
    title, licence = python_licence()
    assert title.startswith("Python 3.")
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in licence
    text = render(dists, (title, licence), system_libraries=["libz.so.1"])
    assert f"- posthog {dists[0].version}: MIT" in text
    assert "- libz.so.1" in text
    assert text.index(f"\n{title}\n") < text.index(f"\nposthog {dists[0].version}\n")
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in text
    # the order docs/release.md describes: the summary (Python, the distributions, then the system libraries, which
    # have no licence text of their own), then the texts, Python's first
    assert text.index(f"- {title} (the interpreter)") < text.index("- posthog") < text.index("- libz.so.1")
    assert text.index("- libz.so.1") < text.index(f"\n{title}\n") < text.index("PYTHON SOFTWARE FOUNDATION")


def test_system_libraries_are_the_collected_binaries_no_distribution_or_python_owns(tmp_path: Path) -> None:
    outside = tmp_path / "libsystem.so.1"
    outside.write_bytes(b"\x7fELF")
    owned = _file_of("posthog", "posthog/client.py")
    python_own = Path(sys.base_prefix) / "lib" / "libpython-like.so"
    found = system_libraries([("libsystem.so.1", outside), ("client.py", owned), ("libpy.so", python_own)], INSTALLED)
    assert found == ["libsystem.so.1"]

"""THIRD_PARTY_LICENSES of the standalone binary, generated, never typed: which distributions PyInstaller bundled
is read off its analysis (the files it collected), and each one's licence off that distribution's own metadata
(``License-Expression``/``License``/classifiers and the licence files in its ``.dist-info``). Python's own licence
comes from the interpreter that was frozen. build_tools/archon.spec calls :func:`write` after the build.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import Distribution
from pathlib import Path

__all__ = ["BundledDistribution", "bundled_distributions", "python_licence", "render", "system_libraries", "write"]

FIRST_PARTY = frozenset({"archon-cli"})  # archon's own LICENSE ships next to this file
_LICENCE_FILE = re.compile(r"^(LICEN[CS]E|COPYING|COPYRIGHT|NOTICE|AUTHORS)", re.IGNORECASE)
_RULE = "=" * 100


def _normalised_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True, kw_only=True)
class BundledDistribution:
    name: str
    version: str
    licence: str  # the licence as the distribution declares it
    homepage: str
    texts: tuple[tuple[str, str], ...]  # (file name inside .dist-info, its text)


def _field(dist: Distribution, name: str) -> str:
    return str(dist.metadata[name] or "") if name in dist.metadata else ""


def _declared_licence(dist: Distribution) -> str:
    metadata = dist.metadata
    expression = _field(dist, "License-Expression")
    if expression:
        return expression
    declared = _field(dist, "License").strip()
    if declared and "\n" not in declared and len(declared) <= 100:
        return declared
    classifiers = [c.rsplit(" :: ", 1)[-1] for c in metadata.get_all("Classifier") or [] if c.startswith("License ::")]
    return ", ".join(classifiers) or ("see the licence text below" if declared else "not declared")


def _homepage(dist: Distribution) -> str:
    metadata = dist.metadata
    for entry in metadata.get_all("Project-URL") or []:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() in ("homepage", "source", "source code", "repository", "github"):
            return url.strip()
    return _field(dist, "Home-page")


def _licence_texts(dist: Distribution) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for file in dist.files or ():
        parts = file.parts
        if len(parts) >= 2 and parts[0].endswith(".dist-info") and _LICENCE_FILE.match(file.name):
            name = "/".join(parts[1:])
            found[name] = Path(str(dist.locate_file(file))).read_text(encoding="utf-8", errors="replace")
    return tuple(sorted(found.items()))


def _key(path: str | os.PathLike[str]) -> str:
    return os.path.normcase(os.path.realpath(path))


def _owners(distributions: Iterable[Distribution]) -> dict[str, Distribution]:
    """Installed file -> the distribution whose RECORD lists it."""
    owners: dict[str, Distribution] = {}
    for dist in distributions:
        for file in dist.files or ():
            owners.setdefault(_key(str(dist.locate_file(file))), dist)
    return owners


def bundled_distributions(
    bundled_files: Iterable[str | os.PathLike[str]], distributions: Iterable[Distribution]
) -> list[BundledDistribution]:
    """Every distribution with at least one installed file (its RECORD) among ``bundled_files``, the source paths
    PyInstaller collected; archon itself excepted. Sorted by name."""
    owners = _owners(distributions)
    chosen: dict[str, BundledDistribution] = {}
    for path in bundled_files:
        dist = owners.get(_key(path))
        name = _normalised_name(str(dist.metadata["Name"])) if dist is not None else ""
        if dist is None or name in FIRST_PARTY or name in chosen:
            continue
        chosen[name] = BundledDistribution(
            name=str(dist.metadata["Name"]),
            version=dist.version,
            licence=_declared_licence(dist),
            homepage=_homepage(dist),
            texts=_licence_texts(dist),
        )
    return [chosen[name] for name in sorted(chosen)]


def system_libraries(
    binaries: Iterable[tuple[str, str | os.PathLike[str]]], distributions: Iterable[Distribution]
) -> list[str]:
    """The collected shared libraries (``(name in the bundle, source path)``) that belong neither to a Python
    distribution nor to the frozen Python's own installation: they came from the build machine's system."""
    owners = _owners(distributions)
    python_homes = {_key(prefix) + os.sep for prefix in (sys.base_prefix, sys.prefix)}
    return sorted(
        name
        for name, source in binaries
        if _key(source) not in owners and not any(_key(source).startswith(home) for home in python_homes)
    )


def python_licence() -> tuple[str, str]:
    """(``Python X.Y.Z``, the text of this interpreter's LICENSE.txt). Raises FileNotFoundError if it has none."""
    candidates = [Path(sysconfig.get_path("stdlib")) / "LICENSE.txt", Path(sys.base_prefix) / "LICENSE.txt"]
    for candidate in candidates:
        if candidate.is_file():
            return f"Python {sys.version.split()[0]}", candidate.read_text(encoding="utf-8", errors="replace")
    raise FileNotFoundError(f"Python's licence is not at {' or '.join(map(str, candidates))}")


def render(
    distributions: Iterable[BundledDistribution], python: tuple[str, str], *, system_libraries: Iterable[str] = ()
) -> str:
    """The text of THIRD_PARTY_LICENSES."""
    dists = list(distributions)
    libraries = sorted(set(system_libraries))
    lines = [
        "THIRD_PARTY_LICENSES: the software bundled into this archon binary besides archon itself (LICENSE).",
        "Generated by build_tools/third_party_licenses.py from what PyInstaller collected and each distribution's",
        "own metadata; do not edit.",
        "",
        f"- {python[0]} (the interpreter): PSF-2.0 and the licences listed in its text below",
        *(f"- {dist.name} {dist.version}: {dist.licence}" for dist in dists),
    ]
    if libraries:
        lines += [
            "",
            "Shared libraries collected from the build machine (not Python distributions), under the licences of",
            "that system's packages:",
            *(f"- {library}" for library in libraries),
        ]
    sections: list[tuple[str, str, tuple[tuple[str, str], ...]]] = [(python[0], "", (("LICENSE.txt", python[1]),))]
    sections += [(f"{d.name} {d.version}", f"License: {d.licence}\n{d.homepage}".rstrip(), d.texts) for d in dists]
    for title, header, texts in sections:
        lines += ["", _RULE, title, _RULE]
        if header:
            lines.append(header)
        if not texts:
            lines.append("(the distribution ships no licence file in its metadata)")
        for file_name, text in texts:
            lines += ["", f"----- {file_name} -----", "", text.rstrip()]
    return "\n".join(lines) + "\n"


def write(
    out: Path,
    bundled_files: Iterable[str | os.PathLike[str]],
    distributions: Iterable[Distribution],
    *,
    system_libraries: Iterable[str] = (),
) -> list[BundledDistribution]:
    """Write THIRD_PARTY_LICENSES to ``out``; returns the distributions it covers."""
    dists = bundled_distributions(bundled_files, distributions)
    out.write_text(render(dists, python_licence(), system_libraries=system_libraries), encoding="utf-8", newline="\n")
    return dists

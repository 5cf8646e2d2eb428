"""What the standalone binary may bundle: archon's runtime dependency closure, never the build environment's tools.

PyInstaller follows every import it can see, optional ones included: ``requests`` tries ``import cryptography``,
``rich`` tries ``import attr``. Frozen in the dev venv, which also holds twine (and through it cryptography),
pytest, mypy and the rest, the binary would carry whatever dev tool happens to be installed, and change when a dev
tool changes. So the spec excludes the top-level modules of every installed distribution outside the closure of
``[project] dependencies`` (environment markers evaluated, no extras), computed here from the installed metadata.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from importlib.metadata import Distribution
from pathlib import Path

from packaging.requirements import Requirement

__all__ = ["ALWAYS_BUNDLED", "foreign_modules", "project_dependencies", "runtime_closure"]

# archon itself, and PyInstaller's own bootloader and runtime hooks, which are in every binary it makes.
ALWAYS_BUNDLED = frozenset({"archon-cli", "pyinstaller", "pyinstaller-hooks-contrib"})


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _needs(requirement: Requirement, extras: Iterable[str] = ()) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in [*extras, ""])


def runtime_closure(requirements: Iterable[str], installed: Iterable[Distribution]) -> frozenset[str]:
    """Normalised names of the distributions ``requirements`` need at run time, transitively, as installed."""
    by_name = {_name(str(dist.metadata["Name"])): dist for dist in installed}
    pending = [requirement for requirement in map(Requirement, requirements) if _needs(requirement)]
    closure: set[str] = set()
    seen: set[tuple[str, frozenset[str]]] = set()  # a name again with other extras needs those extras' requirements
    while pending:
        requirement = pending.pop()  # its marker held where it was required
        name = _name(requirement.name)
        if (name, frozenset(requirement.extras)) in seen:
            continue
        seen.add((name, frozenset(requirement.extras)))
        closure.add(name)
        dist = by_name.get(name)
        for text in (dist.requires or []) if dist is not None else []:
            inner = Requirement(text)
            if _needs(inner, requirement.extras):
                pending.append(inner)
    return frozenset(closure)


def foreign_modules(top_levels: Mapping[str, list[str]], allowed: Iterable[str]) -> list[str]:
    """Top-level module names (``importlib.metadata.packages_distributions()``) provided only by distributions
    outside ``allowed``: what the binary must not bundle."""
    keep = {_name(name) for name in allowed}
    return sorted(
        module
        for module, dists in top_levels.items()
        if module.isidentifier() and not any(_name(dist) in keep for dist in dists)
    )


def project_dependencies(root: Path) -> list[str]:
    """``[project] dependencies`` of ``root``'s pyproject.toml."""
    with (root / "pyproject.toml").open("rb") as fh:
        return list(tomllib.load(fh)["project"]["dependencies"])

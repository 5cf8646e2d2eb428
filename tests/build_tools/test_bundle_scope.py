"""build_tools/bundle_scope.py: the binary bundles archon's runtime dependency closure, not the dev tools."""

from __future__ import annotations

import importlib.metadata

from build_tools.bundle_scope import ALWAYS_BUNDLED, foreign_modules, project_dependencies, runtime_closure
from tests.support.artefacts import REPO_ROOT

INSTALLED = list(importlib.metadata.distributions())


def test_the_closure_follows_requirements_through_the_installed_metadata() -> None:
    closure = runtime_closure(project_dependencies(REPO_ROOT), INSTALLED)
    assert {"posthog", "requests", "urllib3", "certifi", "typer", "ruamel-yaml"} <= closure
    assert closure.isdisjoint({"pytest", "mypy", "twine", "keyring", "cryptography", "pyinstaller", "hypothesis"})


def test_extras_and_markers_that_do_not_apply_are_not_followed() -> None:
    closure = runtime_closure(
        ['requests[socks]; python_version >= "3"', 'nothing-here; python_version < "3"'], INSTALLED
    )
    assert "requests" in closure
    assert "nothing-here" not in closure
    assert "pysocks" in closure  # the extra asked for, though not installed: a name, not a crash


def test_foreign_modules_are_those_only_other_distributions_provide() -> None:
    top_levels = {"requests": ["requests"], "attr": ["attrs"], "yaml": ["PyYAML", "ruamel.yaml"], "_x.pth": ["x"]}
    assert foreign_modules(top_levels, ["requests", "ruamel-yaml"]) == ["attr"]


def test_the_dev_tools_installed_here_are_excluded_from_the_binary() -> None:
    allowed = runtime_closure(project_dependencies(REPO_ROOT), INSTALLED) | ALWAYS_BUNDLED
    excluded = set(foreign_modules(importlib.metadata.packages_distributions(), allowed))
    assert {"pytest", "mypy", "twine", "hypothesis"} <= excluded
    assert excluded.isdisjoint({"posthog", "requests", "typer", "ruamel", "certifi", "archon", "PyInstaller"})

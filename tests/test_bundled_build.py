"""The committed archon/bundled_build.py must hold the development values: no key, so no telemetry."""

from __future__ import annotations

import ast

from archon import bundled_build
from tests.support.artefacts import REPO_ROOT


def test_dev_key_is_empty() -> None:
    assert bundled_build.BUNDLED_POSTHOG_KEY == ""


def test_other_dev_values() -> None:
    assert bundled_build.BUNDLED_IS_BINARY is False
    assert bundled_build.BUNDLED_VERSION == "dev"
    assert bundled_build.BUNDLED_GIT_COMMIT == "unknown"
    assert bundled_build.BUNDLED_INSTALL_METHOD == "source"
    assert bundled_build.BUNDLED_POSTHOG_HOST == "https://telemetry.archon-cli.dev"  # the first-party proxy


def test_committed_module_holds_only_literal_constants() -> None:
    tree = ast.parse((REPO_ROOT / "archon" / "bundled_build.py").read_text(encoding="utf-8"))
    names = [
        node.target.id for node in tree.body if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    ]
    assert names == [
        "BUNDLED_IS_BINARY",
        "BUNDLED_VERSION",
        "BUNDLED_GIT_COMMIT",
        "BUNDLED_POSTHOG_KEY",
        "BUNDLED_POSTHOG_HOST",
        "BUNDLED_INSTALL_METHOD",
    ]
    for node in tree.body:
        if isinstance(node, ast.AnnAssign):
            assert isinstance(node.value, ast.Constant)

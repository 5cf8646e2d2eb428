"""Hatchling build hook: the wheel gets a generated ``archon/bundled_build.py``; nothing else changes.

A thin shim over build_tools/constants.py (hatchling loads this file by path). The sdist and editable installs
keep the committed development module; the work tree is never written to.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLED_MODULE = "archon/bundled_build.py"


def _load_constants_module(root: str) -> ModuleType:
    path = Path(root) / "build_tools" / "constants.py"
    spec = importlib.util.spec_from_file_location("_archon_build_constants", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


class ArchonBuildHook(BuildHookInterface[Any]):
    PLUGIN_NAME = "custom"

    _tmpdir: str | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        lib = _load_constants_module(self.root)
        try:
            constants, warnings = lib.constants_from_env(
                os.environ,
                is_binary=False,
                default_version=self.metadata.version,
                default_install_method="pip",
                commit_of=lambda: lib.git_commit(Path(self.root)),
            )
        except lib.BuildConstantsError as exc:
            raise SystemExit(f"archon build: {exc}") from None
        for warning in warnings:
            self.app.display_warning(f"archon build: {warning}")
        self._tmpdir = tempfile.mkdtemp(prefix="archon-bundled-")
        generated = Path(self._tmpdir) / "bundled_build.py"
        generated.write_text(lib.render(constants), encoding="utf-8")
        build_data["force_include"][str(generated)] = BUNDLED_MODULE
        self.app.display_info(
            f"archon build: embedding version {constants.version}, commit {constants.git_commit}, "
            f"telemetry key {'embedded' if constants.posthog_key else 'none'}, host {constants.posthog_host}"
        )

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

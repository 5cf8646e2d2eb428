"""Hatchling hooks (hatchling loads this file by path): a thin shim over build_tools/constants.py.

- Metadata hook: the project's one version, ``VERSION`` from the build environment or ``[tool.archon] version``
  (hatchling normalises it to PEP 440; a wheel built from an sdist keeps the sdist's version, from its PKG-INFO).
- Build hook, wheel: a generated ``archon/bundled_build.py`` carrying that same version, the commit and the key.
- Build hook, sdist: a ``GIT_COMMIT`` file recording the commit it was made from (never a key); the sdist keeps
  the committed development ``bundled_build.py``.

Editable installs keep the committed development module; the work tree is never written to.
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
from hatchling.metadata.plugin.interface import MetadataHookInterface

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


class ArchonMetadataHook(MetadataHookInterface):
    PLUGIN_NAME = "custom"

    def update(self, metadata: dict[str, Any]) -> None:
        lib = _load_constants_module(self.root)
        try:
            metadata["version"] = lib.resolve_version(os.environ, Path(self.root))
        except lib.BuildConstantsError as exc:
            raise SystemExit(f"archon build: {exc}") from None


class ArchonBuildHook(BuildHookInterface[Any]):
    PLUGIN_NAME = "custom"

    _tmpdir: str | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable" or self.target_name not in ("wheel", "sdist"):
            return
        lib = _load_constants_module(self.root)
        root = Path(self.root)
        try:
            artefact_version = lib.resolve_version(os.environ, root)
            if artefact_version != self.metadata.version:  # e.g. a static [project] version next to VERSION
                raise lib.BuildConstantsError(
                    f"the metadata says version {self.metadata.version} but the build resolved {artefact_version}"
                )
            constants, warnings = lib.constants_from_env(
                os.environ,
                is_binary=False,
                version=artefact_version,
                commit_of=lambda: lib.source_commit(root),
            )
        except lib.BuildConstantsError as exc:
            raise SystemExit(f"archon build: {exc}") from None
        self._tmpdir = tempfile.mkdtemp(prefix="archon-build-")
        if self.target_name == "sdist":
            if constants.git_commit != "unknown":
                recorded = Path(self._tmpdir) / lib.SDIST_COMMIT_FILE
                recorded.write_text(constants.git_commit + "\n", encoding="utf-8")
                build_data["force_include"][str(recorded)] = lib.SDIST_COMMIT_FILE
            self.app.display_info(f"archon build: sdist of version {constants.version}, commit {constants.git_commit}")
            return
        for warning in warnings:
            self.app.display_warning(f"archon build: {warning}")
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

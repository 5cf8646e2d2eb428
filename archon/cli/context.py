"""The per-run application object the root callback stores in ``ctx.obj``."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer

from archon.buildinfo import BuildInfo, current_build
from archon.paths import ArchonPaths
from archon.runtime import Runtime

__all__ = ["Application", "get_app"]


@dataclass
class Application:
    runtime: Runtime
    build: BuildInfo = field(default_factory=current_build)

    @property
    def paths(self) -> ArchonPaths:
        return ArchonPaths(self.runtime.home)


def get_app(ctx: typer.Context) -> Application:
    """The Application for this run; built from the real environment when a test invoked a subcommand directly."""
    root = ctx.find_root()
    if not isinstance(root.obj, Application):
        root.obj = Application(runtime=Runtime.from_os())
    return root.obj

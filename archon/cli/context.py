"""The per-run application object the root callback stores in ``ctx.obj``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import typer

from archon.buildinfo import BuildInfo, current_build
from archon.paths import ArchonPaths
from archon.runtime import Runtime

if TYPE_CHECKING:  # the event schema is loaded only by runs that record (see archon.cli.app)
    from archon.telemetry.schema import Event

__all__ = ["Application", "EventSink", "NullSink", "get_app"]


class EventSink(Protocol):
    """Where commands report telemetry events. Implementations never raise and never block."""

    def record(self, event: Event) -> None: ...


class NullSink:
    """Records nothing: the sink when telemetry is off. The CLI does not even build its events for it."""

    def record(self, event: Event) -> None:
        return None


@dataclass
class Application:
    runtime: Runtime
    build: BuildInfo = field(default_factory=current_build)
    telemetry: EventSink = field(default_factory=NullSink)

    @property
    def paths(self) -> ArchonPaths:
        return ArchonPaths(self.runtime.home)


def get_app(ctx: typer.Context) -> Application:
    """The Application for this run; built from the real environment when a test invoked a subcommand directly."""
    root = ctx.find_root()
    if not isinstance(root.obj, Application):
        root.obj = Application(runtime=Runtime.from_os())
    return root.obj

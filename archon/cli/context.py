"""The per-run application object the root callback stores in ``ctx.obj``."""

from __future__ import annotations

from collections.abc import Callable
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


class Application:
    """This run: the outside world, the build, and where commands report telemetry (set once the run knows).

    A plain class, not a dataclass: it is built on every start (see ``archon.runtime.Runtime``).
    """

    __slots__ = ("build", "dispatched", "runtime", "telemetry")

    def __init__(self, *, runtime: Runtime, build: BuildInfo | None = None, telemetry: EventSink | None = None) -> None:
        self.runtime = runtime
        self.build = build or current_build()
        self.telemetry: EventSink = telemetry or NullSink()
        self.dispatched: Callable[[typer.Context], None] | None = None
        """Told by the root command which command the parser dispatches to, before it runs (archon.cli.app)."""

    @property
    def paths(self) -> ArchonPaths:
        return ArchonPaths(self.runtime.home)


def get_app(ctx: typer.Context) -> Application:
    """The Application for this run; built from the real environment when a test invoked a subcommand directly."""
    root = ctx.find_root()
    if not isinstance(root.obj, Application):
        root.obj = Application(runtime=Runtime.from_os())
    return root.obj

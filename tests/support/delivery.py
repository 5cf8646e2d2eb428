"""Helpers for the delivery tests: real events made the real way, a keyed build pointing at a loopback server,
and consent turned on the way ``archon telemetry on`` does it (by writing config.yaml)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from archon.buildinfo import BuildInfo, current_build
from archon.config import set_config_value
from archon.paths import ArchonPaths
from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.recorder import common_properties, stored_event
from archon.telemetry.schema import CliCommandCompleted, SafeName

__all__ = ["TEST_KEY", "keyed_build", "make_event", "opt_in"]

TEST_KEY = "phc_archonTestKey0123456789abcdefghijklmnopqrstuv"


def keyed_build(host: str) -> BuildInfo:
    """This build's constants, with the test key and ``host`` as if embedded at build time."""
    return current_build()._replace(posthog_key=TEST_KEY, posthog_host=host)


def make_event(*, exit_code: int = 0, distinct_id: str | None = None, when: datetime | None = None) -> StoredEvent:
    """A ``cli.command_completed`` event exactly as the recorder stores it."""
    return stored_event(
        CliCommandCompleted(
            command=SafeName("workflow"), subcommand=SafeName("run"), exit_code=exit_code, duration_ms=12
        ),
        common=common_properties(current_build()),
        distinct_id=distinct_id or str(uuid.uuid4()),
        now=when or datetime.now(UTC),
    )


def opt_in(paths: ArchonPaths) -> None:
    set_config_value(paths.config, ("telemetry", "enabled"), True)

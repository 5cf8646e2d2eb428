"""Consent as ``archon telemetry on`` gives it, for tests that need telemetry on without running the CLI:
``telemetry.enabled: true`` in config.yaml and a consent record of this build's policy."""

from __future__ import annotations

from datetime import UTC, datetime

from archon.buildinfo import BuildInfo, current_build
from archon.config import set_config_value
from archon.paths import ArchonPaths
from archon.telemetry.consent import CONFIG_ENABLED_KEY
from archon.telemetry.consent_record import ConsentRecord, new_consent_record, write_consent_record
from archon.telemetry.policy import build_policy

__all__ = ["consent_on"]


def consent_on(paths: ArchonPaths, *, build: BuildInfo | None = None) -> ConsentRecord:
    """Turn telemetry on in config.yaml and record consent to this build's policy; the record written."""
    set_config_value(paths.config, CONFIG_ENABLED_KEY, True)
    record = new_consent_record(
        policy=build_policy(), build=build or current_build(), now=datetime.now(UTC), how="command"
    )
    write_consent_record(paths, record)
    return record

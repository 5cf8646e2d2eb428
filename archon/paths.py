"""Where archon keeps its files. Computes paths only; never touches the disk."""

from __future__ import annotations

from pathlib import Path

from archon.value import Value

__all__ = ["ArchonPaths"]


class ArchonPaths(Value):
    """Every file under the archon home (``~/.archon`` or ``$ARCHON_HOME``).

    A :class:`~archon.value.Value`: it is defined and built on every start (see that module).
    """

    home: Path

    @property
    def config(self) -> Path:
        return self.home / "config.yaml"

    @property
    def config_cache(self) -> Path:
        """What config.yaml's ``telemetry:`` section says, kept so that deciding needs no YAML parser."""
        return self.home / ".config-cache"

    @property
    def telemetry_id(self) -> Path:
        return self.home / "telemetry-id"

    @property
    def first_run_marker(self) -> Path:
        return self.home / ".first-run-completed"

    @property
    def telemetry_dir(self) -> Path:
        return self.home / "telemetry"

    @property
    def outbox(self) -> Path:
        return self.telemetry_dir / "outbox"

    @property
    def outbox_inflight(self) -> Path:
        """Events a flusher has claimed and is sending; moved back to the outbox if it dies."""
        return self.telemetry_dir / "inflight"

    @property
    def flush_lock(self) -> Path:
        return self.telemetry_dir / "flush.lock"

    @property
    def state_lock(self) -> Path:
        """Guards the short read-modify-write of ``state.json`` and the outbox trim."""
        return self.telemetry_dir / "state.lock"

    @property
    def telemetry_state(self) -> Path:
        return self.telemetry_dir / "state.json"

    @property
    def sent_log(self) -> Path:
        return self.telemetry_dir / "sent.jsonl"

    @property
    def consent_record(self) -> Path:
        """What the user consented to with ``archon telemetry on``: when, how, and the policy with its hash."""
        return self.telemetry_dir / "consent.json"

    @property
    def prepared_events(self) -> Path:
        """A command's own events, serialised ahead with their varying values left open (and what they hold for)."""
        return self.telemetry_dir / ".prepared-events"

    @property
    def policy_notice(self) -> Path:
        """Which policy change the "not consented to" notice was last shown for (shown once per change)."""
        return self.telemetry_dir / "policy-notice"

    @property
    def local_events(self) -> Path:
        """Events recorded in local-only mode: kept here, shown by ``inspect``, never sent."""
        return self.telemetry_dir / "local"

    @property
    def workflows(self) -> Path:
        return self.home / "workflows"

    @property
    def tmp(self) -> Path:
        """The private temporary directories of assistant nodes, one per run (:mod:`archon.workflows.temp_dirs`)."""
        return self.home / "tmp"

"""Where archon keeps its files. Computes paths only; never touches the disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ArchonPaths"]


@dataclass(frozen=True)
class ArchonPaths:
    """Every file under the archon home (``~/.archon`` or ``$ARCHON_HOME``)."""

    home: Path

    @property
    def config(self) -> Path:
        return self.home / "config.yaml"

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
    def workflows(self) -> Path:
        return self.home / "workflows"

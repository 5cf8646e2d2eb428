"""Opt-in, anonymous usage telemetry. See docs/telemetry.md for what is sent and how to turn it off."""

from __future__ import annotations

__all__: list[str] = []

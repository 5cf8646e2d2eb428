"""Whether telemetry is on, and why: a pure function of the environment and ``config.yaml``.

The order is fixed (docs/telemetry.md, "Turning it off"); the first rule that matches decides:

1. ``DO_NOT_TRACK`` set to anything but ``""``, ``0``, ``false``, ``no`` -> off.
2. ``ARCHON_TELEMETRY_DISABLED`` set to a true value (``1``, ``true``, ``yes``, ``on``) -> off. A value that is
   not understood also means off (and is reported), since the variable only exists to disable.
3. ``ARCHON_TELEMETRY``: ``on|1|true|yes`` -> on, ``off|0|false|no`` -> off, anything else -> off (reported).
4. ``config.yaml`` ``telemetry.enabled: true|false``. Unreadable or malformed config -> off (reported).
5. Otherwise off.

Nothing here reads the disk or the process environment: callers pass both in, so every case is testable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from archon.config import ConfigState
from archon.runtime import ENV_ARCHON_TELEMETRY, ENV_ARCHON_TELEMETRY_DISABLED, ENV_DO_NOT_TRACK

__all__ = ["Consent", "ConsentSource", "resolve_consent"]

ConsentSource = Literal["DO_NOT_TRACK", "ARCHON_TELEMETRY_DISABLED", "ARCHON_TELEMETRY", "config", "default"]

_FALSY = frozenset({"", "0", "false", "no", "off"})
_DNT_FALSY = frozenset({"", "0", "false", "no"})
_TRUTHY = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True, kw_only=True)
class Consent:
    """The decision, the rule that made it, a sentence for ``status``, and what was not understood (if anything)."""

    enabled: bool
    source: ConsentSource
    explanation: str
    problem: str | None = None


def _normalised(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip().lower()


def _config_setting(config: ConfigState) -> tuple[bool | None, str | None]:
    """``telemetry.enabled`` as a bool (None when absent or unusable) and the problem, if any."""
    if config.error is not None:
        return None, f"config.yaml could not be read: {config.error}"
    value = config.get("telemetry", "enabled")
    if value is None:
        return None, None
    if isinstance(value, bool):
        return value, None
    return None, f"telemetry.enabled in {config.path} must be true or false, not {value!r}"


def _config_note(config: ConfigState) -> str:
    """What config.yaml says, for "... which overrides config.yaml (enabled)"."""
    setting, problem = _config_setting(config)
    if problem is not None:
        return "config.yaml (unreadable or invalid)"
    if setting is None:
        return "config.yaml (not set)"
    return f"config.yaml ({'enabled' if setting else 'disabled'})"


def resolve_consent(env: Mapping[str, str], config: ConfigState) -> Consent:
    """Decide whether telemetry is on. Never raises; anything unexpected resolves to off."""
    return _from_opt_outs(env, config) or _from_switch(env, config) or _from_config(config)


def _from_opt_outs(env: Mapping[str, str], config: ConfigState) -> Consent | None:
    """Rules 1 and 2: the variables that can only turn telemetry off."""
    dnt = _normalised(env, ENV_DO_NOT_TRACK)
    if dnt not in _DNT_FALSY:
        return Consent(
            enabled=False,
            source="DO_NOT_TRACK",
            explanation=f"off: DO_NOT_TRACK is set, which overrides {_config_note(config)}",
        )

    disabled = _normalised(env, ENV_ARCHON_TELEMETRY_DISABLED)
    if disabled not in _FALSY:
        problem = None
        if disabled not in _TRUTHY:
            problem = (
                f"ARCHON_TELEMETRY_DISABLED={env.get(ENV_ARCHON_TELEMETRY_DISABLED, '')!r} was not understood "
                "(use 1 to disable); treated as disabled"
            )
        return Consent(
            enabled=False,
            source="ARCHON_TELEMETRY_DISABLED",
            explanation=f"off: ARCHON_TELEMETRY_DISABLED is set, which overrides {_config_note(config)}",
            problem=problem,
        )
    return None


def _from_switch(env: Mapping[str, str], config: ConfigState) -> Consent | None:
    """Rule 3: ``ARCHON_TELEMETRY``, when set."""
    switch = _normalised(env, ENV_ARCHON_TELEMETRY)
    if not switch:
        return None
    if switch in _TRUTHY:
        return Consent(
            enabled=True,
            source="ARCHON_TELEMETRY",
            explanation=f"on: ARCHON_TELEMETRY={switch}, which overrides {_config_note(config)}",
        )
    if switch in _FALSY:
        return Consent(
            enabled=False,
            source="ARCHON_TELEMETRY",
            explanation=f"off: ARCHON_TELEMETRY={switch}, which overrides {_config_note(config)}",
        )
    return Consent(
        enabled=False,
        source="ARCHON_TELEMETRY",
        explanation="off: ARCHON_TELEMETRY has a value that was not understood",
        problem=(
            f"ARCHON_TELEMETRY={env.get(ENV_ARCHON_TELEMETRY, '')!r} was not understood (use on or off); treated as off"
        ),
    )


def _from_config(config: ConfigState) -> Consent:
    """Rules 4 and 5: ``config.yaml``, else the default."""
    setting, problem = _config_setting(config)
    if problem is not None:
        return Consent(
            enabled=False,
            source="config",
            explanation="off: config.yaml could not be understood, so telemetry stays off",
            problem=problem,
        )
    if setting is not None:
        state = "on" if setting else "off"
        return Consent(
            enabled=setting,
            source="config",
            explanation=f"{state}: telemetry.enabled is {str(setting).lower()} in config.yaml",
        )
    return Consent(
        enabled=False,
        source="default",
        explanation="off: telemetry is off by default; `archon telemetry on` opts in",
    )

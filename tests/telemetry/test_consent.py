"""Consent precedence (DESIGN §3) as one table, plus the explanations ``status`` shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from archon.config import ConfigState, read_config
from archon.telemetry.consent import ConsentSource, resolve_consent

CONFIG = Path("/archon-home/config.yaml")


def _config(enabled: object = None, *, error: str | None = None) -> ConfigState:
    if error is not None:
        return ConfigState(path=CONFIG, exists=True, error=error)
    if enabled is None:
        return ConfigState(path=CONFIG, exists=False)
    return ConfigState(path=CONFIG, exists=True, data={"telemetry": {"enabled": enabled}})


ON = _config(True)
OFF = _config(False)
UNSET = _config()
BROKEN = _config(error="config.yaml is not valid YAML")

# (env, config, enabled, source, has_problem)
TABLE: list[tuple[dict[str, str], ConfigState, bool, ConsentSource, bool]] = [
    ({}, UNSET, False, "default", False),
    ({}, ON, True, "config", False),
    ({}, OFF, False, "config", False),
    ({}, BROKEN, False, "config", True),
    ({}, _config("yes"), False, "config", True),
    ({}, _config(1), False, "config", True),
    # 1. DO_NOT_TRACK wins over everything, whatever non-false value it has.
    ({"DO_NOT_TRACK": "1"}, ON, False, "DO_NOT_TRACK", False),
    ({"DO_NOT_TRACK": "true"}, ON, False, "DO_NOT_TRACK", False),
    ({"DO_NOT_TRACK": "YES"}, ON, False, "DO_NOT_TRACK", False),
    ({"DO_NOT_TRACK": "anything"}, ON, False, "DO_NOT_TRACK", False),
    ({"DO_NOT_TRACK": "1", "ARCHON_TELEMETRY": "on"}, ON, False, "DO_NOT_TRACK", False),
    # ... and its false values enable nothing: the next rule decides.
    ({"DO_NOT_TRACK": "0"}, UNSET, False, "default", False),
    ({"DO_NOT_TRACK": "false"}, UNSET, False, "default", False),
    ({"DO_NOT_TRACK": "No"}, UNSET, False, "default", False),
    ({"DO_NOT_TRACK": ""}, UNSET, False, "default", False),
    ({"DO_NOT_TRACK": "0"}, ON, True, "config", False),
    # 2. ARCHON_TELEMETRY_DISABLED beats ARCHON_TELEMETRY and config.
    ({"ARCHON_TELEMETRY_DISABLED": "1"}, ON, False, "ARCHON_TELEMETRY_DISABLED", False),
    ({"ARCHON_TELEMETRY_DISABLED": "1", "ARCHON_TELEMETRY": "on"}, ON, False, "ARCHON_TELEMETRY_DISABLED", False),
    ({"ARCHON_TELEMETRY_DISABLED": "true"}, ON, False, "ARCHON_TELEMETRY_DISABLED", False),
    ({"ARCHON_TELEMETRY_DISABLED": "maybe"}, ON, False, "ARCHON_TELEMETRY_DISABLED", True),
    ({"ARCHON_TELEMETRY_DISABLED": "0"}, ON, True, "config", False),
    ({"ARCHON_TELEMETRY_DISABLED": ""}, ON, True, "config", False),
    # 3. ARCHON_TELEMETRY beats config; unknown values are off and reported.
    ({"ARCHON_TELEMETRY": "on"}, OFF, True, "ARCHON_TELEMETRY", False),
    ({"ARCHON_TELEMETRY": "1"}, UNSET, True, "ARCHON_TELEMETRY", False),
    ({"ARCHON_TELEMETRY": "TRUE"}, UNSET, True, "ARCHON_TELEMETRY", False),
    ({"ARCHON_TELEMETRY": "yes"}, BROKEN, True, "ARCHON_TELEMETRY", False),
    ({"ARCHON_TELEMETRY": "off"}, ON, False, "ARCHON_TELEMETRY", False),
    ({"ARCHON_TELEMETRY": "0"}, ON, False, "ARCHON_TELEMETRY", False),
    ({"ARCHON_TELEMETRY": "false"}, ON, False, "ARCHON_TELEMETRY", False),
    ({"ARCHON_TELEMETRY": "no"}, ON, False, "ARCHON_TELEMETRY", False),
    ({"ARCHON_TELEMETRY": "enable"}, ON, False, "ARCHON_TELEMETRY", True),
    ({"ARCHON_TELEMETRY": ""}, ON, True, "config", False),
]


@pytest.mark.parametrize(("env", "config", "enabled", "source", "has_problem"), TABLE)
def test_precedence(
    env: dict[str, str], config: ConfigState, enabled: bool, source: ConsentSource, has_problem: bool
) -> None:
    consent = resolve_consent(env, config)
    assert (consent.enabled, consent.source, consent.problem is not None) == (enabled, source, has_problem)
    assert consent.explanation.startswith("on: " if enabled else "off: ")


def test_do_not_track_explains_what_it_overrides() -> None:
    consent = resolve_consent({"DO_NOT_TRACK": "1"}, ON)
    assert consent.explanation == "off: DO_NOT_TRACK is set, which overrides config.yaml (enabled)"


def test_unknown_switch_value_is_named_in_the_problem() -> None:
    consent = resolve_consent({"ARCHON_TELEMETRY": "sometimes"}, ON)
    assert consent.problem is not None
    assert "'sometimes'" in consent.problem


def test_malformed_config_file_resolves_off_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("telemetry: {enabled: true\n", encoding="utf-8")
    consent = resolve_consent({}, read_config(path))
    assert not consent.enabled
    assert consent.problem is not None
    assert "could not be read" in consent.problem


def test_config_written_true_resolves_on(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("# mine\ntelemetry:\n  enabled: true\n", encoding="utf-8")
    assert resolve_consent({}, read_config(path)).enabled

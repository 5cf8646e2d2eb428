"""Consent precedence (DESIGN §3) as one table; the environment decides without reading config.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from archon.config import ConfigState, read_config
from archon.private_files import Distrust, Untrusted
from archon.runtime import flag
from archon.telemetry.consent import Consent, may_record, resolve_consent

if TYPE_CHECKING:
    from archon.config import ConfigProblem
    from archon.telemetry.consent import ConsentProblem, ConsentSource

CONFIG = Path("/archon-home/config.yaml")


def _config(enabled: object = None, *, problem: ConfigProblem | None = None) -> ConfigState:
    if problem is not None:
        return ConfigState(path=CONFIG, exists=True, problem=problem)
    if enabled is None:
        return ConfigState(path=CONFIG, exists=False)
    return ConfigState(path=CONFIG, exists=True, data={"telemetry": {"enabled": enabled}})


ON = _config(True)
OFF = _config(False)
UNSET = _config()
BROKEN = _config(problem="invalid-yaml")
DEFAULT: ConsentSource = "default"
FROM_CONFIG: ConsentSource = "config"
DNT: ConsentSource = "DO_NOT_TRACK"
DISABLED: ConsentSource = "ARCHON_TELEMETRY_DISABLED"
SWITCH: ConsentSource = "ARCHON_TELEMETRY"

# (env, config, enabled, source, has_problem)
TABLE: list[tuple[dict[str, str], ConfigState, bool, ConsentSource, bool]] = [
    ({}, UNSET, False, DEFAULT, False),
    ({}, ON, True, FROM_CONFIG, False),
    ({}, OFF, False, FROM_CONFIG, False),
    ({}, BROKEN, False, FROM_CONFIG, True),
    ({}, _config("yes"), False, FROM_CONFIG, True),
    ({}, _config(1), False, FROM_CONFIG, True),
    # 1. DO_NOT_TRACK wins over everything, whatever non-false value it has.
    ({"DO_NOT_TRACK": "1"}, ON, False, DNT, False),
    ({"DO_NOT_TRACK": "true"}, ON, False, DNT, False),
    ({"DO_NOT_TRACK": "YES"}, ON, False, DNT, False),
    ({"DO_NOT_TRACK": "anything"}, ON, False, DNT, False),
    ({"DO_NOT_TRACK": "1", "ARCHON_TELEMETRY": "on"}, ON, False, DNT, False),
    # ... and its false values enable nothing: the next rule decides.
    ({"DO_NOT_TRACK": "0"}, UNSET, False, DEFAULT, False),
    ({"DO_NOT_TRACK": "false"}, UNSET, False, DEFAULT, False),
    ({"DO_NOT_TRACK": "No"}, UNSET, False, DEFAULT, False),
    ({"DO_NOT_TRACK": ""}, UNSET, False, DEFAULT, False),
    ({"DO_NOT_TRACK": "0"}, ON, True, FROM_CONFIG, False),
    # ... read by the one parser of boolean variables (archon.runtime.flag): any case, surrounding spaces ignored.
    ({"DO_NOT_TRACK": " "}, ON, True, FROM_CONFIG, False),
    ({"DO_NOT_TRACK": "FALSE"}, ON, True, FROM_CONFIG, False),
    ({"DO_NOT_TRACK": " no "}, ON, True, FROM_CONFIG, False),
    ({"DO_NOT_TRACK": "off"}, ON, True, FROM_CONFIG, False),
    ({"DO_NOT_TRACK": " ON "}, ON, False, DNT, False),
    # 2. ARCHON_TELEMETRY_DISABLED beats ARCHON_TELEMETRY and config.
    ({"ARCHON_TELEMETRY_DISABLED": "1"}, ON, False, DISABLED, False),
    ({"ARCHON_TELEMETRY_DISABLED": "1", "ARCHON_TELEMETRY": "on"}, ON, False, DISABLED, False),
    ({"ARCHON_TELEMETRY_DISABLED": "true"}, ON, False, DISABLED, False),
    ({"ARCHON_TELEMETRY_DISABLED": "maybe"}, ON, False, DISABLED, True),
    ({"ARCHON_TELEMETRY_DISABLED": "0"}, ON, True, FROM_CONFIG, False),
    ({"ARCHON_TELEMETRY_DISABLED": ""}, ON, True, FROM_CONFIG, False),
    # 3. ARCHON_TELEMETRY beats config; unknown values are off and reported.
    ({"ARCHON_TELEMETRY": "on"}, OFF, True, SWITCH, False),
    ({"ARCHON_TELEMETRY": "1"}, UNSET, True, SWITCH, False),
    ({"ARCHON_TELEMETRY": "TRUE"}, UNSET, True, SWITCH, False),
    ({"ARCHON_TELEMETRY": "yes"}, BROKEN, True, SWITCH, False),
    ({"ARCHON_TELEMETRY": "off"}, ON, False, SWITCH, False),
    ({"ARCHON_TELEMETRY": "0"}, ON, False, SWITCH, False),
    ({"ARCHON_TELEMETRY": "false"}, ON, False, SWITCH, False),
    ({"ARCHON_TELEMETRY": "no"}, ON, False, SWITCH, False),
    ({"ARCHON_TELEMETRY": "enable"}, ON, False, SWITCH, True),
    ({"ARCHON_TELEMETRY": ""}, ON, True, FROM_CONFIG, False),
]


@pytest.mark.parametrize(("env", "config", "enabled", "source", "has_problem"), TABLE)
def test_precedence(
    env: dict[str, str], config: ConfigState, enabled: bool, source: ConsentSource, has_problem: bool
) -> None:
    consent = resolve_consent(env, lambda: config)
    assert (consent.enabled, consent.source, consent.problem is not None) == (enabled, source, has_problem)


def _never_read() -> ConfigState:
    raise AssertionError("config.yaml was read although the environment decides")


@pytest.mark.parametrize(
    "env",
    [
        {"DO_NOT_TRACK": "1"},
        {"ARCHON_TELEMETRY_DISABLED": "1"},
        {"ARCHON_TELEMETRY": "off"},
        {"ARCHON_TELEMETRY": "on"},
    ],
)
def test_the_environment_decides_without_reading_config(env: dict[str, str]) -> None:
    consent = resolve_consent(env, _never_read)
    assert consent.config is None


def test_an_unknown_switch_value_is_kept_for_the_problem_report() -> None:
    consent = resolve_consent({"ARCHON_TELEMETRY": "sometimes"}, _never_read)
    assert (consent.enabled, consent.problem, consent.value) == (
        False,
        "value-not-understood",
        "sometimes",
    )


def test_a_non_boolean_setting_is_reported_as_not_understood() -> None:
    consent = resolve_consent({}, lambda: _config("yes"))
    assert (consent.problem, consent.value) == ("value-not-understood", "'yes'")


def test_malformed_config_file_resolves_off_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("telemetry: {enabled: true\n", encoding="utf-8")
    consent = resolve_consent({}, lambda: read_config(path))
    assert not consent.enabled
    assert consent.problem == "config-unusable"
    assert consent.config is not None
    assert consent.config.problem == "invalid-yaml"


def test_config_written_true_resolves_on(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("# mine\ntelemetry:\n  enabled: true\n", encoding="utf-8")
    assert resolve_consent({}, lambda: read_config(path)).enabled


@pytest.mark.parametrize(
    ("enabled", "key", "debug", "expected"),
    [(True, True, False, True), (True, False, False, False), (False, True, False, False), (False, False, True, True)],
)
def test_may_record_needs_consent_and_a_key_unless_previewing(
    enabled: bool, key: bool, debug: bool, expected: bool
) -> None:
    consent = resolve_consent({"ARCHON_TELEMETRY": "on" if enabled else "off"}, _never_read)
    assert may_record(lambda: consent, key_embedded=key, debug_preview=debug) is expected


def test_may_record_without_a_key_never_resolves_consent() -> None:
    def never() -> Consent:
        raise AssertionError("consent was resolved for a build that cannot send")

    assert may_record(never, key_embedded=False, debug_preview=False) is False


def _local(local_only: object, enabled: object = False) -> ConfigState:
    return ConfigState(path=CONFIG, exists=True, data={"telemetry": {"enabled": enabled, "local_only": local_only}})


# (env, config, local_only, enabled, source, problem)
LOCAL_TABLE: list[tuple[dict[str, str], ConfigState, bool, bool, ConsentSource, ConsentProblem | None]] = [
    ({}, _local(True), True, False, FROM_CONFIG, None),
    ({}, _local(False), False, False, FROM_CONFIG, None),
    ({}, _local(False, enabled=True), False, True, FROM_CONFIG, None),
    # an older archon's `telemetry on` after `telemetry local`: local-only, which never sends, still decides
    ({}, _local(True, enabled=True), True, False, FROM_CONFIG, "local-only-wins"),
    ({}, _local("yes"), False, False, FROM_CONFIG, "local-only-not-understood"),
    ({}, _local("yes", enabled=True), False, False, FROM_CONFIG, "local-only-not-understood"),
    # the environment still decides first
    ({"DO_NOT_TRACK": "1"}, _local(True), False, False, DNT, None),
    ({"ARCHON_TELEMETRY_DISABLED": "1"}, _local(True), False, False, DISABLED, None),
    ({"ARCHON_TELEMETRY": "off"}, _local(True), False, False, SWITCH, None),
    ({"ARCHON_TELEMETRY": "on"}, _local(True), False, True, SWITCH, None),
]


@pytest.mark.parametrize("row", LOCAL_TABLE)
def test_local_only_precedence(
    row: tuple[dict[str, str], ConfigState, bool, bool, ConsentSource, ConsentProblem | None],
) -> None:
    env, config, *expected = row
    consent = resolve_consent(env, lambda: config)
    assert [consent.local_only, consent.enabled, consent.source, consent.problem] == expected


def test_local_only_records_with_a_key_and_never_without() -> None:
    consent = resolve_consent({}, lambda: _local(True))
    assert may_record(lambda: consent, key_embedded=True, debug_preview=False) is True
    assert may_record(lambda: consent, key_embedded=False, debug_preview=False) is False


# -- the archon home must be the user's own ------------------------------------------------------------------

UNTRUSTED = Untrusted(Path("/tmp/shared/archon-home"), Distrust.NOT_OWNED)


def _untrusted() -> Untrusted:
    return UNTRUSTED


def _never_checked() -> Untrusted | None:
    raise AssertionError("an opt-out decides without looking at the home")


@pytest.mark.parametrize(
    "env", [{"DO_NOT_TRACK": "1"}, {"ARCHON_TELEMETRY_DISABLED": "1"}, {"ARCHON_TELEMETRY": "off"}]
)
def test_an_opt_out_decides_without_looking_at_the_home(env: dict[str, str]) -> None:
    consent = resolve_consent(env, _never_read, home_trust=_never_checked)
    assert consent.enabled is False
    assert consent.untrusted is None


@pytest.mark.parametrize("env", [{}, {"ARCHON_TELEMETRY": "on"}])
def test_a_home_someone_else_controls_means_off_whatever_says_on(env: dict[str, str]) -> None:
    """Neither ARCHON_TELEMETRY=on nor a config.yaml there (which is not even read) turns telemetry on."""
    consent = resolve_consent(env, _never_read, home_trust=_untrusted)
    assert (consent.enabled, consent.source, consent.problem) == (
        False,
        "archon-home",
        "untrusted-home",
    )
    assert consent.untrusted == UNTRUSTED


def test_a_home_of_ones_own_changes_nothing() -> None:
    consent = resolve_consent({}, lambda: ON, home_trust=lambda: None)
    assert (consent.enabled, consent.source, consent.untrusted) == (True, "config", None)


@pytest.mark.parametrize(
    "value", ["", " ", "0", "1", "false", "FALSE", "no", "No", "off", "Off", "on", "yes", "true", " 1 ", "maybe", "2"]
)
def test_do_not_track_is_read_by_the_one_boolean_parser(value: str) -> None:
    """DO_NOT_TRACK keeps telemetry off unless ``archon.runtime.flag`` reads it as false: no second word list."""
    consent = resolve_consent({"DO_NOT_TRACK": value}, lambda: ON)
    assert (consent.source == DNT) == (flag(value) is not False)

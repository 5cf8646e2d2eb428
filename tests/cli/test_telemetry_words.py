"""What archon says about telemetry: the consent explanations and problems, and the first-run notice."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from archon.buildinfo import BuildInfo, current_build
from archon.cli.telemetry_words import consent_explanation, consent_problem, first_run_notice
from archon.config import ConfigProblem, ConfigState
from archon.telemetry.consent import Consent, resolve_consent
from archon.telemetry.first_run import POLICY_URL

CONFIG = Path("/archon-home/config.yaml")
ON_IN_CONFIG = ConfigState(path=CONFIG, exists=True, data={"telemetry": {"enabled": True}})
UNSET = ConfigState(path=CONFIG, exists=False)


def _consent(env: dict[str, str], config: ConfigState = UNSET) -> Consent:
    return resolve_consent(env, lambda: config)


def _keyed() -> BuildInfo:
    return dataclasses.replace(current_build(), posthog_key="phc_testkey")


@pytest.mark.parametrize(
    ("env", "config", "expected"),
    [
        ({"DO_NOT_TRACK": "1"}, ON_IN_CONFIG, "off: DO_NOT_TRACK is set, which overrides config.yaml (enabled)"),
        (
            {"ARCHON_TELEMETRY_DISABLED": "1"},
            UNSET,
            "off: ARCHON_TELEMETRY_DISABLED is set, which overrides config.yaml (not set)",
        ),
        ({"ARCHON_TELEMETRY": "ON"}, UNSET, "on: ARCHON_TELEMETRY=on, which overrides config.yaml (not set)"),
        ({"ARCHON_TELEMETRY": "maybe"}, UNSET, "off: ARCHON_TELEMETRY has a value that was not understood"),
        ({}, ON_IN_CONFIG, "on: telemetry.enabled is true in config.yaml"),
        ({}, UNSET, "off: telemetry is off by default; `archon telemetry on` opts in"),
    ],
)
def test_explanations(env: dict[str, str], config: ConfigState, expected: str) -> None:
    assert consent_explanation(_consent(env, config), config) == expected


def test_every_rule_has_an_explanation_that_starts_with_the_decision() -> None:
    for env in ({}, {"DO_NOT_TRACK": "1"}, {"ARCHON_TELEMETRY_DISABLED": "x"}, {"ARCHON_TELEMETRY": "on"}):
        for config in (UNSET, ON_IN_CONFIG, ConfigState(path=CONFIG, exists=True, problem=ConfigProblem.NOT_UTF8)):
            consent = _consent(env, config)
            assert consent_explanation(consent, config).startswith("on: " if consent.enabled else "off: ")


def test_unknown_switch_value_is_named_in_the_problem() -> None:
    problem = consent_problem(_consent({"ARCHON_TELEMETRY": "sometimes"}))
    assert problem is not None
    assert "'sometimes'" in problem


def test_a_broken_config_is_described() -> None:
    broken = ConfigState(path=CONFIG, exists=True, problem=ConfigProblem.INVALID_YAML, detail="found a tab")
    problem = consent_problem(_consent({}, broken))
    assert problem == f"config.yaml could not be read: {CONFIG} is not valid YAML (found a tab)"


def test_no_problem_no_words() -> None:
    assert consent_problem(_consent({}, ON_IN_CONFIG)) is None


def test_default_notice_says_off_and_how_to_change_it() -> None:
    text = first_run_notice(consent=_consent({}), config=lambda: UNSET, build=_keyed())
    assert "OFF" in text
    assert "archon telemetry on" in text
    assert "archon telemetry off" in text
    assert "DO_NOT_TRACK" in text
    assert "ARCHON_TELEMETRY_DEBUG=1" in text
    assert POLICY_URL in text


def test_notice_says_on_when_the_environment_turned_it_on() -> None:
    text = first_run_notice(consent=_consent({"ARCHON_TELEMETRY": "1"}), config=lambda: UNSET, build=_keyed())
    assert "ON (ARCHON_TELEMETRY=1, which overrides config.yaml (not set))." in text


def test_notice_on_a_dev_build_says_nothing_is_sent() -> None:
    dev = dataclasses.replace(current_build(), posthog_key="")
    assert "nothing is sent" in first_run_notice(
        consent=_consent({"ARCHON_TELEMETRY": "1"}), config=lambda: UNSET, build=dev
    )


def test_notice_is_never_a_question() -> None:
    for env in ({}, {"ARCHON_TELEMETRY": "1"}):
        assert "?" not in first_run_notice(consent=_consent(env), config=lambda: UNSET, build=_keyed())

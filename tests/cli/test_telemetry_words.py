"""What archon says about telemetry: the consent explanations and problems, and the first-run notice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from archon.buildinfo import BuildInfo, current_build
from archon.cli.telemetry_words import (
    addition_text,
    consent_explanation,
    consent_problem,
    first_run_notice,
    policy_notice,
)
from archon.config import ConfigState
from archon.telemetry.consent import Consent, resolve_consent
from archon.telemetry.consent_record import RecordState, new_consent_record
from archon.telemetry.consented_policy import Addition
from archon.telemetry.first_run import POLICY_URL
from archon.telemetry.policy import build_policy
from archon.telemetry.recorder import PolicyNotice

CONFIG = Path("/archon-home/config.yaml")
ON_IN_CONFIG = ConfigState(path=CONFIG, exists=True, data={"telemetry": {"enabled": True}})
UNSET = ConfigState(path=CONFIG, exists=False)


def _consent(env: dict[str, str], config: ConfigState = UNSET) -> Consent:
    return resolve_consent(env, lambda: config)


def _keyed() -> BuildInfo:
    return current_build()._replace(posthog_key="phc_testkey")


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
        for config in (UNSET, ON_IN_CONFIG, ConfigState(path=CONFIG, exists=True, problem="not-utf-8")):
            consent = _consent(env, config)
            assert consent_explanation(consent, config).startswith("on: " if consent.enabled else "off: ")


def test_unknown_switch_value_is_named_in_the_problem() -> None:
    problem = consent_problem(_consent({"ARCHON_TELEMETRY": "sometimes"}))
    assert problem is not None
    assert "'sometimes'" in problem


def test_a_broken_config_is_described() -> None:
    broken = ConfigState(path=CONFIG, exists=True, problem="invalid-yaml", detail="found a tab")
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
    dev = current_build()._replace(posthog_key="")
    assert "nothing is sent" in first_run_notice(
        consent=_consent({"ARCHON_TELEMETRY": "1"}), config=lambda: UNSET, build=dev
    )


def test_notice_is_never_a_question() -> None:
    for env in ({}, {"ARCHON_TELEMETRY": "1"}):
        assert "?" not in first_run_notice(consent=_consent(env), config=lambda: UNSET, build=_keyed())


LOCAL_IN_CONFIG = ConfigState(path=CONFIG, exists=True, data={"telemetry": {"enabled": False, "local_only": True}})


def test_local_only_is_explained_and_noticed_as_such() -> None:
    consent = _consent({}, LOCAL_IN_CONFIG)
    assert consent_explanation(consent, LOCAL_IN_CONFIG).startswith("local-only: telemetry.local_only is true")
    text = first_run_notice(consent=consent, config=lambda: LOCAL_IN_CONFIG, build=_keyed())
    assert "LOCAL-ONLY" in text
    assert "nothing is recorded" not in text
    dnt = consent_explanation(_consent({"DO_NOT_TRACK": "1"}, LOCAL_IN_CONFIG), LOCAL_IN_CONFIG)
    assert dnt == "off: DO_NOT_TRACK is set, which overrides config.yaml (local-only)"


def test_local_only_problems_are_worded() -> None:
    both = ConfigState(path=CONFIG, exists=True, data={"telemetry": {"enabled": True, "local_only": True}})
    wins = consent_problem(_consent({}, both))
    assert wins is not None
    assert "local-only, which never sends, wins" in wins
    odd = ConfigState(path=CONFIG, exists=True, data={"telemetry": {"local_only": "sure"}})
    assert consent_problem(_consent({}, odd)) == (
        f"telemetry.local_only in {CONFIG} must be true or false, not 'sure'; treated as off"
    )


@pytest.mark.parametrize(
    ("addition", "expected"),
    [
        (Addition("event", event="setup.completed"), "the event `setup.completed`"),
        (Addition("property", event="e.x", prop="p"), "the property `p` on `e.x`"),
        (Addition("property", prop="arch"), "the property `arch` on every event"),
        (Addition("values", event="e.x", prop="p", values=("a", "b")), "the value(s) `a`, `b` of `p` on `e.x`"),
        (Addition("changed", event="e.x", prop="p"), "a new type or set of values for `p` on `e.x`"),
        (Addition("fixed", prop="$ip"), "a change to the privacy flag `$ip` on every event"),
        (Addition("format"), "a policy format your consent record does not have"),
    ],
)
def test_additions_are_named(addition: Addition, expected: str) -> None:
    assert addition_text(addition) == expected


def test_the_policy_notices() -> None:
    record = new_consent_record(
        policy=build_policy(), build=_keyed(), now=datetime(2026, 1, 2, tzinfo=UTC), how="command"
    )
    added = policy_notice(
        PolicyNotice((Addition("event", event="setup.completed"),), RecordState(record)), "/h/consent.json"
    )
    assert "  - the event `setup.completed`" in added
    assert "`archon telemetry on` accepts it" in added
    assert added.endswith("This notice is shown once.")
    missing = policy_notice(PolicyNotice((), RecordState(None)), "/h/consent.json")
    assert "there is no consent record (/h/consent.json)" in missing
    broken = policy_notice(PolicyNotice((), RecordState(None, "invalid")), "/h/consent.json")
    assert "the consent record could not be understood" in broken
    for text in (added, missing, broken):
        assert "?" not in text

"""``archon telemetry policy [--json]``: everything this build can send, offline, with the hash anyone can check."""

from __future__ import annotations

import hashlib
import json

from archon.paths import ArchonPaths
from archon.telemetry.first_run import POLICY_URL
from archon.telemetry.policy import build_policy, policy_hash
from archon.telemetry.schema import ALL_EVENTS, CommonProperties
from archon.telemetry.vocabulary import PYTHON_BUILTIN_ERRORS
from tests.cli.conftest import KEYED_BUILD, Invoke


def test_json_is_the_policy_its_hash_the_reasons_and_the_rules(invoke: Invoke) -> None:
    result = invoke("telemetry", "policy", "--json", build=KEYED_BUILD)
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert set(shown) == {"policy_hash", "policy_url", "policy", "why", "rules"}
    assert shown["policy"] == build_policy()
    canonical = json.dumps(shown["policy"], sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert shown["policy_hash"] == hashlib.sha256(canonical.encode()).hexdigest() == policy_hash(build_policy())
    assert shown["policy_url"] == POLICY_URL
    for event in ALL_EVENTS:
        assert shown["why"]["events"][event.NAME] == event.WHY
        assert list(shown["why"]["properties"][event.NAME]) == list(event.PROPERTIES)
    assert list(shown["why"]["common"]) == list(CommonProperties.PROPERTIES)
    rules = shown["rules"]
    assert {"version", "workflow", "telemetry", "policy", "local"} <= set(rules["archon-command-name"]["members"])
    assert "ConfigError" in rules["archon-error-class-name"]["members"]
    assert rules["archon-function-name"]["members"] is None  # a rule, never a list: function names change
    assert all(rule["meaning"] for rule in rules.values())


def test_text_names_every_event_property_value_and_the_hash(invoke: Invoke) -> None:
    text = invoke("telemetry", "policy", build=KEYED_BUILD).stdout
    assert policy_hash(build_policy()) in text
    assert POLICY_URL in text
    for event in ALL_EVENTS:
        assert f"{event.NAME}: {event.WHY}" in text
        for name in event.PROPERTIES:
            assert f"  {name} " in text, name
    assert "one of `claude`, `codex`, `none`" in text
    assert "archon-error-class-name, or a Python built-in exception name (listed below), `other`" in text
    assert ", ".join(sorted(PYTHON_BUILTIN_ERRORS)) in text


def test_policy_records_nothing_and_creates_nothing(invoke: Invoke, paths: ArchonPaths) -> None:
    invoke("version")  # past the first-run notice
    for args in (["telemetry", "policy"], ["telemetry", "policy", "--json"]):
        assert invoke(*args, env={"ARCHON_TELEMETRY": "on"}, build=KEYED_BUILD).exit_code == 0
    assert sorted(p.name for p in paths.home.iterdir()) == [".first-run-completed"]

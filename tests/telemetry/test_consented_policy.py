"""What the consent record allows of this build's policy: only what both allow is stored; narrowing needs nothing."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from archon.buildinfo import current_build
from archon.telemetry.consented_policy import Addition, ConsentedPolicy
from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.policy import build_policy
from archon.telemetry.recorder import common_properties, stored_event
from archon.telemetry.schema import CliCommandCompleted, ErrorUncaught, SafeName, SetupCompleted, WorkflowRunStarted

BUILD = build_policy()
WHEN = datetime(2026, 5, 1, tzinfo=UTC)


def _stored(event: Any) -> StoredEvent:
    return stored_event(event, common=common_properties(current_build()), distinct_id="someone", now=WHEN)


COMPLETED = _stored(
    CliCommandCompleted(command=SafeName("version"), subcommand=SafeName(""), exit_code=0, duration_ms=5)
)


def _older(edit: Any) -> dict[str, Any]:
    policy = copy.deepcopy(BUILD)
    edit(policy)
    return policy


def test_the_same_policy_filters_nothing() -> None:
    scope = ConsentedPolicy(build=BUILD, consented=copy.deepcopy(BUILD))
    assert (scope.full, scope.blocked, scope.additions) == (True, False, [])
    assert scope.apply(COMPLETED) == COMPLETED


def test_a_property_the_record_lacks_is_removed() -> None:
    scope = ConsentedPolicy(
        build=BUILD, consented=_older(lambda p: p["events"]["cli.command_completed"].pop("duration_ms"))
    )
    assert scope.additions == [Addition("property", event="cli.command_completed", prop="duration_ms")]
    kept = scope.apply(COMPLETED)
    assert kept is not None
    assert set(COMPLETED["properties"]) - set(kept["properties"]) == {"duration_ms"}
    same = (kept["event"], kept["distinct_id"], kept["uuid"], kept["timestamp"])
    assert same == (COMPLETED["event"], COMPLETED["distinct_id"], COMPLETED["uuid"], COMPLETED["timestamp"])


def test_an_event_the_record_lacks_is_not_recorded() -> None:
    scope = ConsentedPolicy(build=BUILD, consented=_older(lambda p: p["events"].pop("setup.completed")))
    assert scope.additions == [Addition("event", event="setup.completed")]
    assert not scope.covers("setup.completed")
    assert scope.covers("cli.command_completed")
    setup = _stored(SetupCompleted(install_method="pip", default_assistant="claude"))
    assert scope.apply(setup) is None
    assert scope.apply(COMPLETED) == COMPLETED


def test_a_common_property_the_record_lacks_leaves_every_event() -> None:
    scope = ConsentedPolicy(build=BUILD, consented=_older(lambda p: p["common"].pop("arch")))
    assert scope.additions == [Addition("property", prop="arch")]
    kept = scope.apply(COMPLETED)
    assert kept is not None
    assert "arch" not in kept["properties"]
    assert kept["properties"]["python_version"] == COMPLETED["properties"]["python_version"]


def _started(provider: Any) -> StoredEvent:
    return _stored(
        WorkflowRunStarted(workflow_name=SafeName("user-defined"), node_count=2, provider=provider, is_cli_invoked=True)
    )


def test_a_new_value_is_held_back_and_old_ones_go() -> None:
    scope = ConsentedPolicy(
        build=BUILD,
        consented=_older(lambda p: p["events"]["workflow.run_started"]["provider"]["one_of"].remove("codex")),
    )
    assert scope.additions == [Addition("values", event="workflow.run_started", prop="provider", values=("codex",))]
    claude, codex = scope.apply(_started("claude")), scope.apply(_started("codex"))
    assert claude is not None
    assert codex is not None
    assert claude["properties"]["provider"] == "claude"
    assert "provider" not in codex["properties"]
    assert codex["properties"]["node_count"] == 2


def test_rule_members_stay_while_a_new_enumerated_value_is_held_back() -> None:
    scope = ConsentedPolicy(
        build=BUILD,
        consented=_older(lambda p: p["events"]["error.uncaught"]["error_class"]["one_of"].remove("KeyError")),
    )

    def uncaught(name: str) -> StoredEvent:
        return _stored(ErrorUncaught(error_class=SafeName(name), where=SafeName("run")))

    kept = {name: scope.apply(uncaught(name)) for name in ("KeyError", "ValueError", "ConfigError", "other")}
    assert "error_class" not in kept["KeyError"]["properties"]  # type: ignore[index]
    for name in ("ValueError", "ConfigError", "other"):  # consented built-in, rule member, placeholder
        assert kept[name]["properties"]["error_class"] == name  # type: ignore[index]


def test_a_changed_type_or_rule_removes_the_property() -> None:
    def edit(policy: dict[str, Any]) -> None:
        policy["events"]["cli.command_completed"]["exit_code"] = {"type": "text", "one_of": ["0"]}
        policy["events"]["cli.command_completed"]["command"]["rule"] = "something-else"

    scope = ConsentedPolicy(build=BUILD, consented=_older(edit))
    assert {(a.kind, a.prop) for a in scope.additions} == {("changed", "exit_code"), ("changed", "command")}
    kept = scope.apply(COMPLETED)
    assert kept is not None
    assert {"exit_code", "command"}.isdisjoint(kept["properties"])
    assert "subcommand" in kept["properties"]


def test_a_changed_privacy_flag_or_format_records_nothing() -> None:
    flag = ConsentedPolicy(build=BUILD, consented=_older(lambda p: p["fixed"].update({"$ip": "1.2.3.4"})))
    dropped = ConsentedPolicy(build=BUILD, consented=_older(lambda p: p["fixed"].pop("$geoip_disable")))
    newer = ConsentedPolicy(build=BUILD, consented=_older(lambda p: p.update({"format": "archon-policy/99"})))
    assert flag.additions == [Addition("fixed", prop="$ip")]
    assert dropped.additions == [Addition("fixed", prop="$geoip_disable")]
    assert newer.additions == [Addition("format")]
    for scope in (flag, dropped, newer):
        assert scope.blocked
        assert not scope.covers("cli.command_completed")
        assert scope.apply(COMPLETED) is None


def test_no_record_covers_nothing() -> None:
    scope = ConsentedPolicy(build=BUILD, consented=None)
    assert scope.blocked
    assert scope.additions == []
    assert scope.apply(COMPLETED) is None


def test_narrowing_needs_nothing() -> None:
    """The record allows more than this build sends: an event, a property and a value this build no longer has."""

    def edit(policy: dict[str, Any]) -> None:
        policy["events"]["cli.command_retired"] = {}
        policy["events"]["cli.command_completed"]["peak_memory_mb"] = {"type": "integer"}
        policy["events"]["workflow.run_started"]["provider"]["one_of"].append("gemini")
        policy["common"]["hostname_hash"] = {"type": "text", "one_of": []}

    scope = ConsentedPolicy(build=BUILD, consented=_older(edit))
    assert (scope.blocked, scope.additions) == (False, [])
    assert scope.apply(COMPLETED) == COMPLETED
    codex = _started("codex")
    assert scope.apply(codex) == codex


def test_a_malformed_record_policy_covers_only_what_it_clearly_allows() -> None:
    def edit(policy: dict[str, Any]) -> None:
        policy["events"]["cli.command_completed"] = "everything"
        policy["common"] = ["all"]

    scope = ConsentedPolicy(build=BUILD, consented=_older(edit))
    assert not scope.covers("cli.command_completed")
    invoked = scope._events["cli.command_invoked"]
    assert set(invoked) == {"command", "subcommand", *BUILD["fixed"]}  # no common property is consented

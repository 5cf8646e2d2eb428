"""The policy: derived from the schema, one canonical form, a hash that moves with the allow-list and nothing else."""

from __future__ import annotations

import builtins
import hashlib
import json
from typing import Any, get_args

import pytest

from archon.telemetry import policy as policy_module
from archon.telemetry import schema
from archon.telemetry.policy import RULES, build_policy, canonical_bytes, policy_hash, property_spec
from archon.telemetry.schema import Properties, SafeName, Vocabulary, prop
from archon.telemetry.vocabulary import PYTHON_BUILTIN_ERRORS, error_class
from build_tools.docs import render_telemetry_page


def test_every_event_and_property_of_the_schema_is_in_the_policy() -> None:
    policy = build_policy()
    assert list(policy["events"]) == [event.NAME for event in schema.ALL_EVENTS]
    for event in schema.ALL_EVENTS:
        assert tuple(policy["events"][event.NAME]) == event.PROPERTIES
    assert tuple(policy["common"]) == schema.CommonProperties.PROPERTIES
    assert policy["fixed"] == dict(schema.PRIVACY_PROPERTIES)


def test_specs_say_type_and_values() -> None:
    events = build_policy()["events"]
    assert events["cli.command_completed"]["exit_code"] == {"type": "integer"}
    assert events["workflow.run_started"]["is_cli_invoked"] == {"type": "boolean"}
    assert events["workflow.run_started"]["provider"] == {"type": "text", "one_of": ["claude", "codex", "none"]}
    assert events["cli.command_invoked"]["command"] == {
        "type": "text",
        "rule": "archon-command-name",
        "one_of": ["", "user-defined"],
    }
    assert events["error.uncaught"]["where"] == {"type": "text", "rule": "archon-function-name", "one_of": ["other"]}
    error = events["error.uncaught"]["error_class"]
    assert error["rule"] == "archon-error-class-name"
    assert error["one_of"] == sorted([*PYTHON_BUILTIN_ERRORS, "other"])


def test_the_canonical_form_is_sorted_compact_ascii_json() -> None:
    policy = build_policy()
    raw = canonical_bytes(policy)
    assert raw == json.dumps(policy, sort_keys=True, separators=(",", ":")).encode("ascii")
    assert b" " not in raw.replace(b"Error ", b"")  # no whitespace between tokens
    assert json.loads(raw) == policy
    assert policy_hash(policy) == hashlib.sha256(raw).hexdigest()
    for spec in (s for section in (*policy["events"].values(), policy["common"]) for s in section.values()):
        if "one_of" in spec:
            assert spec["one_of"] == sorted(spec["one_of"])


def test_the_hash_does_not_depend_on_dict_order() -> None:
    policy = build_policy()
    shuffled = {key: policy[key] for key in reversed(list(policy))}
    shuffled["events"] = {name: policy["events"][name] for name in reversed(list(policy["events"]))}
    assert policy_hash(shuffled) == policy_hash(policy)


def test_prose_does_not_change_the_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    before = policy_hash(build_policy())
    monkeypatch.setattr(schema.CliCommandCompleted, "WHY", "Reworded entirely.")
    monkeypatch.setattr(vars(schema.CliCommandCompleted)["duration_ms"], "doc", "Reworded too.")
    monkeypatch.setattr(vars(schema.CommonProperties)["arch"], "doc", "And this.")
    assert policy_hash(build_policy()) == before


class _WithMemory(Properties):
    """A test build's ``cli.command_completed`` with one more property (not an ``Event`` subclass, which would
    register it as one of archon's events)."""

    NAME = "cli.command_completed"

    command: SafeName = prop("", vocabulary="command")
    subcommand: SafeName = prop("", vocabulary="command")
    exit_code: int = prop("")
    duration_ms: int = prop("")
    peak_memory_mb: int = prop("")


def test_a_new_property_changes_the_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    before = build_policy()
    widened = tuple(_WithMemory if event is schema.CliCommandCompleted else event for event in schema.ALL_EVENTS)
    monkeypatch.setattr(policy_module, "ALL_EVENTS", widened)
    after = build_policy()
    assert policy_hash(after) != policy_hash(before)
    assert after["events"]["cli.command_completed"]["peak_memory_mb"] == {"type": "integer"}


def test_a_new_value_or_flag_changes_the_hash() -> None:
    from typing import Literal

    policy = build_policy()
    before = policy_hash(policy)
    wider = property_spec(None, Literal["claude", "codex", "gemini", "none"])
    assert wider != policy["events"]["workflow.run_started"]["provider"]
    events = {**policy["events"], "workflow.run_started": {**policy["events"]["workflow.run_started"]}}
    events["workflow.run_started"]["provider"] = wider
    assert policy_hash({**policy, "events": events}) != before
    assert policy_hash({**policy, "fixed": {**policy["fixed"], "$ip": None}}) != before


def test_the_python_version_does_not_change_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A newer Python's new built-in exception (as 3.13's PythonFinalizationError) is `other`, and the policy,
    which lists a fixed set of built-ins, stays the same."""
    before = policy_hash(build_policy())

    class PythonFinalizationError(RuntimeError):
        pass

    PythonFinalizationError.__module__ = "builtins"
    monkeypatch.setattr(builtins, "PythonFinalizationError", PythonFinalizationError, raising=False)
    assert error_class(PythonFinalizationError()) == "other"
    assert error_class(KeyError()) == "KeyError"
    assert policy_hash(build_policy()) == before


def test_the_fixed_built_in_names_are_this_pythons_public_built_in_exceptions() -> None:
    """Every name is a built-in exception here; on the oldest Python archon supports, the list is all of them."""
    public = {
        name
        for name, value in vars(builtins).items()
        if isinstance(value, type) and issubclass(value, BaseException) and value.__name__ == name
        if not name.startswith("_")
    }
    assert public >= PYTHON_BUILTIN_ERRORS
    import sys

    if sys.version_info[:2] == (3, 11):
        assert public == PYTHON_BUILTIN_ERRORS


def test_every_vocabulary_has_a_rule() -> None:
    assert set(RULES) == set(get_args(Vocabulary))
    assert len({rule for rule, _ in RULES.values()}) == len(RULES)  # one name, one rule


def test_free_text_cannot_be_described() -> None:
    with pytest.raises(TypeError, match="vocabulary"):
        property_spec(None, str)

    class Free(Properties):
        note: str = prop("anything at all")

    with pytest.raises(TypeError, match=r"Free\.note"):
        policy_module._properties(Free)


def test_build_constants_are_not_in_the_policy() -> None:
    text = canonical_bytes(build_policy()).decode()
    for constant in ("phc_", "posthog", "dev", "unknown"):
        assert constant not in text.replace("user-defined", ""), constant


def test_the_docs_quote_this_hash() -> None:
    assert policy_hash(build_policy()) in render_telemetry_page()


def _spec_sections(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [*policy["events"].values(), policy["common"]]


def test_every_text_property_names_its_values() -> None:
    for section in _spec_sections(build_policy()):
        for spec in section.values():
            assert spec["type"] in ("integer", "boolean", "text")
            if spec["type"] == "text":
                assert "one_of" in spec
                assert spec["one_of"] or "rule" in spec


def test_what_comes_from_the_platform_is_a_closed_list() -> None:
    """No rule that admits whatever a system reports: the policy lists every value (issue 19, item 6)."""
    common = build_policy()["common"]
    for name in ("platform", "arch", "python_version"):
        assert set(common[name]) == {"type", "one_of"}, name
        assert "other" in common[name]["one_of"], name
    assert common["arch"]["one_of"] == ["arm", "arm64", "other", "ppc64le", "riscv64", "s390x", "x86", "x86_64"]
    assert common["platform"]["one_of"] == ["darwin", "linux", "other", "win32"]

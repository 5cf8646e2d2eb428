"""``archon telemetry policy [--json]``: everything this build can send, offline, with the policy's hash.

Loaded only by that command. The data comes from :mod:`archon.telemetry.policy` (the hashed allow-list) and
:mod:`archon.telemetry.schema` (the reasons); the members of each value rule from what this build has (its
commands, its bundled workflows, its error classes).
"""

from __future__ import annotations

from typing import Any

from archon.cli.invocation import command_vocabulary
from archon.cli.telemetry_words import RULE_MEANINGS
from archon.telemetry.first_run import POLICY_URL
from archon.telemetry.policy import build_policy, policy_hash
from archon.telemetry.schema import ALL_EVENTS, CommonProperties, schema_fields
from archon.telemetry.vocabulary import PYTHON_BUILTIN_ERRORS, archon_error_class_names
from archon.workflows.bundled import bundled_workflow_names

__all__ = ["policy_document", "policy_text"]


def _members(root: object) -> dict[str, list[str]]:
    return {
        "archon-command-name": sorted(command_vocabulary(root)),
        "archon-bundled-workflow-name": sorted(bundled_workflow_names()),
        "archon-error-class-name": sorted(archon_error_class_names()),
    }


def policy_document(root: object) -> dict[str, Any]:
    """The ``--json`` shape: the hash, the hashed policy, and (not hashed) the reasons and the rules' members.

    ``root`` is the archon Click command, whose command names are the ``archon-command-name`` rule's members.
    """
    policy = build_policy()
    sections = (*policy["events"].values(), policy["common"])
    rules = sorted({spec["rule"] for section in sections for spec in section.values() if "rule" in spec})
    members = _members(root)
    return {
        "policy_hash": policy_hash(policy),
        "policy_url": POLICY_URL,
        "policy": policy,
        "why": {
            "events": {event.NAME: event.WHY for event in ALL_EVENTS},
            "properties": {
                event.NAME: {declared.name: declared.doc for declared, _ in schema_fields(event)}
                for event in ALL_EVENTS
            },
            "common": {declared.name: declared.doc for declared, _ in schema_fields(CommonProperties)},
        },
        "rules": {rule: {"meaning": RULE_MEANINGS[rule], "members": members.get(rule)} for rule in rules},
    }


def _json_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return '""' if value == "" else repr(value)


def _spec_text(spec: dict[str, Any]) -> str:
    if spec["type"] == "integer":
        return "integer"
    if spec["type"] == "boolean":
        return "true or false"
    enumerated = set(spec["one_of"])
    builtins = enumerated >= PYTHON_BUILTIN_ERRORS
    values = [f"`{value}`" if value else '`""` (empty)' for value in sorted(enumerated - PYTHON_BUILTIN_ERRORS)]
    if builtins:
        values.insert(0, "a Python built-in exception name (listed below)")
    if "rule" not in spec:
        return "one of " + ", ".join(values)
    return f"{spec['rule']}" + (f", or {', '.join(values)}" if values else "")


def _section(properties: dict[str, Any], why: dict[str, str]) -> list[str]:
    if not properties:
        return ["  (no properties of its own)"]
    width = max(len(name) for name in properties)
    return [f"  {name:<{width}}  {_spec_text(spec)}. {why[name]}" for name, spec in properties.items()]


def policy_text(document: dict[str, Any]) -> str:
    """The same as :func:`policy_document`, for reading."""
    policy, why = document["policy"], document["why"]
    lines = [
        "Everything this archon can send (nothing else can be; nothing is sent unless telemetry is on).",
        f"Policy hash: {document['policy_hash']}",
        "  (SHA-256 of the canonical policy: `archon telemetry policy --json` shows it; docs/telemetry.md quotes it)",
        "",
    ]
    for event, properties in policy["events"].items():
        lines += [f"{event}: {why['events'][event]}", *_section(properties, why["properties"][event]), ""]
    lines += ["On every event:", *_section(policy["common"], why["common"])]
    fixed = ", ".join(f"{name}={_json_value(value)}" for name, value in policy["fixed"].items())
    lines += [f"  and always {fixed}", "", "Value rules:"]
    for rule, described in document["rules"].items():
        members = described["members"]
        listed = f": {', '.join(members)}" if members else ""
        lines.append(f"  {rule}: {described['meaning']}{listed}")
    lines += ["", f"Python built-in exception names (a fixed list): {', '.join(sorted(PYTHON_BUILTIN_ERRORS))}"]
    lines += ["", f"Policy: {document['policy_url']}"]
    return "\n".join(lines)

"""The telemetry policy: this build's allow-list as data, in one canonical form, with a hash anyone can recompute.

The policy is derived from :mod:`archon.telemetry.schema` (nothing here is typed twice) and holds no prose, so
rewording a reason never changes it::

    {"format": "archon-telemetry-policy/1",
     "events": {"<event>": {"<property>": <spec>, ...}, ...},
     "common": {"<property on every event>": <spec>, ...},
     "fixed":  {"$ip": "", "$geoip_disable": true, "$process_person_profile": false}}

A property's ``<spec>`` is ``{"type": "integer"}``, ``{"type": "boolean"}`` or ``{"type": "text", "one_of": [...],
"rule": "..."}``: a text value is one of ``one_of`` or, when there is a ``rule``, a member of the set the rule
names. Every list is sorted. The canonical bytes are ``json.dumps(policy, sort_keys=True, separators=(",", ":"),
ensure_ascii=True)``; :func:`policy_hash` is their SHA-256, in hex.

Values are **enumerated** where the set is the decision (a ``Literal``, the placeholders, the Python built-in
exception names of :data:`~archon.telemetry.vocabulary.PYTHON_BUILTIN_ERRORS`) and named by a **rule** where they
are names of archon's own parts or facts of the build (its commands, bundled workflows, error classes and
functions; its version and commit). What comes from the platform (operating system, CPU architecture, Python
version) is enumerated: a system can report anything, so only listed values are sent, and anything else is
``other``. So the hash changes when an event, a property, a type, an enumerated value, a rule or a fixed flag
changes, and not with the prose, a refactor, a new command or workflow, the Python version archon runs on, or the
build's key, host, version or commit. A rule that starts admitting anything else gets a new name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, get_args, get_origin

from archon.telemetry.schema import (
    ALL_EVENTS,
    PRIVACY_PROPERTIES,
    CommonProperties,
    Properties,
    Vocabulary,
    schema_fields,
)
from archon.telemetry.vocabulary import NO_NAME, OTHER, PYTHON_BUILTIN_ERRORS, USER_DEFINED

__all__ = ["POLICY_FORMAT", "RULES", "Policy", "build_policy", "canonical_bytes", "policy_hash", "property_spec"]

POLICY_FORMAT = "archon-telemetry-policy/1"

Policy = dict[str, Any]
"""A policy as JSON data (the shape in the module docstring)."""

RULES: Mapping[Vocabulary, tuple[str, tuple[str, ...]]] = {
    "command": ("archon-command-name", (NO_NAME, USER_DEFINED)),
    "workflow_name": ("archon-bundled-workflow-name", (USER_DEFINED,)),
    "error_class": ("archon-error-class-name", (*PYTHON_BUILTIN_ERRORS, OTHER)),
    "where": ("archon-function-name", (OTHER,)),
    "archon_version": ("archon-build-version", ()),
    "archon_commit": ("archon-build-commit", ()),
}
"""Each vocabulary as its rule's name and the values it enumerates besides the rule's members."""


def property_spec(vocabulary: Vocabulary | None, annotation: Any) -> dict[str, Any]:
    """The spec of one declared property. Raises ``TypeError`` for a type the policy cannot describe (free text)."""
    if vocabulary is not None:
        rule, values = RULES[vocabulary]
        return {"type": "text", "rule": rule, "one_of": sorted(values)}
    if get_origin(annotation) is Literal and all(isinstance(value, str) for value in get_args(annotation)):
        return {"type": "text", "one_of": sorted(get_args(annotation))}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    raise TypeError(f"{annotation!r}: a property is an int, a bool, a Literal of strings, or text with a vocabulary")


def _properties(cls: type[Properties]) -> dict[str, dict[str, Any]]:
    specs: dict[str, dict[str, Any]] = {}
    for declared, annotation in schema_fields(cls):
        try:
            specs[declared.name] = property_spec(declared.vocabulary, annotation)
        except TypeError as exc:
            raise TypeError(f"{cls.__name__}.{declared.name}: {exc}") from None
    return specs


def build_policy() -> Policy:
    """This build's policy, from the schema."""
    return {
        "format": POLICY_FORMAT,
        "events": {event.NAME: _properties(event) for event in ALL_EVENTS},
        "common": _properties(CommonProperties),
        "fixed": dict(PRIVACY_PROPERTIES),
    }


def canonical_bytes(policy: Mapping[str, Any]) -> bytes:
    """The one byte form of ``policy`` that is hashed (sorted keys, no whitespace, ASCII)."""
    return json.dumps(policy, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def policy_hash(policy: Mapping[str, Any]) -> str:
    """The SHA-256 of ``policy``'s canonical bytes, lowercase hex."""
    import hashlib  # startup time: ~2 ms (OpenSSL), and only status, policy, `on` and a changed policy need it

    return hashlib.sha256(canonical_bytes(policy)).hexdigest()

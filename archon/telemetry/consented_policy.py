"""What of this build's policy the user consented to: the filter every event passes before it is stored, and what
this version would add beyond the consent (for the one-time notice and ``status``).

Compared with the policy in the consent record (:mod:`archon.telemetry.consent_record`), this build's policy
(:mod:`archon.telemetry.policy`) may send more (an upgrade) or less (narrowing, which needs nothing). Only what
both allow goes:

- an event the record does not have is not recorded;
- a property (the event's own, or one on every event) the record does not have is removed;
- a property whose values grew keeps a value only if the record admits it; one whose type or rule changed is
  removed;
- a different set of fixed privacy flags, or a record of another policy format, records nothing: those flags are
  what every event carries, and a format this build does not know cannot be compared.

So ``archon telemetry inspect`` shows exactly what will be sent. When the two policies are equal (the usual case)
nothing is filtered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

from archon.telemetry.outbox.event_file import StoredEvent
from archon.telemetry.policy import Policy
from archon.telemetry.schema import PropertyValue

__all__ = ["Addition", "AdditionKind", "ConsentedPolicy"]

AdditionKind = Literal["event", "property", "values", "changed", "fixed", "format"]
"""``changed``: a property's type or rule differs from the consented one. ``fixed``: a fixed privacy flag differs
(nothing is recorded). ``format``: the record's policy has another format (nothing is recorded)."""


class Addition(NamedTuple):
    """One thing this build would send that the consent does not cover."""

    kind: AdditionKind
    event: str | None = None
    """The event, or None for a property on every event (and for ``fixed`` and ``format``)."""
    prop: str | None = None
    values: tuple[str, ...] = ()


class _Values:
    """A text property whose consented values are fewer than this build's."""

    __slots__ = ("by_rule", "consented", "enumerated")

    def __init__(self, consented: frozenset[str], enumerated: frozenset[str], *, by_rule: bool) -> None:
        self.consented = consented
        self.enumerated = enumerated
        self.by_rule = by_rule

    def admits(self, value: PropertyValue) -> bool:
        if not isinstance(value, str):
            return False
        # A value this build does not enumerate came from the rule, which the consent names too.
        return value in self.consented or (self.by_rule and value not in self.enumerated)


_Allowed = bool | _Values  # True: every value this build sends is consented


def _consented_values(build: Mapping[str, Any], consented: object) -> frozenset[str] | None:
    """The values a consented spec of the same kind as ``build`` (same type, same rule) admits; None if it is of
    another kind."""
    if (
        not isinstance(consented, Mapping)
        or consented.get("type") != build["type"]
        or consented.get("rule") != build.get("rule")
    ):
        return None
    if build["type"] != "text":
        return frozenset()
    values = consented.get("one_of")
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        return None
    return frozenset(values)


def _compare_spec(build: Mapping[str, Any], consented: object) -> tuple[_Allowed, AdditionKind | None, tuple[str, ...]]:
    """What of one property the consent allows, and what this build adds to it."""
    if consented == build:
        return True, None, ()
    if consented is None:
        return False, "property", ()
    values = _consented_values(build, consented)
    if values is None:
        return False, "changed", ()
    enumerated = frozenset(build.get("one_of", ()))
    added = tuple(sorted(enumerated - values))
    if not added:  # the same, or narrower: everything this build sends was consented
        return True, None, ()
    return _Values(values, enumerated, by_rule=build.get("rule") is not None), "values", added


class ConsentedPolicy:
    """The intersection of this build's policy and the consented one (see the module docstring)."""

    def __init__(self, *, build: Policy, consented: Mapping[str, Any] | None) -> None:
        """``consented`` None: there is no consent record that counts, so nothing is covered."""
        self.additions: list[Addition] = []
        self.full = consented is not None and dict(consented) == build
        self.blocked = consented is None
        self._events: dict[str, dict[str, _Allowed]] = {}
        if consented is None or self.full:
            return
        if consented.get("format") != build["format"]:
            self._block(Addition("format"))
            return
        fixed = consented.get("fixed")
        if fixed != build["fixed"]:
            self._block(*(Addition("fixed", prop=name) for name in _changed_flags(build["fixed"], fixed)))
            return
        shared = dict.fromkeys(build["fixed"], True) | self._compare(None, build["common"], consented.get("common"))
        consented_events = consented.get("events")
        for event, properties in build["events"].items():
            theirs = consented_events.get(event) if isinstance(consented_events, Mapping) else None
            if not isinstance(theirs, Mapping):
                self.additions.append(Addition("event", event=event))
                continue
            self._events[event] = shared | self._compare(event, properties, theirs)

    def _block(self, *additions: Addition) -> None:
        self.blocked = True
        self.additions.extend(additions)

    def _compare(self, event: str | None, build: Mapping[str, Any], consented: object) -> dict[str, _Allowed]:
        theirs = consented if isinstance(consented, Mapping) else {}
        allowed: dict[str, _Allowed] = {}
        for name, spec in build.items():
            verdict, kind, values = _compare_spec(spec, theirs.get(name))
            if kind is not None:
                self.additions.append(Addition(kind, event=event, prop=name, values=values))
            if verdict is not False:
                allowed[name] = verdict
        return allowed

    def covers(self, event: str) -> bool:
        """Whether ``event`` is recorded at all."""
        return self.full or (not self.blocked and event in self._events)

    def apply(self, stored: StoredEvent) -> StoredEvent | None:
        """``stored`` with only what the consent covers; None if the event itself is not covered."""
        if self.full:
            return stored
        allowed = self._events.get(stored["event"])
        if self.blocked or allowed is None:
            return None
        kept: dict[str, PropertyValue] = {}
        for name, value in stored["properties"].items():
            rule = allowed.get(name, False)
            if rule is True or (isinstance(rule, _Values) and rule.admits(value)):
                kept[name] = value
        filtered = stored.copy()
        filtered["properties"] = kept
        return filtered


def _changed_flags(build: Mapping[str, PropertyValue], consented: object) -> list[str]:
    """The fixed flags that differ (or that the consented policy has and this build dropped)."""
    theirs = consented if isinstance(consented, Mapping) else {}
    differ = {name for name, value in build.items() if name not in theirs or type(theirs[name]) is not type(value)}
    differ |= {name for name, value in build.items() if name in theirs and theirs[name] != value}
    return sorted(differ | (set(theirs) - set(build)))

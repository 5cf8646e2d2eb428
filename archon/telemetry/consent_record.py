"""The consent record, ``~/.archon/telemetry/consent.json``: what the user agreed to, when, and how.

``archon telemetry on`` writes it (atomically, 0600), replacing any older one::

    {"format": 1,
     "consented_at": "2026-11-25T13:31:18.123456+00:00",
     "how": "command",
     "archon_version": "0.2.0",
     "policy_hash": "<sha256 of the policy below, as archon.telemetry.policy computes it>",
     "policy": {<the policy of the archon that wrote it: each event with its properties, see policy.py>}}

Only what the record's policy allows is recorded while consent comes from ``config.yaml``
(:mod:`archon.telemetry.consented_policy`). The record is self-verifying: ``policy_hash`` is the hash of
``policy``. One edited by hand still counts for what its ``policy`` allows (an edit can only narrow what is sent:
this build cannot send what it does not have), and ``status`` says the hash no longer matches. ``how`` is
``command`` in the file; ``env`` is how ``status`` describes consent given by ``ARCHON_TELEMETRY=on``, which is
to the running build's policy for that process only and is never written. ``off``, ``local`` and ``clear
--all`` delete the record.

Reading it is on every recording run's path: one bounded read (never through a symlink) and ``json``, which that
path loads anyway.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, NamedTuple, TypeGuard

from archon.buildinfo import BuildInfo
from archon.paths import ArchonPaths
from archon.private_files import RefusedFile, read_regular_file, write_atomic
from archon.telemetry.policy import Policy, policy_hash
from archon.timestamps import format_utc, parse_utc

__all__ = [
    "CONSENT_RECORD_FORMAT",
    "ConsentHow",
    "ConsentRecord",
    "RecordProblem",
    "RecordState",
    "delete_consent_record",
    "new_consent_record",
    "read_consent_record",
    "write_consent_record",
]

# Plain values (Literal, NamedTuple), not enums and dataclasses: this module is on every recording run's path, and
# building those classes would cost that run more than reading the record.

CONSENT_RECORD_FORMAT = 1
MAX_RECORD_BYTES = 256 * 1024
_HEX = frozenset("0123456789abcdef")

ConsentHow = Literal["command", "env"]
"""``command``: ``archon telemetry on``. ``env``: ``ARCHON_TELEMETRY=on``, this build's policy for that process
only (never written)."""

_HOW: Mapping[str, ConsentHow] = {"command": "command", "env": "env"}

RecordProblem = Literal["unreadable", "invalid"]
"""``invalid``: not a consent record this archon understands (malformed, or a format it does not know)."""


class ConsentRecord(NamedTuple):
    consented_at: str
    how: ConsentHow
    archon_version: str
    policy_hash: str
    policy: Mapping[str, Any]

    def hash_matches(self) -> bool:
        """Whether ``policy_hash`` is the hash of ``policy`` (False when the record was edited by hand)."""
        return policy_hash(self.policy) == self.policy_hash

    def as_json(self) -> dict[str, Any]:
        return {"format": CONSENT_RECORD_FORMAT, **self._asdict()}


class RecordState(NamedTuple):
    """The record, or why there is none that counts (``problem`` is None when the file is simply absent)."""

    record: ConsentRecord | None
    problem: RecordProblem | None = None


def new_consent_record(*, policy: Policy, build: BuildInfo, now: datetime, how: ConsentHow) -> ConsentRecord:
    return ConsentRecord(
        consented_at=format_utc(now),
        how=how,
        archon_version=build.version,
        policy_hash=policy_hash(policy),
        policy=policy,
    )


def write_consent_record(paths: ArchonPaths, record: ConsentRecord) -> None:
    """Write ``record`` atomically (0600, synced), replacing any older one. Raises ``OSError``."""
    data = json.dumps(record.as_json(), indent=2, ensure_ascii=True) + "\n"
    write_atomic(paths.consent_record, data.encode("ascii"))


def delete_consent_record(paths: ArchonPaths) -> bool:
    """Delete the record; True if there was one."""
    try:
        paths.consent_record.unlink()
    except FileNotFoundError:
        return False
    return True


def read_consent_record(paths: ArchonPaths) -> RecordState:
    """The record as stored. Never raises: unreadable and invalid files are reported, never trusted."""
    try:
        raw = read_regular_file(paths.consent_record, limit=MAX_RECORD_BYTES)
    except FileNotFoundError:
        return RecordState(None)
    except RefusedFile as exc:  # a symlink, a FIFO, a device: never trusted; larger than any record: invalid
        return RecordState(None, "invalid" if exc.reason == "too-large" else "unreadable")
    except OSError:
        return RecordState(None, "unreadable")
    record = _parse(raw)
    return RecordState(record, None if record is not None else "invalid")


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValueError(key)
    return value


def _parse(raw: bytes) -> ConsentRecord | None:
    try:
        data: Any = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != CONSENT_RECORD_FORMAT:
            return None
        policy = data.get("policy")
        if not _is_policy(policy):
            return None
        how = _HOW.get(_text(data, "how"))
        if how is None:
            return None
        record = ConsentRecord(
            consented_at=_text(data, "consented_at"),
            how=how,
            archon_version=_text(data, "archon_version"),
            policy_hash=_text(data, "policy_hash"),
            policy=policy,
        )
    except (UnicodeDecodeError, ValueError):  # ValueError: json's, or a field that is not text
        return None
    digest = record.policy_hash
    if parse_utc(record.consented_at) is None or len(digest) != 64 or not _HEX.issuperset(digest):
        return None
    return record


def _is_policy(policy: object) -> TypeGuard[dict[str, Any]]:
    """The policy's outline (its details are compared, not trusted, by :mod:`~archon.telemetry.consented_policy`)."""
    if not isinstance(policy, dict) or not isinstance(policy.get("format"), str):
        return False
    events, common, fixed = policy.get("events"), policy.get("common"), policy.get("fixed")
    return (
        isinstance(events, dict)
        and all(isinstance(properties, dict) for properties in events.values())
        and isinstance(common, dict)
        and isinstance(fixed, dict)
    )

"""The consent record on disk: written whole and private, read without trusting it."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from typing import Any

import pytest

from archon.buildinfo import current_build
from archon.paths import ArchonPaths
from archon.telemetry.consent_record import (
    MAX_RECORD_BYTES,
    ConsentRecord,
    RecordState,
    delete_consent_record,
    new_consent_record,
    read_consent_record,
    write_consent_record,
)
from archon.telemetry.policy import build_policy, policy_hash

WHEN = datetime(2026, 11, 25, 13, 31, 18, 123456, tzinfo=UTC)


def _record() -> ConsentRecord:
    return new_consent_record(policy=build_policy(), build=current_build(), now=WHEN, how="command")


def test_a_new_record_is_this_builds_policy_with_its_hash() -> None:
    record = _record()
    assert record.policy == build_policy()
    assert record.policy_hash == policy_hash(build_policy())
    assert record.consented_at == "2026-11-25T13:31:18.123456+00:00"
    assert (record.how, record.archon_version) == ("command", current_build().version)
    assert record.hash_matches()


def test_written_private_and_read_back(paths: ArchonPaths) -> None:
    record = _record()
    write_consent_record(paths, record)
    assert stat.S_IMODE(paths.consent_record.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.telemetry_dir.stat().st_mode) == 0o700
    on_disk = json.loads(paths.consent_record.read_text(encoding="ascii"))
    assert list(on_disk) == ["format", "consented_at", "how", "archon_version", "policy_hash", "policy"]
    assert on_disk["format"] == 1
    assert read_consent_record(paths) == RecordState(record)
    assert not [p.name for p in paths.telemetry_dir.iterdir() if p.name != "consent.json"]  # no temp file left


def test_absent_is_no_record_and_no_problem(paths: ArchonPaths) -> None:
    assert read_consent_record(paths) == RecordState(None, None)
    assert delete_consent_record(paths) is False


def test_delete(paths: ArchonPaths) -> None:
    write_consent_record(paths, _record())
    assert delete_consent_record(paths) is True
    assert not paths.consent_record.exists()


def _write_raw(paths: ArchonPaths, data: bytes) -> None:
    paths.telemetry_dir.mkdir(parents=True, exist_ok=True)
    paths.consent_record.write_bytes(data)


def _as_json(**changes: Any) -> bytes:
    document = {**_record().as_json(), **changes}
    return json.dumps({k: v for k, v in document.items() if v is not ...}).encode()


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{not json",
        b"\xff\xfe",
        b"[]",
        _as_json(format=2),
        _as_json(format=...),
        _as_json(how="magic"),
        _as_json(consented_at="yesterday"),
        _as_json(policy_hash="abc"),
        _as_json(policy_hash="G" * 64),
        _as_json(policy=["everything"]),
        _as_json(policy={"format": "archon-telemetry-policy/1", "events": {"a": []}, "common": {}, "fixed": {}}),
        _as_json(archon_version=7),
    ],
    ids=lambda raw: raw[:40].decode("utf-8", "replace"),
)
def test_anything_else_is_invalid_never_trusted(paths: ArchonPaths, raw: bytes) -> None:
    _write_raw(paths, raw)
    assert read_consent_record(paths) == RecordState(None, "invalid")


def test_an_oversized_file_is_invalid(paths: ArchonPaths) -> None:
    _write_raw(paths, b" " * (MAX_RECORD_BYTES + 1) + _as_json())
    assert read_consent_record(paths) == RecordState(None, "invalid")


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="no O_NOFOLLOW")
def test_a_symlink_is_not_followed(paths: ArchonPaths, tmp_path: Any) -> None:
    elsewhere = tmp_path / "planted.json"
    elsewhere.write_bytes(_as_json())
    paths.telemetry_dir.mkdir(parents=True)
    paths.consent_record.symlink_to(elsewhere)
    assert read_consent_record(paths) == RecordState(None, "unreadable")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_a_fifo_is_refused_without_waiting(paths: ArchonPaths) -> None:
    paths.telemetry_dir.mkdir(parents=True)
    os.mkfifo(paths.consent_record)
    assert read_consent_record(paths) == RecordState(None, "unreadable")


def test_a_hand_edited_record_is_read_and_says_its_hash_no_longer_matches(paths: ArchonPaths) -> None:
    record = _record()
    narrowed = json.loads(json.dumps(record.policy))
    del narrowed["events"]["cli.command_completed"]["duration_ms"]
    _write_raw(paths, _as_json(policy=narrowed))
    read = read_consent_record(paths).record
    assert read is not None
    assert read.policy == narrowed
    assert not read.hash_matches()

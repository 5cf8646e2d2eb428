"""The consent cache: "the record holds exactly this build's policy", kept while the record and the build are
the same, and never taken for more than that."""

from __future__ import annotations

import os

import pytest

from archon.buildinfo import current_build
from archon.config import read_config
from archon.paths import ArchonPaths
from archon.private_files import file_signature
from archon.runtime import Runtime
from archon.telemetry.consent import resolve_consent
from archon.telemetry.consent_cache import CACHE_VERSION, POLICY_HASH, covers_this_build, remember_full_consent
from archon.telemetry.consent_record import read_consent_record, write_consent_record
from archon.telemetry.policy import build_policy, policy_hash
from archon.telemetry.recorder import Recorder
from archon.telemetry.schema import CliCommandInvoked, SafeName
from tests.conftest import TEST_KEY
from tests.support.consent import consent_on


def test_the_constant_is_this_build_s_policy_hash() -> None:
    actual = policy_hash(build_policy())
    assert actual == POLICY_HASH, f"the schema changed the policy: set POLICY_HASH = {actual!r} in consent_cache.py"


def _remember(paths: ArchonPaths) -> None:
    remember_full_consent(paths, signature=file_signature(paths.consent_record))


def test_nothing_is_covered_without_a_record_or_a_cache(paths: ArchonPaths) -> None:
    assert not covers_this_build(paths)
    consent_on(paths)
    assert not covers_this_build(paths)  # the long way has not answered yet
    _remember(paths)
    assert covers_this_build(paths)


def test_any_change_to_the_record_means_asking_again(paths: ArchonPaths) -> None:
    record = consent_on(paths)
    _remember(paths)
    narrowed = dict(record.policy, events={})
    write_consent_record(paths, record._replace(policy=narrowed, policy_hash=policy_hash(narrowed)))
    assert not covers_this_build(paths)
    paths.consent_record.unlink()
    assert not covers_this_build(paths)


def test_a_cache_for_another_build_s_policy_does_not_count(paths: ArchonPaths) -> None:
    consent_on(paths)
    _remember(paths)
    text = paths.consent_cache.read_text(encoding="ascii")
    paths.consent_cache.write_text(text.replace(POLICY_HASH, "0" * 64), encoding="ascii")
    assert not covers_this_build(paths)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs and symlinks")
def test_a_cache_that_is_not_a_small_regular_file_is_never_read(paths: ArchonPaths) -> None:
    consent_on(paths)
    planted = paths.home / "planted"
    planted.write_text(f"{CACHE_VERSION}\n{file_signature(paths.consent_record)}\n{POLICY_HASH}\n")
    paths.consent_cache.symlink_to(planted)
    assert not covers_this_build(paths)
    paths.consent_cache.unlink()
    os.mkfifo(paths.consent_cache)
    assert not covers_this_build(paths)  # and did not hang


def test_a_record_changed_since_it_was_read_is_not_remembered(paths: ArchonPaths) -> None:
    record = consent_on(paths)
    before = file_signature(paths.consent_record)
    write_consent_record(paths, record._replace(consented_at="2026-01-01T00:00:00+00:00"))
    remember_full_consent(paths, signature=before)
    assert not paths.consent_cache.exists()


def test_the_recorder_remembers_what_it_found_the_long_way(paths: ArchonPaths) -> None:
    consent_on(paths)
    runtime = Runtime(env={}, home=paths.home, cwd=paths.home)
    build = current_build()._replace(posthog_key=TEST_KEY)
    consent = resolve_consent(runtime.env, lambda: read_config(paths.config))
    recorder = Recorder(runtime=runtime, paths=paths, build=build, consent=consent, show=print)
    recorder.record(CliCommandInvoked(command=SafeName("version"), subcommand=SafeName("")))
    assert recorder.recorded == 1
    assert covers_this_build(paths)
    assert read_consent_record(paths).record is not None

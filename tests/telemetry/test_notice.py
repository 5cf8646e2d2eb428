"""The first-run notice text and its marker."""

from __future__ import annotations

import dataclasses
import os
import stat
import tomllib
from pathlib import Path

from archon.buildinfo import BuildInfo, current_build
from archon.paths import ArchonPaths
from archon.telemetry.consent import Consent
from archon.telemetry.notice import POLICY_URL, first_run_notice, mark_first_run_done, needs_first_run_notice
from tests.support.artefacts import REPO_ROOT

OFF = Consent(enabled=False, source="default", explanation="off: telemetry is off by default")
ON = Consent(enabled=True, source="ARCHON_TELEMETRY", explanation="on: ARCHON_TELEMETRY=1, which overrides x")


def _keyed() -> BuildInfo:
    return dataclasses.replace(current_build(), posthog_key="phc_testkey")


def test_policy_url_is_the_one_in_pyproject() -> None:
    data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["urls"]["Telemetry"] == POLICY_URL


def test_default_notice_says_off_and_how_to_change_it() -> None:
    text = first_run_notice(consent=OFF, build=_keyed())
    assert "OFF" in text
    assert "archon telemetry on" in text
    assert "archon telemetry off" in text
    assert "DO_NOT_TRACK" in text
    assert "ARCHON_TELEMETRY_DEBUG=1" in text
    assert POLICY_URL in text


def test_notice_says_on_when_the_environment_turned_it_on() -> None:
    text = first_run_notice(consent=ON, build=_keyed())
    assert "ON (ARCHON_TELEMETRY=1" in text


def test_notice_on_a_dev_build_says_nothing_is_sent() -> None:
    text = first_run_notice(consent=ON, build=dataclasses.replace(current_build(), posthog_key=""))
    assert "nothing is sent" in text


def test_notice_is_never_a_question() -> None:
    for consent in (ON, OFF):
        assert "?" not in first_run_notice(consent=consent, build=_keyed())


def test_marker_lifecycle(isolation: Path) -> None:
    paths = ArchonPaths(isolation)
    assert needs_first_run_notice(paths)
    assert mark_first_run_done(paths)
    assert not needs_first_run_notice(paths)
    if os.name == "posix":
        assert stat.S_IMODE(paths.first_run_marker.stat().st_mode) == 0o600


def test_marker_write_failure_is_reported_not_raised(isolation: Path) -> None:
    isolation.write_text("a file where the archon home should be", encoding="utf-8")
    assert mark_first_run_done(ArchonPaths(isolation)) is False
    assert needs_first_run_notice(ArchonPaths(isolation))

"""Fixtures for the end-to-end tests: the installed keyed wheel as a :class:`~tests.e2e.harness.Cli`, a second,
real local user for the tests about files someone else made, and the installer tests' release (install.sh,
install.ps1) on a loopback server."""

from __future__ import annotations

import grp
import pwd
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.e2e.harness import PATIENCE, Cli
from tests.e2e.install_sh import Machine
from tests.e2e.processes import kill_processes_with_home, wait_for_no_process_with_home
from tests.support.artefacts import InstalledArchon
from tests.support.binary import FROZEN_VERSION, FrozenArchon
from tests.support.ingest import IngestServer
from tests.support.release_server import ReleaseServer, serve_releases
from tests.support.tools import needs_tools

# What ``other_user`` needs; a test that asks for it with request.getfixturevalue() declares these itself.
OTHER_USER_TOOLS = ("root", "useradd", "userdel", "groupdel")


@pytest.fixture(scope="module")
def releases(frozen_archon: FrozenArchon, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReleaseServer]:
    """The session's release (its SHA256SUMS and archive), as v<FROZEN_VERSION>/ on a loopback server."""
    with serve_releases(tmp_path_factory.mktemp("releases")) as server:
        server.publish(f"v{FROZEN_VERSION}", [frozen_archon.dist / "SHA256SUMS", frozen_archon.archive])
        yield server


@pytest.fixture
def machine(
    releases: ReleaseServer, frozen_archon: FrozenArchon, tmp_path: Path, ingest: IngestServer
) -> Iterator[Machine]:
    """A fresh user's machine for install.sh (tests/e2e/install_sh.py); afterwards nothing is left in its TMPDIR and
    nothing reached the ingest server."""
    home, archon_home, tmp, fakes = (tmp_path / name for name in ("home", "archon-home", "tmp", "fakes"))
    for folder in (home, archon_home, tmp, fakes):
        folder.mkdir()
    yield Machine(home, archon_home, tmp, fakes, server=releases, target=frozen_archon.target)
    assert list((tmp_path / "tmp").iterdir()) == []  # the installer cleaned up after itself, whatever happened
    assert ingest.snapshot() == []  # nothing reached the ingest server: no install ever ran archon with telemetry on


@pytest.fixture
def cli(keyed_archon: InstalledArchon, ingest: IngestServer, isolation: Path, tmp_path: Path) -> Iterator[Cli]:
    """The keyed wheel's ``archon`` with the test's own home; nothing it started outlives the test."""
    work = tmp_path / "work"
    work.mkdir()
    harness = Cli(executable=keyed_archon.archon, home=isolation, cwd=work, ingest=ingest)
    yield harness
    wait_for_no_process_with_home(harness.home, timeout=PATIENCE)
    kill_processes_with_home(harness.home)


@pytest.fixture
@needs_tools(*OTHER_USER_TOOLS)
def other_user() -> Iterator[pwd.struct_passwd]:
    """A real second local user (``useradd``), deleted afterwards. Needs root: skipped without it, except in CI,
    which runs as root, where a missing right is a failure."""
    require_tool("root")
    useradd, userdel = require_tool("useradd"), require_tool("userdel")
    name = f"archon-t{secrets.token_hex(4)}"
    subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name],
        check=True,
        capture_output=True,
        timeout=60,
    )
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run([userdel, name], check=False, capture_output=True, timeout=60)
        try:
            grp.getgrnam(name)
        except KeyError:
            pass
        else:
            subprocess.run([require_tool("groupdel"), name], check=False, capture_output=True, timeout=60)

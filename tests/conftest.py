"""Root fixtures. ``isolation`` (autouse) gives every test its own archon home and a clean environment, and
makes sending impossible: in this process no socket may connect anywhere but loopback, and the committed
development build has no telemetry key, so only artefacts that tests build on purpose (with a loopback host)
can send anything, and only to a server a test started.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archon.paths import ArchonPaths
from tests.support.artefacts import InstalledArchon, build_wheel, install_wheel
from tests.support.binary import FrozenArchon, build_frozen_archon
from tests.support.ingest import IngestServer

# The external tools each test needs: declared with @pytest.mark.needs_tool, checked before it runs, selected with
# --without-tools (tests/support/tools.py, whose hooks this conftest takes on as its own).
from tests.support.tools import (
    IN_CI,
    pytest_addoption,
    pytest_collection_finish,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_runtest_setup,
    pytest_runtest_teardown,
    require_tool,
)

__all__ = [
    "IN_CI",
    "TEST_KEY",
    "pytest_addoption",
    "pytest_collection_finish",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_runtest_setup",
    "pytest_runtest_teardown",
    "require_tool",
]

TEST_KEY = "phc_archonTestKey0123456789abcdefghijklmnopqrstuv"

# Everything archon or the posthog library reads from the environment; cleared for every test.
_CLEARED_ENV = (
    "DO_NOT_TRACK",
    "ARCHON_TELEMETRY",
    "ARCHON_TELEMETRY_DISABLED",
    "ARCHON_TELEMETRY_DEBUG",
    "ARCHON_DEBUG",
    "ARCHON_CLAUDE_BIN",
    "ARCHON_CODEX_BIN",
    "POSTHOG_PUBLIC_KEY",
    "POSTHOG_HOST",
    "POSTHOG_RELEASE_ID",
    "POSTHOG_CAPTURE_MODE",
    "POSTHOG_CAPTURE_COMPRESSION",
    "ARCHON_REQUIRE_POSTHOG_KEY",
    "VERSION",
    "GIT_COMMIT",
)


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _guard(real: Any) -> Any:
    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(str(address[0])):
            raise ConnectionRefusedError(f"test isolation: connecting to {address[0]!r} is not allowed")
        return real(self, address)

    return guarded


@pytest.fixture(scope="session", autouse=True)
def interruptible_children() -> None:
    """Tests send SIGINT to the archon processes they start, as Ctrl-C would. A test run started with SIGINT
    ignored (a background job of a non-interactive shell, ``nohup``) would pass that on to every process it
    starts, and Python leaves an ignored SIGINT ignored: those tests would then wait for a run that never stops.
    Python's own handler here makes the processes the tests start begin with the default action again."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def isolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private ARCHON_HOME and HOME, no opt-out or build variables, and loopback-only sockets."""
    home = tmp_path / "archon-home"
    user_home = tmp_path / "user-home"
    user_home.mkdir()
    for name in _CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARCHON_HOME", str(home))
    monkeypatch.setenv("HOME", str(user_home))
    monkeypatch.setenv("USERPROFILE", str(user_home))
    monkeypatch.setattr(socket.socket, "connect", _guard(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _guard(socket.socket.connect_ex))
    return home


@pytest.fixture
def paths(isolation: Path) -> ArchonPaths:
    """The paths under the test's private archon home (nothing is created)."""
    return ArchonPaths(isolation)


@pytest.fixture(scope="session")
def session_ingest() -> Iterator[IngestServer]:
    """One loopback ingest server for the session; the keyed wheel points at it. Tests call ``reset()``."""
    with IngestServer() as server:
        yield server


@pytest.fixture(scope="session")
def keyed_archon(session_ingest: IngestServer, tmp_path_factory: pytest.TempPathFactory) -> InstalledArchon:
    """The real wheel, built with TEST_KEY and the session ingest server as host, installed in a fresh venv."""
    out = tmp_path_factory.mktemp("keyed-wheel")
    result = build_wheel(
        out,
        {
            "POSTHOG_PUBLIC_KEY": TEST_KEY,
            "POSTHOG_HOST": session_ingest.url,
            "VERSION": "v9.8.7",
            "GIT_COMMIT": "0123abcd",
        },
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = out.glob("*.whl")
    return install_wheel(wheel, tmp_path_factory.mktemp("keyed-venv") / "venv")


@pytest.fixture
def ingest(session_ingest: IngestServer) -> IngestServer:
    """The session ingest server, emptied and answering 200."""
    session_ingest.reset("ok")
    return session_ingest


@pytest.fixture(scope="session")
def frozen_archon(session_ingest: IngestServer, tmp_path_factory: pytest.TempPathFactory) -> FrozenArchon:
    """The standalone binary, built once per session by scripts/build-binaries.sh (TEST_KEY, session ingest host)."""
    return build_frozen_archon(tmp_path_factory.mktemp("frozen"), key=TEST_KEY, host=session_ingest.url)

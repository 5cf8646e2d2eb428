"""Fixtures of the installer tests (install.sh, install.ps1): the session's release on a loopback server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.binary import FROZEN_VERSION, FrozenArchon
from tests.support.release_server import ReleaseServer, serve_releases


@pytest.fixture(scope="module")
def releases(frozen_archon: FrozenArchon, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReleaseServer]:
    """The session's release (9.8.7: its SHA256SUMS and archive), as v9.8.7/ on a loopback server."""
    with serve_releases(tmp_path_factory.mktemp("releases")) as server:
        server.publish(f"v{FROZEN_VERSION}", [frozen_archon.dist / "SHA256SUMS", frozen_archon.archive])
        yield server

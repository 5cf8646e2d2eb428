"""Fixtures for the live reverse-proxy tests: each proxy in deploy/ runs for real in front of the loopback ingest
server. All three take turns on ONE loopback port picked up front, so a single archon wheel built with that port as
its POSTHOG_HOST exercises every proxy (pytest runs the tests of one proxy, stops it, then starts the next).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deploy.proxies import PROXY_KINDS, RunningProxy, free_port, locate_tool, run_proxy
from tests.support.ingest import IngestServer


@pytest.fixture(scope="session")
def proxy_port() -> int:
    """The loopback port every proxy listens on in turn (known before the proxied wheel is built)."""
    return free_port()


@pytest.fixture(scope="session", params=PROXY_KINDS)
def proxy(
    request: pytest.FixtureRequest,
    proxy_port: int,
    session_ingest: IngestServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningProxy]:
    """One production proxy config running on ``proxy_port`` in front of the session ingest server."""
    kind = request.param
    tool = locate_tool(kind)
    workdir = tmp_path_factory.mktemp(f"proxy-{kind}")
    with run_proxy(kind, tool=tool, port=proxy_port, upstream=session_ingest.url, workdir=workdir) as running:
        yield running

"""Fixtures for the live reverse-proxy tests: each proxy in deploy/ runs for real in front of the loopback ingest
server. All three take turns on ONE loopback port picked up front, so a single archon wheel built with that port as
its POSTHOG_HOST exercises every proxy (pytest runs the tests of one proxy, stops it, then starts the next).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import TEST_KEY
from tests.deploy.proxies import PROXY_KINDS, RunningProxy, free_port, locate_tool, run_proxy, tool_name
from tests.support.artefacts import InstalledArchon, build_wheel, install_wheel
from tests.support.ingest import IngestServer


@pytest.fixture(scope="session")
def proxy_port() -> int:
    """The loopback port every proxy listens on in turn (known before the proxied wheel is built)."""
    return free_port()


@pytest.fixture(scope="session")
def proxy_upstream() -> Iterator[IngestServer]:
    """The loopback stand-in for PostHog behind the proxies: their own, so that late deliveries from other suites'
    archon runs (which send to the shared session ingest server) can never land in these tests."""
    with IngestServer() as server:
        yield server


@pytest.fixture
def upstream(proxy_upstream: IngestServer) -> IngestServer:
    """The proxies' upstream, emptied and answering 200."""
    proxy_upstream.reset("ok")
    return proxy_upstream


@pytest.fixture(
    scope="session", params=[pytest.param(kind, marks=pytest.mark.needs_tool(tool_name(kind))) for kind in PROXY_KINDS]
)
def proxy(
    request: pytest.FixtureRequest,
    proxy_port: int,
    proxy_upstream: IngestServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningProxy]:
    """One production proxy config running on ``proxy_port`` in front of ``proxy_upstream``."""
    kind = request.param
    tool = locate_tool(kind)
    workdir = tmp_path_factory.mktemp(f"proxy-{kind}")
    with run_proxy(kind, tool=tool, port=proxy_port, upstream=proxy_upstream.url, workdir=workdir) as running:
        yield running


@pytest.fixture(scope="session")
def proxied_archon(proxy_port: int, tmp_path_factory: pytest.TempPathFactory) -> InstalledArchon:
    """ONE real wheel for all three proxies: TEST_KEY embedded, POSTHOG_HOST = the proxies' loopback address."""
    out = tmp_path_factory.mktemp("proxied-wheel")
    result = build_wheel(
        out,
        {
            "POSTHOG_PUBLIC_KEY": TEST_KEY,
            "POSTHOG_HOST": f"http://127.0.0.1:{proxy_port}",
            "VERSION": "v9.8.7",
            "GIT_COMMIT": "0123abcd",
        },
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = out.glob("*.whl")
    return install_wheel(wheel, tmp_path_factory.mktemp("proxied-venv") / "venv")

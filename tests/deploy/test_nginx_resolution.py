"""nginx looks PostHog's name up again when its DNS record expires, instead of keeping the address it found at
start-up: the committed config, with its resolver pointed at a loopback DNS server the test controls, follows the
name from one loopback address to another while it keeps running."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY
from tests.deploy.loopback_dns import LoopbackDns
from tests.deploy.proxies import ProxyOptions, free_port, locate_tool, run_proxy
from tests.deploy.test_proxy_live import JSON, make_events, send
from tests.support.ingest import IngestServer

pytestmark = [pytest.mark.slow, pytest.mark.needs_tool("nginx")]

NAME = "ingest.posthog.archon.test"
SECOND_ADDRESS = "127.0.0.3"


def test_nginx_follows_a_changed_address(tmp_path: Path) -> None:
    with (
        LoopbackDns(ttl=1) as dns,
        IngestServer() as first,
        IngestServer(host=SECOND_ADDRESS, bind_port=first.port) as second,
        run_proxy(
            "nginx",
            tool=locate_tool("nginx"),
            port=free_port(),
            upstream=f"http://{NAME}:{first.port}",
            workdir=tmp_path / "nginx",
            options=ProxyOptions(resolver=dns.address),
        ) as nginx,
    ):
        dns.point(NAME, "127.0.0.1")
        body = json.dumps({"api_key": TEST_KEY, "batch": make_events(1)}).encode()
        assert send(nginx, "POST", "/batch/", body=body, headers=JSON).status == 200
        assert len(first.snapshot()) == 1

        dns.point(NAME, SECOND_ADDRESS)
        deadline = time.monotonic() + 15  # the record lives 1 s; nginx asks again on the first request after that
        while not second.snapshot() and time.monotonic() < deadline:
            time.sleep(0.25)
            assert send(nginx, "POST", "/batch/", body=body, headers=JSON).status == 200

    assert len(second.snapshot()) >= 1, "nginx kept sending to the address it resolved first"
    asked = [question for question in dns.questions() if question[0] == NAME]
    assert len(asked) >= 2
    assert {record_type for _, record_type in asked} == {"A"}  # ipv6=off: no AAAA lookups

"""The committed proxy configs themselves: PostHog EU over verified TLS by default, no test-only allowance in
production, and one ingest allow-list, shared by all three, that covers exactly what the posthog SDK sends."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import posthog.capture_v1
import posthog.request
import pytest

from tests.deploy.proxies import CADDYFILE, NGINX_CONF, WORKER_DIR, locate_tool

EU = "https://eu.i.posthog.com"
WORKER_JS = WORKER_DIR / "worker.js"
WRANGLER = WORKER_DIR / "wrangler.toml"
PRODUCTION_FILES = (NGINX_CONF, CADDYFILE, WORKER_JS, WRANGLER)

SDK_INGEST_PATHS = [posthog.request.EVENTS_ENDPOINT, posthog.capture_v1._CAPTURE_V1_PATH]
OTHER_INGEST_PATHS = ["/batch", "/i/v0/e/", "/i/v0/e", "/e/", "/e", "/capture/", "/capture", "/i/v1/analytics/events/"]
NOT_INGEST_PATHS = [
    "/flags/",
    "/decide/",
    "/api/projects/@current/feature_flags/f/remote_config",
    "/i/v0/ai/batch/",
    "/i/v1/traces",
    "/s/",
    "/track/",
    "/",
    "/batch//",
    "/batchx",
    "/x/batch/",
    "/batch/?ip=1",
]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def ingest_patterns() -> dict[str, re.Pattern[str]]:
    """The ingest path allow-list as each proxy declares it."""
    nginx = re.search(r'"~(\^/\S+\$)" 1;', _read(NGINX_CONF))
    caddy = re.search(r"@ingest vars_regexp \{http\.request\.uri\} `([^`]+)`", _read(CADDYFILE))
    worker = re.search(r"const INGEST_PATH = /(.+)/;", _read(WORKER_JS))
    assert nginx is not None
    assert caddy is not None
    assert worker is not None
    return {
        "nginx": re.compile(nginx.group(1)),
        "caddy": re.compile(caddy.group(1)),
        "worker": re.compile(worker.group(1).replace("\\/", "/")),
    }


@pytest.mark.parametrize("path", SDK_INGEST_PATHS + OTHER_INGEST_PATHS)
def test_ingest_paths_are_forwarded_by_every_proxy(path: str) -> None:
    assert {kind: bool(p.fullmatch(path)) for kind, p in ingest_patterns().items()} == dict.fromkeys(
        ("nginx", "caddy", "worker"), True
    )


@pytest.mark.parametrize("path", NOT_INGEST_PATHS)
def test_other_paths_are_refused_by_every_proxy(path: str) -> None:
    assert {kind: bool(p.fullmatch(path)) for kind, p in ingest_patterns().items()} == dict.fromkeys(
        ("nginx", "caddy", "worker"), False
    )


def test_worker_defaults_to_posthog_eu() -> None:
    wrangler = tomllib.loads(_read(WRANGLER))
    assert wrangler["main"] == "worker.js"
    assert wrangler["vars"] == {"POSTHOG_UPSTREAM": EU}
    assert wrangler["workers_dev"] is False
    assert wrangler["observability"] == {"enabled": False}
    assert f'const DEFAULT_UPSTREAM = "{EU}";' in _read(WORKER_JS)


def test_nginx_defaults_to_posthog_eu_over_verified_tls() -> None:
    text = _read(NGINX_CONF)
    upstream_block = re.search(r"# BEGIN upstream\b.*?# END upstream", text, flags=re.DOTALL)
    assert upstream_block is not None
    assert re.findall(r"proxy_pass \S+;", text) == [f"proxy_pass {EU};"]
    assert f"proxy_pass {EU};" in upstream_block.group(0)
    for directive in (
        "proxy_set_header Host                      eu.i.posthog.com;",
        "proxy_ssl_server_name on;",
        "proxy_ssl_name eu.i.posthog.com;",
        "proxy_ssl_verify on;",
        "proxy_pass_request_headers off;",
        "access_log off;",
        "client_max_body_size    1m;",
    ):
        assert directive in text


def test_no_proxy_logs_request_data() -> None:
    """The live test sees the default log levels; this pins what it cannot trigger: nginx's per-connection messages
    at any level, Caddy's loggers that write request data only with `debug`, and a Worker calling console.*."""
    nginx = _read(NGINX_CONF)
    assert re.findall(r"^\s*(access_log|error_log) ([^;]*);", nginx, flags=re.MULTILINE) == [
        ("access_log", "off"),
        ("error_log", "/dev/null"),
    ]
    config: dict[str, Any] = json.loads(_caddy("adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile").stdout)
    assert config["logging"]["logs"] == {
        "default": {"exclude": ["http.log.error", "http.log.access", "http.stdlib", "http.handlers.reverse_proxy"]}
    }
    assert "console." not in _read(WORKER_JS)
    assert tomllib.loads(_read(WRANGLER))["observability"] == {"enabled": False}


def test_no_production_config_names_a_local_address() -> None:
    for path in PRODUCTION_FILES:
        text = _read(path)
        for local in ("127.0.0.1", "localhost", "[::1]", '"local"', "http://"):
            assert local not in text, f"{path.name} mentions {local}"


def _caddy(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ["HOME"]}
    return subprocess.run(
        [locate_tool("caddy"), *args], env=env, capture_output=True, text=True, check=True, timeout=60
    )


def test_caddyfile_adapts_to_https_site_and_verified_eu_upstream() -> None:
    """With no environment overrides the Caddyfile is the production site: automatic HTTPS on the project's name."""
    config: dict[str, Any] = json.loads(_caddy("adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile").stdout)
    assert config["admin"] == {"disabled": True}
    (server,) = config["apps"]["http"]["servers"].values()
    assert server["listen"] == [":443"]
    (route,) = server["routes"]
    assert route["match"] == [{"host": ["telemetry.archon-cli.dev"]}]
    proxies = [h for h in _walk_handlers(route) if h.get("handler") == "reverse_proxy"]
    (proxy,) = proxies
    assert proxy["upstreams"] == [{"dial": "eu.i.posthog.com:443"}]
    assert proxy["transport"]["tls"] == {}  # TLS on, certificate verified, SNI from the upstream's name
    assert proxy["headers"]["request"]["set"] == {"Host": ["{http.reverse_proxy.upstream.host}"]}


def test_caddyfile_is_formatted() -> None:
    assert _caddy("fmt", str(CADDYFILE)).stdout == _read(CADDYFILE)


def _walk_handlers(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "handler" in node:
            found.append(node)
        for value in node.values():
            found.extend(_walk_handlers(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_walk_handlers(value))
    return found

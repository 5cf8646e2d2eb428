"""The committed proxy configs themselves: PostHog EU over verified TLS by default, no test-only allowance in
production, one ingest allow-list, shared by all three, that covers exactly what the posthog SDK sends, one
project-key pattern (the build's), and the request-header allow-lists the live tests check."""

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

from build_tools.constants import BuildConstantsError, validate_key
from tests.deploy.proxies import CADDYFILE, NGINX_CONF, WORKER_DIR, locate_tool
from tests.deploy.request_headers import FORWARDED_FROM_CLIENT

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


def declared_patterns(finders: dict[str, tuple[Path, str]]) -> dict[str, re.Pattern[str]]:
    """A regular expression as each proxy declares it: group 1 of the finder's match in the proxy's file (a
    JavaScript regex literal's escaped slashes unescaped)."""
    declared = {}
    for kind, (path, finder) in finders.items():
        found = re.search(finder, _read(path))
        assert found is not None, f"{path.name}: nothing matches {finder}"
        declared[kind] = re.compile(found.group(1).replace("\\/", "/"))
    return declared


def ingest_patterns() -> dict[str, re.Pattern[str]]:
    """The ingest path allow-list as each proxy declares it."""
    return declared_patterns(
        {
            "nginx": (NGINX_CONF, r'"~(\^/\S+\$)" 1;'),
            "caddy": (CADDYFILE, r"@ingest vars_regexp \{http\.request\.uri\} `([^`]+)`"),
            "worker": (WORKER_JS, r"const INGEST_PATH = /(.+)/;"),
        }
    )


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
    # A variable upstream, so that nginx resolves PostHog's name at run time (its resolver below), not once.
    assert re.findall(r"proxy_pass \S+;", text) == ["proxy_pass $archon_posthog;"]
    assert re.findall(r"set \$archon_posthog \S+;", text) == [f"set $archon_posthog {EU};"]
    assert f"set $archon_posthog {EU};" in upstream_block.group(0)
    for directive in (
        "resolver 1.1.1.1 8.8.8.8 ipv6=off;",
        "proxy_set_header Host                      eu.i.posthog.com;",
        "proxy_ssl_server_name on;",
        "proxy_ssl_name eu.i.posthog.com;",
        "proxy_ssl_verify on;",
        "proxy_pass_request_headers off;",
        "access_log off;",
        "client_max_body_size    1m;",
    ):
        assert directive in text


@pytest.mark.needs_tool("caddy")
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


@pytest.mark.needs_tool("caddy")
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
    assert proxy["headers"]["request"] == {
        "set": {"Host": ["{http.reverse_proxy.upstream.host}"]},
        "delete": ["X-Forwarded-*"],
    }


def _caddy_forwarded_headers() -> set[str]:
    """The request headers Caddy's ingest route sets again after removing them all (`-**`)."""
    config: dict[str, Any] = json.loads(_caddy("adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile").stdout)
    request_ops = [h["request"] for h in _walk_handlers(config) if h.get("handler") == "headers" and "request" in h]
    assert request_ops[0] == {"delete": ["**"]}, "every request header is removed first"
    return {name.lower() for ops in request_ops[1:] for name in ops["set"]}


@pytest.mark.needs_tool("caddy")
def test_every_proxy_declares_the_same_request_header_allow_list() -> None:
    """What the live tests check by sending headers, read off each config: nginx's proxy_set_header lines, the
    headers Caddy sets again, and the Worker's FORWARDED_HEADERS plus the two it sets itself (it forwards decoded
    JSON, so no Content-Encoding)."""
    nginx = {name.lower() for name in re.findall(r"^\s*proxy_set_header (\S+)", _read(NGINX_CONF), re.MULTILINE)}
    worker_list = re.search(r"const FORWARDED_HEADERS = \[([^\]]*)\]", _read(WORKER_JS))
    assert worker_list is not None
    worker = set(re.findall(r'"([a-z-]+)"', worker_list.group(1))) | {"content-type", "authorization"}
    assert nginx == FORWARDED_FROM_CLIENT | {"host"}
    assert _caddy_forwarded_headers() == FORWARDED_FROM_CLIENT
    assert worker == FORWARDED_FROM_CLIENT - {"content-encoding"}


def project_key_patterns() -> dict[str, re.Pattern[str]]:
    """The project-key pattern each proxy applies to `Authorization` (the Worker also to its configured key)."""
    return declared_patterns(
        {
            "nginx": (NGINX_CONF, r'"~\^Bearer (phc_\S+)\$" \$http_authorization;'),
            "caddy": (CADDYFILE, r"@authorization vars_regexp archon_authorization `\^Bearer (phc_\S+)\$`"),
            "worker": (WORKER_JS, r"const PROJECT_KEY = /\^(phc_\S+)\$/;"),
        }
    )


@pytest.mark.parametrize(
    "key",
    [
        "phc_archonTestKey0123456789abcdefghijklmnopqrstuv",
        "phc_12345678",
        "phc_1234567",
        "phx_personalKey0123456789abcdefghijklmnop",
        "phc_with space0123",
        "phc_" + "a" * 129,
        "phc_a-b_c-d_e",
        "PHC_archonTestKey0123456789",
    ],
)
def test_every_proxy_takes_a_project_key_as_the_build_does(key: str) -> None:
    try:
        validate_key(key)
    except BuildConstantsError:
        expected = False
    else:
        expected = True
    assert {kind: bool(p.fullmatch(key)) for kind, p in project_key_patterns().items()} == dict.fromkeys(
        ("nginx", "caddy", "worker"), expected
    )


@pytest.mark.needs_tool("caddy")
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

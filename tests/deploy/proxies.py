"""Run the production reverse-proxy configs from deploy/ as real processes on loopback, for the live tests.

The configs are used as committed. The only changes are the declared substitution points, each asserted to occur
exactly once so a config cannot drift away from what is tested:

- nginx: the ``# BEGIN listen``/``# END listen`` block becomes a loopback ``listen``; the ``resolver`` line in the
  ``# BEGIN resolver``/``# END resolver`` block names a loopback DNS server instead of the public ones (by default
  a port nothing answers on: the usual upstream is an IP address, which nginx never looks up); and the upstream
  origin in the ``# BEGIN upstream``/``# END upstream`` block points at the loopback upstream. A small test-only
  main config wraps it (``daemon off``, its own prefix, pid, temp dirs and error log).
- Caddy: the Caddyfile is run unchanged; its environment placeholders name the site, the bind address and the
  upstream.
- Worker: worker.js is run unchanged under workerd with tests/deploy/workerd-test.capnp, which takes the
  compatibility date and variables from wrangler.toml, overrides ``POSTHOG_UPSTREAM``, binds
  ``POSTHOG_PROJECT_KEY`` (in production a Worker secret) and lets the Worker's outbound network reach loopback
  (test-only).
"""

from __future__ import annotations

import json
import re
import socket
import string
import subprocess
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tests.conftest import TEST_KEY, require_tool
from tests.support.artefacts import REPO_ROOT

__all__ = [
    "CADDYFILE",
    "NGINX_CONF",
    "PROXY_KINDS",
    "WORKER_DIR",
    "ProxyKind",
    "ProxyOptions",
    "RunningProxy",
    "expected_upstream_host",
    "free_port",
    "locate_tool",
    "render_nginx_site",
    "run_proxy",
    "tool_name",
]

ProxyKind = Literal["worker", "nginx", "caddy"]
PROXY_KINDS: tuple[ProxyKind, ...] = ("worker", "nginx", "caddy")

DEPLOY = REPO_ROOT / "deploy"
NGINX_CONF = DEPLOY / "nginx" / "archon-telemetry.conf"
CADDYFILE = DEPLOY / "caddy" / "Caddyfile"
WORKER_DIR = DEPLOY / "cloudflare-worker"
WORKERD_TEMPLATE = Path(__file__).with_name("workerd-test.capnp")

_TOOLS: dict[ProxyKind, str] = {"worker": "workerd", "nginx": "nginx", "caddy": "caddy"}
_START_TIMEOUT = 20.0
_STOP_TIMEOUT = 10.0


def tool_name(kind: ProxyKind) -> str:
    """The program that runs ``kind``, as tests declare it (``@pytest.mark.needs_tool``)."""
    return _TOOLS[kind]


def locate_tool(kind: ProxyKind) -> str:
    """The executable that runs ``kind``: on PATH or where .ci/run puts it (tests/support/tools.py looks); else
    skip (laptop) or fail (CI)."""
    return require_tool(_TOOLS[kind])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _replace_once(text: str, pattern: str, replacement: str, what: str) -> str:
    new, count = re.subn(pattern, lambda _: replacement, text, flags=re.DOTALL)
    if count != 1:
        raise AssertionError(f"{what}: expected exactly one substitution point, found {count}")
    return new


def _replace_in_block(text: str, block_name: str, pattern: str, replacement: str) -> str:
    block = re.search(rf"# BEGIN {block_name}\b.*?# END {block_name}", text, flags=re.DOTALL)
    if block is None:
        raise AssertionError(f"nginx: no {block_name} block")
    replaced = _replace_once(block.group(0), pattern, replacement, f"nginx {block_name}")
    return text[: block.start()] + replaced + text[block.end() :]


def render_nginx_site(*, listen: str, upstream: str, resolver: str) -> str:
    """deploy/nginx/archon-telemetry.conf with the listen block, the resolver and the upstream origin substituted."""
    text = NGINX_CONF.read_text(encoding="utf-8")
    text = _replace_once(text, r"# BEGIN listen\b.*?# END listen", f"listen {listen};", "nginx listen block")
    # Only the servers' addresses change; the parameters after them (ipv6=off) stay as committed.
    text = _replace_in_block(text, "resolver", r"resolver 1\.1\.1\.1 8\.8\.8\.8 ", f"resolver {resolver} ")
    return _replace_in_block(
        text, "upstream", r"set \$archon_posthog https://eu\.i\.posthog\.com;", f"set $archon_posthog {upstream};"
    )


def _nginx_main_conf(workdir: Path, site: Path, tool: str) -> str:
    """A test-only main config around the site file: foreground, private prefix, pid, temp dirs and log."""
    built_with = subprocess.run([tool, "-V"], capture_output=True, text=True, check=True, timeout=30).stderr
    temp_paths = [
        f"{directive} {workdir / name};"
        for option, directive, name in (
            ("--http-client-body-temp-path", "client_body_temp_path", "body"),
            ("--http-proxy-temp-path", "proxy_temp_path", "proxy"),
            ("--http-fastcgi-temp-path", "fastcgi_temp_path", "fastcgi"),
            ("--http-uwsgi-temp-path", "uwsgi_temp_path", "uwsgi"),
            ("--http-scgi-temp-path", "scgi_temp_path", "scgi"),
        )
        if option in built_with or directive in ("client_body_temp_path", "proxy_temp_path")
    ]
    return "\n".join(
        [
            "daemon off;",
            "worker_processes 1;",
            f"pid {workdir / 'nginx.pid'};",
            f"error_log {workdir / 'error.log'} info;",
            "events { worker_connections 64; }",
            "http {",
            *(f"    {line}" for line in temp_paths),
            f"    include {site};",
            "}",
            "",
        ]
    )


def _workerd_config(*, port: int, upstream: str, project_key: str | None) -> str:
    wrangler = tomllib.loads((WORKER_DIR / "wrangler.toml").read_text(encoding="utf-8"))
    if wrangler.get("main") != "worker.js":
        raise AssertionError("wrangler.toml must deploy worker.js, the file the tests run")
    variables: dict[str, str] = {str(k): str(v) for k, v in wrangler.get("vars", {}).items()}
    if "POSTHOG_UPSTREAM" not in variables:
        raise AssertionError("wrangler.toml must set POSTHOG_UPSTREAM")
    if "POSTHOG_PROJECT_KEY" in variables:
        raise AssertionError("POSTHOG_PROJECT_KEY is a Worker secret (docs/proxy.md), never a [vars] entry")
    variables["POSTHOG_UPSTREAM"] = upstream
    if project_key is not None:
        variables["POSTHOG_PROJECT_KEY"] = project_key
    bindings = ", ".join(f"(name = {json.dumps(k)}, text = {json.dumps(v)})" for k, v in sorted(variables.items()))
    template = string.Template(WORKERD_TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(
        address=json.dumps(f"127.0.0.1:{port}"),
        compatibility_date=json.dumps(str(wrangler["compatibility_date"])),
        bindings=bindings,
    )


@dataclass(frozen=True)
class _Command:
    argv: list[str]
    env: dict[str, str]


@dataclass(frozen=True)
class ProxyOptions:
    """Test-only choices beyond the listen port and the upstream: the Worker's ``POSTHOG_PROJECT_KEY`` (None: not
    bound), and the DNS server nginx asks (``host:port``; None: a loopback port nothing answers on)."""

    project_key: str | None = TEST_KEY
    resolver: str | None = None


def _command(kind: ProxyKind, *, tool: str, port: int, upstream: str, workdir: Path, options: ProxyOptions) -> _Command:
    base_env = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": str(workdir), "LANG": "C.UTF-8"}
    if kind == "nginx":
        site = workdir / "archon-telemetry.conf"
        resolver = options.resolver or f"127.0.0.1:{free_port()}"
        site.write_text(
            render_nginx_site(listen=f"127.0.0.1:{port}", upstream=upstream, resolver=resolver), encoding="utf-8"
        )
        main = workdir / "nginx.conf"
        main.write_text(_nginx_main_conf(workdir, site, tool), encoding="utf-8")
        argv = [tool, "-p", f"{workdir}/", "-c", str(main), "-e", str(workdir / "error.log")]
        return _Command(argv, base_env)
    if kind == "caddy":
        env = {
            **base_env,
            "XDG_DATA_HOME": str(workdir / "data"),
            "XDG_CONFIG_HOME": str(workdir / "config"),
            "ARCHON_PROXY_SITE": f"http://127.0.0.1:{port}",
            "ARCHON_PROXY_BIND": "127.0.0.1",
            "POSTHOG_UPSTREAM": upstream,
        }
        return _Command([tool, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"], env)
    config = workdir / "workerd-test.capnp"
    config.write_text(_workerd_config(port=port, upstream=upstream, project_key=options.project_key), encoding="utf-8")
    return _Command([tool, "serve", "--import-path", str(WORKER_DIR), str(config)], base_env)


@dataclass(frozen=True)
class RunningProxy:
    kind: ProxyKind
    port: int
    upstream: str
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        texts = [self.log.read_text(encoding="utf-8", errors="replace")]
        nginx_log = self.log.with_name("error.log")
        if nginx_log.exists():
            texts.append(nginx_log.read_text(encoding="utf-8", errors="replace"))
        return "\n".join(texts)


def _accepts(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def run_proxy(
    kind: ProxyKind, *, tool: str, port: int, upstream: str, workdir: Path, options: ProxyOptions | None = None
) -> Iterator[RunningProxy]:
    """Start ``kind`` on 127.0.0.1:``port`` in front of ``upstream``; stop it on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = _command(
        kind, tool=tool, port=port, upstream=upstream, workdir=workdir, options=options or ProxyOptions()
    )
    running = RunningProxy(kind=kind, port=port, upstream=upstream, log=workdir / "proxy.log")
    with running.log.open("wb") as log:
        process = subprocess.Popen(
            command.argv, env=command.env, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while not _accepts(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{kind} did not start on port {port}:\n{running.log_text()}")
            time.sleep(0.05)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=_STOP_TIMEOUT)


def expected_upstream_host(running: RunningProxy) -> str:
    """The Host header each proxy sends upstream: PostHog's name (nginx), or the upstream's own address."""
    netloc = running.upstream.split("://", 1)[1]
    return {"nginx": "eu.i.posthog.com", "caddy": netloc.rsplit(":", 1)[0], "worker": netloc}[running.kind]

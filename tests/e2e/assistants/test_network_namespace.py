"""The lab really is cut off: inside its network namespace only loopback exists, a lookup of a vendor host is
answered NXDOMAIN at once, the fake APIs answer, and nothing (namespace, processes, /etc/netns) outlives it."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.assistants.conftest import require_namespaces
from tests.support.assistant_lab import AssistantLab, assistant_lab
from tests.support.model_api import Exchange, ModelScript, Say
from tests.support.proc import read_process

pytestmark = pytest.mark.slow

_CONNECT = """
import errno, socket, sys, time
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
start = time.monotonic()
try:
    socket.create_connection((sys.argv[1], 443), timeout=20)
except OSError as error:
    print(errno.errorcode.get(error.errno, error.errno), round(time.monotonic() - start, 3))
else:
    print("CONNECTED", round(time.monotonic() - start, 3))
"""

_LOOKUP = """
import socket, sys, time
start = time.monotonic()
try:
    socket.getaddrinfo(sys.argv[1], 443)
except socket.gaierror as error:
    print(error.args[1], round(time.monotonic() - start, 3))
else:
    print("RESOLVED", round(time.monotonic() - start, 3))
"""

_ASK = """
import json, sys, urllib.request
body = json.dumps({"model": "claude-x", "max_tokens": 10, "stream": False,
                   "messages": [{"role": "user", "content": "PING please"}]}).encode()
request = urllib.request.Request(sys.argv[1] + "/v1/messages", body, {"content-type": "application/json",
                                 "x-api-key": "k", "anthropic-version": "2023-06-01"})
print(json.load(urllib.request.urlopen(request, timeout=20))["content"][0]["text"])
"""


def _inside(lab: AssistantLab, code: str, *args: str) -> str:
    argv = lab.namespace.command([sys.executable, "-I", "-c", code, *args])
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60).stdout.strip()


@pytest.mark.parametrize("address", ["1.1.1.1", "160.79.104.10", "2606:4700:4700::1111"])
def test_a_connection_to_any_other_host_fails_at_once(lab: AssistantLab, address: str) -> None:
    error, seconds = _inside(lab, _CONNECT, address).split()
    assert error == "ENETUNREACH"
    assert float(seconds) < 1.0


@pytest.mark.parametrize("host", ["api.anthropic.com", "api.openai.com", "chatgpt.com"])
def test_a_vendor_host_lookup_is_answered_no_such_host_at_once(lab: AssistantLab, host: str) -> None:
    answer = _inside(lab, _LOOKUP, host)
    assert answer.startswith("Name or service not known"), answer
    assert float(answer.rsplit(" ", 1)[1]) < 1.0
    assert (host, "A") in lab.dns.questions()


def test_the_fake_api_answers_inside_and_only_inside(lab: AssistantLab) -> None:
    lab.script = ModelScript([Exchange("PING", (Say("pong"),))])
    assert _inside(lab, _ASK, lab.api.url) == "pong"
    (request,) = lab.requests("anthropic")
    assert request.headers["x-api-key"].startswith("<x-api-key 1 chars")
    port = int(lab.api.url.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):  # the test process itself is outside the namespace
        socket.create_connection(("127.0.0.1", port), timeout=5)


class _Failed(Exception):
    pass


def _start_a_stray_and_fail(lab: AssistantLab, seen: list[int]) -> None:
    # a process that left the test's process group and session, as claude's Bash tool commands do
    lab.start(["setsid", "sleep", "300"], env={"PATH": "/usr/bin:/bin"})
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        seen += [pid for pid in lab.namespace.pids() if _is_sleep(pid)]
        time.sleep(0.05)
    raise _Failed


@pytest.mark.needs_tool("root", "ip")
def test_nothing_outlives_the_lab_even_when_the_test_fails(tmp_path: Path) -> None:
    require_namespaces()
    sleepers: list[int] = []
    with contextlib.suppress(_Failed), assistant_lab(tmp_path / "lab") as lab:
        name = lab.namespace.name
        _start_a_stray_and_fail(lab, sleepers)
    assert sleepers
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True, timeout=30).stdout
    assert name not in listed
    assert not Path("/etc/netns", name).exists()
    assert not any(_is_sleep(pid) for pid in sleepers)


def _is_sleep(pid: int) -> bool:
    """A live (not zombie) ``sleep`` process."""
    info = read_process(pid)
    return info is not None and info.alive and info.name == "sleep"


def test_a_program_that_runs_the_clis_finds_the_pinned_ones_first(lab: AssistantLab) -> None:
    env = lab.assistant_env()
    run = lab.run(["sh", "-c", "command -v claude; command -v codex"], env=env, timeout=30)
    assert run.exit_code == 0, run.describe()
    assert [line.text for line in run.lines] == [lab.claude()[0], lab.codex()[0]]
    assert env["ANTHROPIC_BASE_URL"] == lab.api.url
    assert env["CODEX_HOME"] == str(lab.codex_home)

"""Nothing leaves that we did not list, nobody else's files are trusted, and the background sender starts nothing.

Each test drives the real keyed wheel (``archon`` as installed) and the loopback ingest server from outside, the
way a user or an attacker would: a ``~/.netrc``, a home another local user made, symlinks where archon keeps its
locks, a hostile ``lsb_release`` on PATH, a FIFO as ``config.yaml``. None of them imports archon.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import os
import pwd
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import OTHER_USER_TOOLS
from tests.e2e.harness import PATIENCE, Cli
from tests.e2e.processes import processes_with_home
from tests.support.ingest import IngestServer
from tests.support.inotify import OpenWatch, inotify_available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see archon's processes"),
]

QUIET_SECONDS = 1.0
"""After the sender is gone, how long "nothing more arrives" is watched."""

PLANTED_ID = "3b6e3c49-8a0b-4f7e-9a51-1c2d3e4f5a6b"
"""A valid UUID4 that someone else chose: never to be sent."""


def _quiet(cli: Cli) -> None:
    cli.settle()
    time.sleep(QUIET_SECONDS)


# -- 1. nothing ambient is attached to a request ---------------------------------------------------------------

NETRC_PASSWORD = "zq-netrc-secret-7"  # noqa: S105 - a needle, not a credential


@pytest.mark.parametrize("source", ["home-netrc-default", "NETRC-variable"])
def test_no_netrc_credentials_reach_the_server(cli: Cli, tmp_path: Path, source: str) -> None:
    """requests adds ``Authorization: Basic`` from netrc to every request of a session that trusts the
    environment; the proxies forward it upstream, and it would link ids across ``telemetry clear``."""
    if source == "home-netrc-default":
        netrc = Path(os.environ["HOME"]) / ".netrc"
        netrc.write_text(f"default login archon-user password {NETRC_PASSWORD}\n", encoding="ascii")
    else:
        netrc = tmp_path / "corporate-netrc"
        netrc.write_text(f"machine 127.0.0.1 login archon-user password {NETRC_PASSWORD}\n", encoding="ascii")
        cli.env["NETRC"] = str(netrc)
    netrc.chmod(0o600)
    cli.opt_in()
    assert cli.run("version").returncode == 0
    assert len(cli.wait_for_accepted(2)) == 2
    cli.settle()
    for request in cli.ingest.snapshot():
        assert "authorization" not in request.headers, request.headers
        assert NETRC_PASSWORD not in json.dumps(request.headers)


def _many_failing_nodes(repo: Path, name: str, count: int) -> None:
    directory = repo / ".archon" / "workflows"
    directory.mkdir(parents=True)
    nodes = "".join(f"  - id: n{i}\n    bash: exit 1\n" for i in range(count))
    (directory / f"{name}.yaml").write_text(f"name: {name}\ndescription: fails a lot\nnodes:\n{nodes}", "utf-8")


def test_cookies_the_server_sets_are_never_sent_back(cli: Cli) -> None:
    """One command that records more events than one request holds, so one sender run makes several requests; a
    cookie set on the first must not come back on the next (the session's cookie jar would replay it)."""
    cli.ingest.reset("ok", set_cookie="ph_visitor=zq-cookie-9; Path=/")
    _many_failing_nodes(cli.cwd, "fails-a-lot", 120)
    cli.opt_in()
    assert cli.run("workflow", "run", "fails-a-lot").returncode != 0
    assert len(cli.wait_for_accepted(120)) >= 120
    cli.settle()
    requests = cli.ingest.snapshot()
    assert len(requests) >= 2
    for request in requests:
        assert "cookie" not in request.headers, request.headers


def test_http_proxy_settings_are_honoured_explicitly(cli: Cli) -> None:
    """The guard for the fix above: a session that ignores the environment must still use the proxy the user
    set (``HTTPS_PROXY`` for an https host, ``HTTP_PROXY`` for this loopback http one), and ``NO_PROXY``."""
    with IngestServer() as proxy:
        cli.env["HTTP_PROXY"] = proxy.url
        cli.opt_in()
        assert cli.run("version").returncode == 0
        deadline = time.monotonic() + PATIENCE
        while len(proxy.accepted_events()) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        cli.settle()
        assert len(proxy.accepted_events()) == 2
        assert all(r.proxied and r.path.startswith(f"{cli.ingest.url}/") for r in proxy.snapshot())
        assert cli.ingest.snapshot() == []

        cli.env["NO_PROXY"] = "127.0.0.1"
        proxy.reset("ok")
        assert cli.run("version").returncode == 0
        assert len(cli.wait_for_accepted(2)) == 2
        cli.settle()
        assert proxy.snapshot() == []


# -- 2. a home or telemetry directory someone else controls is never used --------------------------------------


def _tree(root: Path) -> dict[str, tuple[Any, ...]]:
    """Everything under ``root`` (symlinks not followed): kind, mode, owner, size, mtime, content or target."""
    found: dict[str, tuple[Any, ...]] = {}
    paths = [root, *sorted(root.rglob("*"))] if root.is_dir() and not root.is_symlink() else [root]
    for path in paths:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            detail: object = os.readlink(path)
        elif stat.S_ISREG(info.st_mode):
            detail = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            detail = None
        found[str(path)] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid,
                            info.st_size, info.st_mtime_ns, detail)  # fmt: skip
    return found


@contextlib.contextmanager
def _unchanged(*roots: Path) -> Iterator[None]:
    before = {root: _tree(root) for root in roots}
    yield
    for root, tree in before.items():
        after = _tree(root)
        changed = sorted(path for path in tree.keys() | after.keys() if tree.get(path) != after.get(path))
        assert not changed, f"archon changed, created or removed under {root}: {changed}"


def _chown_tree(root: Path, owner: pwd.struct_passwd) -> None:
    for path in [root, *root.rglob("*")]:
        os.lchown(path, owner.pw_uid, owner.pw_gid)


def _plant(home: Path, *, victim: Path, decoy: Path, identity: bool) -> None:
    """What someone who controls ``home`` leaves there: consent on, an id of their choosing, and symlinks where
    archon keeps its locks and its outbox."""
    (home / "telemetry").mkdir(parents=True)
    (home / "config.yaml").write_text("telemetry:\n  enabled: true\n", encoding="utf-8")
    if identity:
        (home / "telemetry-id").write_text(f"{PLANTED_ID}\n", encoding="ascii")
    (home / "telemetry" / "flush.lock").symlink_to(victim)
    (home / "telemetry" / "state.lock").symlink_to(decoy / "created-by-archon")
    (home / "telemetry" / "outbox").symlink_to(decoy, target_is_directory=True)


def _victim_and_decoy(tmp_path: Path) -> tuple[Path, Path]:
    victim = tmp_path / "victim" / "precious.conf"
    victim.parent.mkdir(mode=0o700)
    victim.write_text("precious: do not touch\n", encoding="utf-8")
    victim.chmod(0o600)
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    stale = decoy / ".precious-notes.json.tmp"  # what the sender's clean-up of old temp files would delete
    stale.write_text("keep me\n", encoding="utf-8")
    long_ago = time.time() - 86400
    os.utime(stale, (long_ago, long_ago))
    return victim, decoy


EVERYDAY = [
    ("version",),
    ("workflow", "list"),
    ("telemetry", "status"),
    ("telemetry", "inspect"),
    ("telemetry", "off"),
    ("telemetry", "clear"),
]


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        pytest.param("home-of-another-user", "owned by another user", marks=pytest.mark.needs_tool(*OTHER_USER_TOOLS)),
        ("home-writable-by-others", "writable by other users"),
        ("home-writable-by-group", "writable by other users"),
    ],
)
def test_a_home_someone_else_controls_is_never_used_nor_written(
    cli: Cli, tmp_path: Path, request: pytest.FixtureRequest, case: str, problem: str
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    home = shared / "archon-home"
    victim, decoy = _victim_and_decoy(tmp_path)
    _plant(home, victim=victim, decoy=decoy, identity=True)
    if case == "home-of-another-user":
        other: pwd.struct_passwd = request.getfixturevalue("other_user")
        _chown_tree(home, other)
        _chown_tree(decoy, other)
        home.chmod(0o755)
    else:
        home.chmod(0o777 if case == "home-writable-by-others" else 0o770)
    victim_cli = Cli(executable=cli.executable, home=home, cwd=cli.cwd, ingest=cli.ingest)

    with _unchanged(home, decoy, victim.parent):
        for args in EVERYDAY:
            result = victim_cli.run(*args)
            assert "Traceback" not in result.stderr, (args, result.stderr)
        _quiet(victim_cli)
    assert cli.ingest.snapshot() == []
    with _unchanged(home, decoy, victim.parent):
        refused = victim_cli.run("telemetry", "on")
        status = victim_cli.status()
        text = victim_cli.status_text()
        _quiet(victim_cli)
    assert refused.returncode != 0  # nothing may be written there, so `on` cannot do its job: it says so
    assert cli.ingest.snapshot() == []
    assert status["enabled"] is False
    assert status["anonymous_id"] != PLANTED_ID
    assert problem in text, text


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        pytest.param(
            "telemetry-dir-of-another-user", "owned by another user", marks=pytest.mark.needs_tool(*OTHER_USER_TOOLS)
        ),
        ("telemetry-dir-writable", "writable by other users"),
    ],
)
def test_a_telemetry_directory_someone_else_controls_is_never_used(
    cli: Cli, tmp_path: Path, request: pytest.FixtureRequest, case: str, problem: str
) -> None:
    home = cli.home
    victim, decoy = _victim_and_decoy(tmp_path)
    _plant(home, victim=victim, decoy=decoy, identity=False)
    home.chmod(0o700)
    telemetry = home / "telemetry"
    if case == "telemetry-dir-of-another-user":
        other: pwd.struct_passwd = request.getfixturevalue("other_user")
        _chown_tree(telemetry, other)
        telemetry.chmod(0o755)
    else:
        telemetry.chmod(0o777)

    with _unchanged(telemetry, decoy, victim.parent):
        for args in EVERYDAY:
            result = cli.run(*args)
            assert "Traceback" not in result.stderr, (args, result.stderr)
        refused = cli.run("telemetry", "on")
        status = cli.status()
        text = cli.status_text()
        _quiet(cli)

    assert refused.returncode != 0  # it would have to write there
    assert cli.ingest.snapshot() == []
    assert status["enabled"] is False
    assert cli.identity() is None
    assert problem in text, text


def test_no_file_is_opened_through_a_symlink_in_a_home_of_ones_own(cli: Cli, tmp_path: Path) -> None:
    """A home that is the user's own, 0700, consent on: the lock files and the outbox are symlinks (left by a
    restored backup, a dotfiles tool, or anyone who could write there once). archon must not write through them."""
    victim, decoy = _victim_and_decoy(tmp_path)
    _plant(cli.home, victim=victim, decoy=decoy, identity=False)
    cli.home.chmod(0o700)
    (cli.home / "telemetry").chmod(0o700)
    with _unchanged(decoy, victim.parent):
        for _ in range(2):
            assert cli.run("version").returncode == 0
        assert cli.run("telemetry", "status").returncode == 0
        _quiet(cli)


def test_a_symlinked_config_yaml_is_neither_followed_nor_rewritten(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "archon.yaml"
    target.parent.mkdir()
    target.write_text("telemetry:\n  enabled: true\n# my dotfiles\n", encoding="utf-8")
    target.chmod(0o644)
    cli.home.mkdir(mode=0o700)
    (cli.home / "config.yaml").symlink_to(target)
    with _unchanged(target.parent):
        assert cli.run("version").returncode == 0
        _quiet(cli)
        assert cli.ingest.snapshot() == []  # the link was not followed, so consent is not on
        text = cli.status_text()
        cli.run("telemetry", "off")
    assert (cli.home / "config.yaml").is_symlink()
    assert "symbolic link" in text, text


def test_directories_archon_creates_are_private_whatever_the_umask(cli: Cli, tmp_path: Path) -> None:
    home = tmp_path / "not" / "there" / "yet" / "archon-home"
    fresh = Cli(executable=cli.executable, home=home, cwd=cli.cwd, ingest=cli.ingest)
    permissive = ("sh", "-c", 'umask 000; exec "$@"', "sh")
    assert fresh.run("telemetry", "on", prefix=permissive).returncode == 0
    assert fresh.run("version", prefix=permissive).returncode == 0
    fresh.wait_for_accepted(2)
    fresh.settle()
    created = [tmp_path / "not", tmp_path / "not" / "there", tmp_path / "not" / "there" / "yet", home]
    directories = created + [p for p in home.rglob("*") if p.is_dir()]
    assert {str(d): oct(stat.S_IMODE(d.stat().st_mode)) for d in directories} == {
        str(d): oct(0o700) for d in directories
    }
    for path in home.rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


# -- 3. the background sender starts no program, runs in /, and its end ends everything it started -------------

_HOSTILE = """#!/bin/sh
echo "$0 $*" >> {log}
sleep 60
echo "Distributor ID: Hostile"
"""


def test_the_sender_runs_no_program_found_on_path(cli: Cli, tmp_path: Path) -> None:
    """posthog-python's OS probe (``distro``) runs ``lsb_release -a`` and ``uname -rs`` from PATH, with no
    timeout: a slow or malicious one runs as the user, outlives the sender, and keeps the events from leaving."""
    bin_dir = tmp_path / "hostile-bin"
    bin_dir.mkdir()
    log = tmp_path / "ran.log"
    for name in ("lsb_release", "uname"):
        script = bin_dir / name
        script.write_text(_HOSTILE.format(log=log), encoding="utf-8")
        script.chmod(0o755)
    cli.env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    cli.opt_in()
    assert cli.run("version").returncode == 0
    received = cli.wait_for_accepted(2)
    assert not log.exists(), f"the sender ran: {log.read_text()}"
    assert len(received) == 2
    cli.settle()


_AUDIT = """
import sys
if sys.argv[:1] == ["-m"]:  # `python -m archon ...`: the background sender (the console script has its path)
    _log = open({log!r}, "a", buffering=1)
    def _audit(event, args):
        if event in ("subprocess.Popen", "os.posix_spawn", "os.exec", "os.spawn", "os.system", "os.fork",
                     "os.forkpty", "pty.spawn"):
            _log.write(f"{{event}} {{args!r:.200}}\\n")
    sys.addaudithook(_audit)
"""


def test_the_sender_process_starts_no_process_at_all(cli: Cli, tmp_path: Path) -> None:
    """Seen from inside the sender by an audit hook (installed through ``sitecustomize`` on PYTHONPATH, before
    any of archon's code runs): not one process is created, whatever PATH holds."""
    site = tmp_path / "site"
    site.mkdir()
    log = tmp_path / "spawned.log"
    (site / "sitecustomize.py").write_text(_AUDIT.format(log=str(log)), encoding="utf-8")
    cli.env["PYTHONPATH"] = str(site)
    cli.opt_in()
    assert cli.run("version").returncode == 0
    assert len(cli.wait_for_accepted(2)) == 2
    cli.settle()
    assert log.exists()  # the hook was installed in the sender
    assert log.read_text(encoding="utf-8") == ""


def test_the_sender_runs_in_the_root_directory(cli: Cli, monkeypatch: pytest.MonkeyPatch, ingest: IngestServer) -> None:
    """Never the user's working directory or the archon home: it keeps neither busy (an unmountable disk, a
    directory that cannot be removed) and finds nothing there by relative path."""
    monkeypatch.setattr(ingest, "hang_seconds", 15.0)
    cli.opt_in()
    ingest.reset("hang")
    assert cli.run("version").returncode == 0
    assert cli.wait_for_requests(1) == 1  # the sender is stuck on its request: look at it
    (sender,) = processes_with_home(cli.home)
    assert os.readlink(f"/proc/{sender}/cwd") == "/"


_SPAWNER = """
import subprocess, sys
if sys.argv[:1] == ["-m"]:  # only in the background sender, as a library it loads could do
    subprocess.Popen(["sleep", "300"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
"""


@pytest.mark.parametrize("server", ["answers", "never-answers"])
def test_whatever_the_sender_started_ends_with_it(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ingest: IngestServer, server: str
) -> None:
    """A process started inside the sender (here by a ``sitecustomize`` on PYTHONPATH, as any library could) does
    not outlive it: not when it finishes, not when its time limit ends a run stuck on a server."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_SPAWNER, encoding="utf-8")
    cli.env["PYTHONPATH"] = str(site)
    monkeypatch.setattr(ingest, "hang_seconds", 60.0)
    cli.opt_in()
    ingest.reset("ok" if server == "answers" else "hang")
    assert cli.run("version").returncode == 0
    assert cli.wait_for_requests(1) == 1
    cli.settle()


# -- 4. the command path is what the parser dispatched -------------------------------------------------------------


@pytest.mark.parametrize(
    "words",
    [("--", "telemetry", "status"), ("--", "telemetry", "status", "--json"), ("--", "telemetry", "inspect")],
)
def test_a_telemetry_command_after_a_double_dash_is_not_recorded(cli: Cli, words: tuple[str, ...]) -> None:
    cli.opt_in()
    result = cli.run(*words)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    _quiet(cli)
    assert cli.ingest.snapshot() == []
    assert cli.status()["pending_events"] == 0


def test_clear_after_a_double_dash_leaves_no_id(cli: Cli) -> None:
    cli.opt_in()
    assert cli.run("--", "telemetry", "clear").returncode == 0
    _quiet(cli)
    assert cli.identity() is None
    assert cli.ingest.snapshot() == []


# -- 5. config.yaml: the environment decides first; otherwise only a small regular file is read -----------------

OPT_OUTS = [{"DO_NOT_TRACK": "1"}, {"ARCHON_TELEMETRY_DISABLED": "1"}, {"ARCHON_TELEMETRY": "off"}]


@pytest.mark.skipif(not inotify_available(), reason="needs inotify to see opens")
@pytest.mark.parametrize("opt_out", OPT_OUTS, ids=",".join)
def test_an_environment_opt_out_never_opens_config_yaml(cli: Cli, opt_out: dict[str, str]) -> None:
    """Even a FIFO there (which blocks whoever opens it for reading) changes nothing: the file is not opened."""
    cli.home.mkdir(mode=0o700)
    os.mkfifo(cli.home / "config.yaml", 0o600)
    with OpenWatch(cli.home) as watch:
        for args in (("version",), ("workflow", "list")):
            result = cli.run(*args, env=opt_out)
            assert result.returncode == 0, result.stderr
        _quiet(cli)
        assert "config.yaml" not in watch.opened()
    assert cli.ingest.snapshot() == []


_ONE_GIB = 1 << 30
_WITH_MEMORY_CAP = (
    sys.executable,
    "-c",
    "import os, resource, sys; resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]),) * 2); "
    "os.execv(sys.argv[2], sys.argv[2:])",
    str(_ONE_GIB),
)


def _make_config(path: Path, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(path, 0o600)
    elif kind == "symlink-to-dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "six-megabytes":
        padding = ("# " + "x" * 77 + "\n") * (6 * 1024 * 1024 // 80)  # valid YAML: comments
        path.write_text("telemetry:\n  enabled: true\n" + padding, encoding="utf-8")
    else:
        path.mkdir()


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("fifo", "not a regular file"),
        ("symlink-to-dev-zero", "symbolic link"),
        ("six-megabytes", "larger than"),
        ("directory", "not a regular file"),
    ],
)
def test_a_config_yaml_that_is_not_a_small_regular_file_means_off(cli: Cli, kind: str, problem: str) -> None:
    """Read only if it is a regular file within the size cap, opened without blocking: a FIFO would hang every
    command, /dev/zero would be read until memory runs out (here: a 1 GiB address-space cap turns that into an
    error), and 6 MB of YAML takes seconds to parse. Each resolves to off, and status says why."""
    cli.home.mkdir(mode=0o700)
    _make_config(cli.home / "config.yaml", kind)
    for args in (("version",), ("workflow", "list")):
        result = cli.run(*args, prefix=_WITH_MEMORY_CAP)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    status = cli.run("telemetry", "status", "--json", prefix=_WITH_MEMORY_CAP)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["enabled"] is False
    text = cli.run("telemetry", "status", prefix=_WITH_MEMORY_CAP).stdout
    assert problem in text, text
    _quiet(cli)
    assert cli.ingest.snapshot() == []


# -- 6. no id while the effective decision is off --------------------------------------------------------------


@pytest.mark.parametrize("opt_out", OPT_OUTS, ids=",".join)
def test_telemetry_on_creates_no_id_while_the_environment_keeps_it_off(cli: Cli, opt_out: dict[str, str]) -> None:
    result = cli.run("telemetry", "on", env=opt_out)
    assert result.returncode == 0, result.stderr
    assert next(iter(opt_out)) in result.stderr  # it says what overrides the choice it stored
    assert cli.identity() is None
    assert cli.status(env=opt_out)["anonymous_id"] is None
    _quiet(cli)
    assert cli.ingest.snapshot() == []
    # The choice was stored: without the variable, the next recorded command creates the id and sends.
    assert cli.run("version").returncode == 0
    assert len(cli.wait_for_accepted(2)) == 2
    assert cli.identity() is not None


# -- 7. what the platform reports is matched against a list, never passed on ------------------------------------

_WINDOWS_MACHINE = """
import os, platform
def _machine():  # CPython 3.11 on Windows (platform._get_machine_win32): the architecture is an environment value
    return os.environ.get("PROCESSOR_ARCHITEW6432", "") or os.environ.get("PROCESSOR_ARCHITECTURE", "")
platform.machine = _machine
"""

ARCH_NEEDLE = "Zq-Arch-Needle-7x"


def _everything_sent(ingest: IngestServer) -> str:
    texts = []
    for request in ingest.snapshot():
        raw = request.raw_body
        texts.append((gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8", "replace"))
        texts += [json.dumps(request.body), request.path, json.dumps(request.headers)]
    return "\n".join(texts)


@pytest.mark.parametrize("variable", ["PROCESSOR_ARCHITECTURE", "PROCESSOR_ARCHITEW6432"])
def test_an_environment_value_read_as_the_cpu_architecture_never_reaches_the_server(
    cli: Cli, tmp_path: Path, variable: str
) -> None:
    """Simulated on Linux with a ``sitecustomize`` on PYTHONPATH that gives ``platform.machine()`` CPython 3.11's
    Windows behaviour: the needle is in the variable Windows' Python reads. It reached the server as ``arch``."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_WINDOWS_MACHINE, encoding="utf-8")
    cli.env["PYTHONPATH"] = str(site)
    cli.env[variable] = ARCH_NEEDLE
    cli.opt_in()
    assert cli.run("version").returncode == 0
    received = cli.wait_for_accepted(2)
    cli.settle()
    assert len(received) == 2
    assert {event["properties"]["arch"] for event in received} == {"other"}
    sent = _everything_sent(cli.ingest)
    encoded = ARCH_NEEDLE.encode()
    for form in (ARCH_NEEDLE, ARCH_NEEDLE.lower(), ARCH_NEEDLE.upper(), "Needle-7x", "needle-7x"):
        assert form not in sent, form
    for form in (
        base64.b64encode(encoded).decode(),
        encoded.hex(),
        base64.b64encode(ARCH_NEEDLE.lower().encode()).decode(),
    ):
        assert form not in sent, form

"""A loopback-only network namespace for one test (Linux, root): nothing started in it can reach any other host.

``ip netns add`` makes the namespace with only ``lo`` (brought up here), so a connection to any non-loopback
address fails at once with "Network is unreachable". ``ip netns exec`` runs a program inside it and bind-mounts
``/etc/netns/NAME/resolv.conf`` over ``/etc/resolv.conf`` for that program: ours names 127.0.0.1, where a
:class:`~tests.deploy.loopback_dns.LoopbackDns` bound inside the namespace answers NXDOMAIN at once, so a CLI
that looks up its vendor's hosts gets an immediate "no such host" instead of waiting for a timeout.

Servers of the test process serve inside the namespace without leaving the test process: :meth:`new_socket` makes
the socket from a short-lived thread that first joins the namespace (``setns`` changes only the calling thread),
and a socket belongs to the namespace it was created in for its whole life.

Every process inside is killed, and the namespace and its /etc/netns directory removed, by :meth:`delete`.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.support.proc import all_processes

__all__ = ["NetworkNamespace", "descendants", "namespaces_unavailable"]

CLONE_NEWNET = 0x40000000
_IP_TIMEOUT = 30.0


def namespaces_unavailable() -> str | None:
    """Why this machine cannot make network namespaces for tests, or None when it can."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "`ip` (iproute2) is not installed"
    return None


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    ip = shutil.which("ip") or "ip"
    return subprocess.run([ip, *args], capture_output=True, text=True, check=False, timeout=_IP_TIMEOUT)


def descendants(roots: Sequence[int]) -> list[int]:
    """``roots`` (those still alive) and all their live descendants, parents first."""
    parents = {info.pid: info.ppid for info in all_processes() if info.alive}
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found: list[int] = []
    queue = [pid for pid in roots if pid in parents]
    while queue:
        pid = queue.pop(0)
        if pid not in found:
            found.append(pid)
            queue += children.get(pid, [])
    return found


class NetworkNamespace:
    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"archon-t-{secrets.token_hex(4)}"
        self.etc = Path("/etc/netns") / self.name
        self._created = False

    def create(self) -> Self:
        result = _ip("netns", "add", self.name)
        if result.returncode != 0:
            raise RuntimeError(f"ip netns add {self.name}: {result.stderr.strip()}")
        self._created = True
        try:
            result = _ip("-n", self.name, "link", "set", "lo", "up")
            if result.returncode != 0:
                raise RuntimeError(f"bringing lo up in {self.name}: {result.stderr.strip()}")
            self.etc.mkdir(parents=True, exist_ok=True)
            (self.etc / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        except BaseException:
            self.delete()
            raise
        return self

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the namespace (``ip netns exec`` replaces itself with the program: same pid)."""
        return [shutil.which("ip") or "ip", "netns", "exec", self.name, *argv]

    def new_socket(self, family: int = socket.AF_INET, kind: int = socket.SOCK_STREAM) -> socket.socket:
        """A new socket that lives in this namespace."""
        made: list[socket.socket] = []
        failed: list[BaseException] = []

        def inside() -> None:
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY | os.O_CLOEXEC)
                try:
                    if libc.setns(fd, CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), f"setns into {self.name}")
                finally:
                    os.close(fd)
                made.append(socket.socket(family, kind))
            except BaseException as error:  # handed to the caller's thread
                failed.append(error)

        thread = threading.Thread(target=inside, name=f"setns-{self.name}")
        thread.start()
        thread.join(timeout=_IP_TIMEOUT)
        if failed:
            raise failed[0]
        if not made:
            raise TimeoutError(f"no socket was made in {self.name}")
        return made[0]

    def listening_socket(self, port: int = 0, kind: int = socket.SOCK_STREAM) -> socket.socket:
        """A socket bound to 127.0.0.1:``port`` inside the namespace (not yet listening)."""
        sock = self.new_socket(socket.AF_INET, kind)
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        return sock

    def pids(self) -> list[int]:
        """Every process running inside the namespace."""
        if not self._created:
            return []
        result = _ip("netns", "pids", self.name)
        return [int(line) for line in result.stdout.split() if line.isdigit()]

    def processes(self) -> list[int]:
        """Every process inside, and every descendant of one (a sandbox such as codex's bubblewrap puts its
        children in network namespaces of their own)."""
        return [pid for pid in descendants(self.pids()) if pid != os.getpid()]

    def kill_all(self, *, timeout: float = 10.0) -> list[int]:
        """SIGKILL every process inside and their descendants, and wait (bounded) until none is left; returns the
        pids that were there."""
        killed: list[int] = []
        deadline = time.monotonic() + timeout
        while True:
            pids = self.processes()
            if not pids:
                return killed
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                if pid not in killed:
                    killed.append(pid)
            if time.monotonic() > deadline:
                raise TimeoutError(f"processes {pids} in {self.name} survived SIGKILL for {timeout}s")
            time.sleep(0.05)

    def delete(self) -> None:
        if self._created:
            try:
                self.kill_all()
            finally:
                _ip("netns", "delete", self.name)
                self._created = False
        shutil.rmtree(self.etc, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.create()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.delete()

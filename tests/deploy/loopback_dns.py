"""A DNS server on loopback that answers A queries for the names a test gives it, for tests only.

The answer for a name can be changed while the server runs (``point``), and every question it was asked is kept
(``questions``), so a test can show that a client looked a name up again. Messages are encoded and decoded with
dnspython; anything but an A question for a known name gets an empty answer (NXDOMAIN for unknown names).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass, field
from typing import Self

import dns.exception
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

__all__ = ["LoopbackDns"]


@dataclass
class LoopbackDns:
    ttl: int = 1
    _answers: dict[str, str] = field(default_factory=dict)
    _questions: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _socket: socket.socket | None = None
    _thread: threading.Thread | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def address(self) -> str:
        """``host:port``, as nginx's ``resolver`` directive takes it."""
        assert self._socket is not None, "server not started"
        host, port = self._socket.getsockname()
        return f"{host}:{port}"

    def point(self, name: str, address: str) -> None:
        """Answer A queries for ``name`` with ``address`` (a loopback IPv4 address) from now on."""
        if not ipaddress.IPv4Address(address).is_loopback:
            raise ValueError("the test DNS server only hands out loopback addresses")
        with self._lock:
            self._answers[name.rstrip(".").lower()] = address

    def questions(self) -> list[tuple[str, str]]:
        """Every (name, record type) asked so far, in order."""
        with self._lock:
            return list(self._questions)

    def _answer(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        response = dns.message.make_response(query)
        for question in query.question:
            name = question.name.to_text(omit_final_dot=True).lower()
            with self._lock:
                self._questions.append((name, dns.rdatatype.to_text(question.rdtype)))
                address = self._answers.get(name)
            if address is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.A:
                response.answer.append(
                    dns.rrset.from_text(question.name, self.ttl, dns.rdataclass.IN, dns.rdatatype.A, address)
                )
        return response.to_wire()

    def _serve(self, sock: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                wire, client = sock.recvfrom(4096)
            except TimeoutError:
                continue
            answer = self._answer(wire)
            if answer is not None:
                sock.sendto(answer, client)

    def start(self, sock: socket.socket | None = None) -> Self:
        """Serve on a fresh loopback UDP socket, or on ``sock`` (a bound UDP socket the caller made, e.g. port 53
        inside a network namespace)."""
        if sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.05)
        self._socket = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""Run one node to its result: a bash script, or a prompt through the assistant CLI (retried when that is safe).

Retries (a fixed policy, documented in docs/workflows.md): a prompt or command node whose CLI reported a
``transient`` failure (an HTTP 429, 5xx or 529, a network error) **before the assistant started any tool** runs
again, at most :data:`MAX_ATTEMPTS` times in all, after :data:`RETRY_DELAYS` seconds, within the node's own
timeout. A failure after a tool ran is not retried (the first attempt may have changed files), nor is a timeout,
a denial, a fatal or credit failure, or a bash node (its script is the user's; it can retry itself). The CLIs'
own retries of a single request come first (bounded: see :mod:`archon.workflows.clis`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from archon.errors import ArchonError
from archon.workflows.classify import FailureClass, classify_exit
from archon.workflows.clis.contract import AssistantCli, AssistantOutcome, AssistantRequest
from archon.workflows.errors import (
    AssistantFailedError,
    NodeCommandError,
    NodeDeniedError,
    NodeSpawnError,
    NodeTimeoutError,
    RunInterruptedError,
)
from archon.workflows.invocation import Invoker
from archon.workflows.model import Node
from archon.workflows.node_events import NodeEvent, OutputLine, Retrying, Usage
from archon.workflows.process import ProcessOutcome, run_streaming
from archon.workflows.providers import ProviderName
from archon.workflows.results import FailureKind, NodeResult
from archon.workflows.supervision import Supervisor
from archon.workflows.temp_dirs import node_temp_dir

__all__ = ["MAX_ATTEMPTS", "RETRY_DELAYS", "NodeContext", "run_node"]

MAX_ATTEMPTS = 3
RETRY_DELAYS = (5.0, 15.0)
"""Seconds before the 2nd and the 3rd attempt."""
STDERR_TAIL = 16384

Emit = Callable[[Node, NodeEvent], None]


@dataclass(frozen=True)
class NodeContext:
    """What every node of one run shares."""

    invoker: Invoker
    provider: ProviderName | None
    cli: AssistantCli | None
    env: Mapping[str, str]
    cwd: Path
    supervisor: Supervisor
    emit: Emit
    monotonic: Callable[[], float]
    retry_delays: Sequence[float] = RETRY_DELAYS
    temp_root: Path | None = None
    """Where each assistant node gets its private temporary directory (:mod:`archon.workflows.temp_dirs`); None:
    none."""


class _Tail:
    def __init__(self) -> None:
        self.text = ""

    def add(self, line: str) -> None:
        self.text = (self.text + line + "\n")[-STDERR_TAIL:]


def run_node(ctx: NodeContext, node: Node, outputs: Mapping[str, str], sessions: Mapping[str, str]) -> NodeResult:
    """``outputs`` and ``sessions``: of every node that has succeeded so far, by node id."""
    started = ctx.monotonic()
    result = _bash(ctx, node, outputs) if node.kind == "bash" else _assistant(ctx, node, outputs, sessions)
    return replace(result, duration_seconds=ctx.monotonic() - started)


_CANNOT_START = FailureClass("fatal", "could not be started")


def _failed(base: NodeResult, failure: FailureClass, kind: FailureKind, error: ArchonError) -> NodeResult:
    return replace(base, status="failed", failure=failure, failure_kind=kind, error=error)


def _not_started(node: Node, base: NodeResult, outcome: ProcessOutcome, program: str) -> NodeResult:
    error = NodeSpawnError(f"node {node.id!r}: cannot start {program}: {outcome.start_error or ''}")
    return _failed(base, _CANNOT_START, "not_started", error)


def _timed_out(node: Node, base: NodeResult) -> NodeResult:
    error = NodeTimeoutError(f"node {node.id!r} timed out after {node.effective_timeout:g}s and was stopped")
    return _failed(base, FailureClass("transient", "timed out"), "timed_out", error)


def _interrupted(node: Node, base: NodeResult) -> NodeResult:
    error = RunInterruptedError(f"node {node.id!r} was stopped: the run was interrupted")
    return _failed(base, FailureClass("transient", "interrupted"), "interrupted", error)


def _bash(ctx: NodeContext, node: Node, outputs: Mapping[str, str]) -> NodeResult:
    base = NodeResult(node=node, status="failed")
    try:
        invocation = ctx.invoker.bash(node, outputs)
    except NodeSpawnError as exc:
        return _failed(base, _CANNOT_START, "not_started", exc)
    stdout: list[str] = []
    stderr = _Tail()

    def out(line: str) -> None:
        stdout.append(line)
        ctx.emit(node, OutputLine(line))

    def err(line: str) -> None:
        stderr.add(line)
        ctx.emit(node, OutputLine(line, "stderr"))

    outcome = run_streaming(
        invocation.argv,
        env={**ctx.env, **invocation.extra_env},
        cwd=ctx.cwd,
        stdin=None,
        timeout=node.effective_timeout,
        supervisor=ctx.supervisor,
        on_stdout=out,
        on_stderr=err,
    )
    base = replace(base, output="".join(line + "\n" for line in stdout), stderr=stderr.text, attempts=1)
    if outcome.interrupted:
        return _interrupted(node, replace(base, returncode=outcome.returncode, attempts=int(outcome.started)))
    if not outcome.started:
        return _not_started(node, replace(base, attempts=0), outcome, invocation.argv[0])
    base = replace(base, returncode=outcome.returncode)
    if outcome.timed_out:
        return _timed_out(node, base)
    if outcome.returncode != 0:
        found = classify_exit(outcome.returncode or 0)
        error = NodeCommandError(f"node {node.id!r} failed: {found.reason}", returncode=outcome.returncode or 0)
        return _failed(base, found, "exit_status", error)
    return replace(base, status="succeeded")


def _attempt(
    ctx: NodeContext, node: Node, cli: AssistantCli, request: AssistantRequest, *, timeout: float, stderr: _Tail
) -> tuple[ProcessOutcome, AssistantOutcome]:
    command = cli.command(request, env=ctx.env)
    parser = cli.parser(request)
    lock = threading.Lock()  # stdout and stderr arrive on two threads; the parser sees one line at a time

    def sink(read: Callable[[str], Sequence[NodeEvent]], *, keep: bool) -> Callable[[str], None]:
        def feed(line: str) -> None:
            with lock:
                if keep:
                    stderr.add(line)
                for event in read(line):
                    ctx.emit(node, event)

        return feed

    outcome = run_streaming(
        command.argv,
        env={**ctx.env, **command.env},
        cwd=ctx.cwd,
        stdin=command.stdin,
        timeout=timeout,
        supervisor=ctx.supervisor,
        on_stdout=sink(parser.stdout_line, keep=False),
        on_stderr=sink(parser.stderr_line, keep=True),
    )
    return outcome, parser.finish(outcome.returncode if outcome.returncode is not None else -1)


def _assistant(ctx: NodeContext, node: Node, outputs: Mapping[str, str], sessions: Mapping[str, str]) -> NodeResult:
    base = NodeResult(
        node=node,
        status="failed",
        provider=ctx.provider,
        capability=ctx.invoker.capability(node),
        model=ctx.invoker.model(node),
    )
    cli = ctx.cli
    try:
        request = ctx.invoker.request(node, outputs, resume_session=sessions.get(node.resume or ""))
    except NodeSpawnError as exc:
        return _failed(base, _CANNOT_START, "not_started", exc)
    assert cli is not None  # noqa: S101 - a request exists only when the CLI was resolved
    with _temp_dir(ctx, node) as temp_dir:
        return _attempts(ctx, node, cli, replace(request, temp_dir=temp_dir), base)


@contextlib.contextmanager
def _temp_dir(ctx: NodeContext, node: Node) -> Iterator[str | None]:
    if ctx.temp_root is None:
        yield None
        return
    with node_temp_dir(ctx.temp_root, node.id) as path:
        yield str(path)


def _attempts(
    ctx: NodeContext, node: Node, cli: AssistantCli, request: AssistantRequest, base: NodeResult
) -> NodeResult:
    deadline = ctx.monotonic() + node.effective_timeout
    usage: Usage | None = None
    stderr = _Tail()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        remaining = max(0.001, deadline - ctx.monotonic())
        outcome, reply = _attempt(ctx, node, cli, request, timeout=remaining, stderr=stderr)
        if reply.usage is not None:
            usage = reply.usage if usage is None else usage + reply.usage
        base = replace(
            base,
            attempts=attempt,
            usage=usage,
            stderr=stderr.text,
            returncode=outcome.returncode,
            session_id=reply.session_id,
            output=reply.answer,
            denials=reply.denials,
        )
        if outcome.interrupted:
            return _interrupted(node, replace(base, attempts=attempt if outcome.started else attempt - 1))
        if not outcome.started:
            return _not_started(node, replace(base, attempts=attempt - 1), outcome, request.binary)
        if outcome.timed_out:
            return _timed_out(node, base)
        failure = reply.failure
        if failure is None or reply.denials:
            break
        delay = ctx.retry_delays[attempt - 1] if attempt < MAX_ATTEMPTS else 0.0
        retry = failure.classification == "transient" and reply.tools_used == 0 and attempt < MAX_ATTEMPTS
        if not retry or ctx.monotonic() + delay >= deadline:
            break
        ctx.emit(node, Retrying(attempt + 1, delay, failure.reason))
        if ctx.supervisor.stopping.wait(delay):
            return _interrupted(node, base)
    return _verdict(node, base, reply)


def _verdict(node: Node, base: NodeResult, reply: AssistantOutcome) -> NodeResult:
    provider = base.provider or "assistant"
    if reply.denials:
        what = "; ".join(f"{d.tool} {d.detail}".strip() for d in reply.denials)
        denied = NodeDeniedError(
            f"node {node.id!r}: {provider} denied what capability {base.capability!r} does not allow: {what}"
        )
        return _failed(base, FailureClass("fatal", "denied"), "denied", denied)
    failure = reply.failure
    if failure is not None:
        said = f": {failure.message}" if failure.message else ""
        error = AssistantFailedError(f"node {node.id!r}: {provider} failed ({failure.reason}){said}")
        found = FailureClass(failure.classification, failure.reason)
        return _failed(replace(base, message=failure.message or None), found, "assistant_error", error)
    return replace(base, status="succeeded")

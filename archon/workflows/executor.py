"""Run a workflow: its nodes in dependency order, independent ones at the same time, each with its timeout.

A node starts when all its dependencies have succeeded; a node whose dependency failed (or was skipped) is
skipped, never run, while nodes on other branches go on. At most ``max_parallel`` nodes run at once. The
executor reads nothing from the process environment: the environment, the working directory and the clock are
parameters. On Ctrl-C every running process group is killed before the interrupt propagates.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from archon.workflows.classify import classify_failure
from archon.workflows.errors import NodeCommandError, NodeSpawnError, NodeTimeoutError, ProviderNotFoundError
from archon.workflows.invocation import Invoker
from archon.workflows.model import Node, Workflow
from archon.workflows.observer import RunObserver
from archon.workflows.process import ProcessOutcome, ProcessRegistry, run_process
from archon.workflows.providers import ProviderName, find_on_path, require_provider_binary
from archon.workflows.results import NodeResult, RunResult

__all__ = ["DEFAULT_MAX_PARALLEL", "run_workflow"]

DEFAULT_MAX_PARALLEL = 4


def _as_output(stdout: str) -> str:
    """What ``$node.output`` stands for: stdout without its trailing newlines, as shell ``$(...)`` does."""
    return stdout.rstrip("\r\n")


class _Run:
    def __init__(
        self,
        workflow: Workflow,
        *,
        invoker: Invoker,
        provider: ProviderName | None,
        env: Mapping[str, str],
        cwd: Path,
        observer: RunObserver,
        monotonic: Callable[[], float],
        max_parallel: int,
    ) -> None:
        self.workflow = workflow
        self.invoker = invoker
        self.provider = provider
        self.env = env
        self.cwd = cwd
        self.observer = observer
        self.monotonic = monotonic
        self.max_parallel = max(1, max_parallel)
        self.registry = ProcessRegistry()
        self.results: dict[str, NodeResult] = {}
        self.first_failure: NodeResult | None = None

    def execute(self) -> None:
        pending = list(self.workflow.nodes)
        running: dict[Future[NodeResult], Node] = {}
        with ThreadPoolExecutor(max_workers=self.max_parallel, thread_name_prefix="archon-node") as pool:
            try:
                while pending or running:
                    pending = self._skip_blocked(pending)
                    for node in [n for n in pending if self._ready(n)][: self.max_parallel - len(running)]:
                        pending.remove(node)
                        self.observer.node_started(node)
                        outputs = {k: _as_output(r.output) for k, r in self.results.items() if r.status == "succeeded"}
                        running[pool.submit(self._run_node, node, outputs)] = node
                    if not running:
                        break
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        running.pop(future)
                        self._finish(future.result())
            except BaseException:
                self.registry.kill_all()
                raise

    def _ready(self, node: Node) -> bool:
        return all(dep in self.results and self.results[dep].status == "succeeded" for dep in node.depends_on)

    def _skip_blocked(self, pending: list[Node]) -> list[Node]:
        """Skip every pending node with a dependency that did not succeed (in file order, which may take passes)."""
        changed = True
        while changed:
            changed = False
            for node in list(pending):
                blocker = next(
                    (d for d in node.depends_on if d in self.results and self.results[d].status != "succeeded"), None
                )
                if blocker is not None:
                    pending.remove(node)
                    self._finish(
                        NodeResult(
                            node=node, status="skipped", provider=self._provider_of(node), skipped_because=blocker
                        )
                    )
                    changed = True
        return pending

    def _finish(self, result: NodeResult) -> None:
        self.results[result.node.id] = result
        if result.status == "failed" and self.first_failure is None:
            self.first_failure = result
        self.observer.node_finished(result)

    def _provider_of(self, node: Node) -> ProviderName | None:
        return self.provider if node.uses_provider else None

    def _run_node(self, node: Node, outputs: Mapping[str, str]) -> NodeResult:
        started = self.monotonic()
        provider = self._provider_of(node)
        try:
            invocation = self.invoker.invocation(node, outputs)
        except NodeSpawnError as exc:
            failure = classify_failure(timed_out=False, started=False, returncode=None, stdout="", stderr="")
            return NodeResult(node=node, status="failed", provider=provider, failure=failure, error=exc)
        outcome = run_process(
            invocation.argv,
            env={**self.env, **invocation.extra_env},
            cwd=self.cwd,
            timeout=node.effective_timeout,
            registry=self.registry,
        )
        duration = self.monotonic() - started
        if outcome.started and not outcome.timed_out and outcome.returncode == 0:
            return NodeResult(
                node=node,
                status="succeeded",
                provider=provider,
                output=outcome.stdout,
                stderr=outcome.stderr,
                returncode=0,
                duration_seconds=duration,
            )
        failure = classify_failure(
            timed_out=outcome.timed_out,
            started=outcome.started,
            returncode=outcome.returncode,
            stdout=outcome.stdout,
            stderr=outcome.stderr,
        )
        return NodeResult(
            node=node,
            status="failed",
            provider=provider,
            output=outcome.stdout,
            stderr=outcome.stderr,
            returncode=outcome.returncode,
            duration_seconds=duration,
            failure=failure,
            error=_node_error(node, invocation.argv[0], outcome, failure.reason),
        )


def _node_error(
    node: Node, program: str, outcome: ProcessOutcome, reason: str
) -> NodeTimeoutError | NodeSpawnError | NodeCommandError:
    if outcome.timed_out:
        return NodeTimeoutError(f"node {node.id!r} timed out after {node.effective_timeout:g}s and was stopped")
    if not outcome.started:
        return NodeSpawnError(f"node {node.id!r}: cannot start {program}: {outcome.start_error}")
    return NodeCommandError(f"node {node.id!r} failed: {reason}", returncode=outcome.returncode or 0)


def run_workflow(
    workflow: Workflow,
    *,
    arguments: Sequence[str] = (),
    inputs: Mapping[str, str] | None = None,
    provider: ProviderName,
    env: Mapping[str, str],
    cwd: Path,
    observer: RunObserver,
    monotonic: Callable[[], float] = time.monotonic,
    max_parallel: int = DEFAULT_MAX_PARALLEL,
) -> RunResult:
    """Run ``workflow`` and return what happened. Node failures are results, not exceptions.

    ``provider`` is the assistant CLI for prompt and command nodes (ignored when there are none). If its binary
    cannot be found, nothing runs and the result's error is a :class:`ProviderNotFoundError`.
    """
    started = monotonic()
    run_provider = provider if workflow.uses_provider else None
    observer.run_started(workflow, run_provider)
    try:
        binary = require_provider_binary(provider, env=env) if run_provider is not None else None
    except ProviderNotFoundError as exc:
        first = next(node for node in workflow.nodes if node.uses_provider)
        result = RunResult(
            workflow=workflow,
            provider=run_provider,
            nodes=tuple(
                NodeResult(node=n, status="skipped", provider=run_provider if n.uses_provider else None)
                for n in workflow.nodes
            ),
            duration_seconds=monotonic() - started,
            error=exc,
            failed_node=first,
        )
        observer.run_finished(result)
        return result
    invoker = Invoker(
        workflow,
        arguments=arguments,
        inputs=inputs or {},
        provider=run_provider,
        provider_binary=binary,
        bash_binary=find_on_path("bash", env=env) if any(n.kind == "bash" for n in workflow.nodes) else None,
    )
    run = _Run(
        workflow,
        invoker=invoker,
        provider=run_provider,
        env=env,
        cwd=cwd,
        observer=observer,
        monotonic=monotonic,
        max_parallel=max_parallel,
    )
    run.execute()
    failure = run.first_failure
    result = RunResult(
        workflow=workflow,
        provider=run_provider,
        nodes=tuple(run.results[node.id] for node in workflow.nodes),
        duration_seconds=monotonic() - started,
        error=failure.error if failure is not None else None,
        failed_node=failure.node if failure is not None else None,
    )
    observer.run_finished(result)
    return result

"""Run a workflow: its nodes in dependency order, independent ones at the same time, each with its timeout.

A node starts when all its dependencies have succeeded; a node whose dependency failed (or was skipped) is
skipped, never run, while nodes on other branches go on. At most ``max_parallel`` nodes run at once. Nodes run
on worker threads; everything they report comes back through one queue to the thread that called
:func:`run_workflow`, which calls the observer, so observers see one call at a time, as things happen.

On an interrupt (Ctrl-C's ``KeyboardInterrupt``, or whatever the caller raises for SIGTERM: ``interrupts``) every
running node is stopped (:meth:`~archon.workflows.supervision.Supervisor.stop_all`: SIGTERM, grace period,
SIGKILL; a second interrupt kills at once), and the run ends as a failed run: the stopped nodes' results say so
(``failure_kind`` ``interrupted``), every node that had not started is skipped, observers get ``run_finished``,
and the result carries the interrupt (``interrupted_by``) for the caller to exit as it should. Any other exception
(a bug) stops every node too, then propagates. When the run ends, whatever its nodes left running in the
background is stopped too. The executor reads nothing from the process environment: the environment, the working
directory and the clock are parameters.
"""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from archon.paths import ArchonPaths
from archon.workflows.capability import Capability
from archon.workflows.clis import assistant_cli
from archon.workflows.errors import ProviderNotFoundError, RunInterruptedError
from archon.workflows.invocation import Invoker
from archon.workflows.model import Node, Workflow
from archon.workflows.node_events import NodeEvent
from archon.workflows.node_runner import RETRY_DELAYS, NodeContext, run_node
from archon.workflows.observer import RunObserver
from archon.workflows.providers import ProviderName, find_on_path, require_provider_binary
from archon.workflows.results import NodeResult, RunResult
from archon.workflows.supervision import Supervisor
from archon.workflows.temp_dirs import run_temp_root

__all__ = ["DEFAULT_MAX_PARALLEL", "run_workflow"]

DEFAULT_MAX_PARALLEL = 4
_WAKE_SECONDS = 0.25
"""The main thread wakes at least this often, so an interrupt is seen even where a blocked wait ignores it."""

_Item = tuple[Node, NodeEvent] | Future[NodeResult]


def _as_output(stdout: str) -> str:
    """What ``$node.output`` stands for: the output without its trailing newlines, as shell ``$(...)`` does."""
    return stdout.rstrip("\r\n")


class _Run:
    def __init__(
        self,
        workflow: Workflow,
        *,
        context: NodeContext,
        observer: RunObserver,
        max_parallel: int,
        items: queue.Queue[_Item],
    ) -> None:
        self.workflow = workflow
        self.context = context
        self.observer = observer
        self.max_parallel = max(1, max_parallel)
        self.items = items
        self.results: dict[str, NodeResult] = {}
        self.first_failure: NodeResult | None = None

    def execute(self, interrupts: tuple[type[BaseException], ...]) -> BaseException | None:
        """Run every node; the interrupt that stopped the run, or None when it ran to its end."""
        pending = list(self.workflow.nodes)
        running: dict[Future[NodeResult], Node] = {}
        with ThreadPoolExecutor(max_workers=self.max_parallel, thread_name_prefix="archon-node") as pool:
            try:
                while pending or running:
                    pending = self._skip_blocked(pending)
                    for node in [n for n in pending if self._ready(n)][: self.max_parallel - len(running)]:
                        pending.remove(node)
                        self.observer.node_started(node)
                        future = pool.submit(run_node, self.context, node, *self._upstream())
                        running[future] = node
                        future.add_done_callback(self.items.put)
                    if not running:
                        break
                    self._dispatch(running)
            except interrupts as interrupt:
                self._stop(pool, interrupts)
                self._wind_up(running)
                return interrupt
            except BaseException:
                self._stop(pool, interrupts)
                raise
        return None

    def _upstream(self) -> tuple[dict[str, str], dict[str, str]]:
        done = {k: r for k, r in self.results.items() if r.status == "succeeded"}
        return {k: _as_output(r.output) for k, r in done.items()}, {
            k: r.session_id for k, r in done.items() if r.session_id
        }

    def _dispatch(self, running: dict[Future[NodeResult], Node]) -> None:
        """Hand over what arrived, until a node finishes (or a while has passed)."""
        try:
            item = self.items.get(timeout=_WAKE_SECONDS)
        except queue.Empty:
            return
        if isinstance(item, Future):
            self._finish(item.result())
            running.pop(item)  # after: an interrupt in between must still find the node finished, not lose it
        else:
            self.observer.node_event(*item)

    def _stop(self, pool: ThreadPoolExecutor, interrupts: tuple[type[BaseException], ...]) -> None:
        """Stop every running node and wait for their threads to finish (their results are then in the queue)."""
        supervisor = self.context.supervisor
        try:
            supervisor.stop_all()
        except interrupts:  # interrupted again while stopping: no more grace
            supervisor.kill_all()
        except BaseException:
            supervisor.kill_all()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _wind_up(self, running: dict[Future[NodeResult], Node]) -> None:
        """After an interrupt: show what the stopped nodes printed while stopping (a bash ``trap``'s words) and
        their results, then skip every node that did not start."""
        while True:
            try:
                item = self.items.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, Future):
                self._finish_future(item, running.get(item))
            else:
                self.observer.node_event(*item)
        for future, node in running.items():  # one whose result was being handed over when the interrupt came
            self._finish_future(future, node)
        for node in self.workflow.nodes:
            if node.id not in self.results:
                self._skip(node, None)

    def _finish_future(self, future: Future[NodeResult], node: Node | None) -> None:
        if node is None or node.id in self.results:
            return
        if future.cancelled():  # submitted, never started
            self._skip(node, None)
        else:
            self._finish(future.result())

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
                    self._skip(node, blocker)
                    changed = True
        return pending

    def _skip(self, node: Node, blocker: str | None) -> None:
        provider = self.context.provider if node.uses_provider else None
        self._finish(NodeResult(node=node, status="skipped", provider=provider, skipped_because=blocker))

    def _finish(self, result: NodeResult) -> None:
        self.results[result.node.id] = result
        if result.status == "failed" and self.first_failure is None:
            self.first_failure = result
        self.observer.node_finished(result)


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
    max_capability: Capability | None = None,
    supervisor: Supervisor | None = None,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    paths: ArchonPaths | None = None,
    interrupts: tuple[type[BaseException], ...] = (KeyboardInterrupt,),
) -> RunResult:
    """Run ``workflow`` and return what happened. Node failures are results, not exceptions.

    ``provider`` is the assistant CLI for prompt and command nodes (ignored when there are none). If its binary
    cannot be found, nothing runs and the result's error is a :class:`ProviderNotFoundError`. ``max_capability``
    caps what every node may do in this run. Each assistant node gets a private temporary directory, under
    ``paths.tmp`` when the archon home may hold it (:mod:`archon.workflows.temp_dirs`). ``interrupts``: the
    exceptions that mean "stop" (``KeyboardInterrupt``, and what the caller raises for SIGTERM): the run then ends as
    a failed run whose ``interrupted_by`` is the interrupt, instead of raising it. ``supervisor`` and
    ``retry_delays`` are for tests.
    """
    started = monotonic()
    run_provider = provider if workflow.uses_provider else None
    observer.run_started(workflow, run_provider)
    try:
        binary = require_provider_binary(provider, env=env) if run_provider is not None else None
    except ProviderNotFoundError as exc:
        result = RunResult(
            workflow=workflow,
            provider=run_provider,
            nodes=tuple(
                NodeResult(node=n, status="skipped", provider=run_provider if n.uses_provider else None)
                for n in workflow.nodes
            ),
            duration_seconds=monotonic() - started,
            max_capability=max_capability,
            error=exc,
            failed_node=next(node for node in workflow.nodes if node.uses_provider),
        )
        observer.run_finished(result)
        return result
    invoker = Invoker(
        workflow,
        arguments=arguments,
        inputs=inputs or {},
        provider_binary=binary,
        bash_binary=find_on_path("bash", env=env) if any(n.kind == "bash" for n in workflow.nodes) else None,
        max_capability=max_capability,
    )
    items: queue.Queue[_Item] = queue.Queue()
    supervisor = supervisor or Supervisor()
    temp_root = run_temp_root(paths, workspace=cwd) if run_provider is not None else contextlib.nullcontext(None)
    with temp_root as temp_dir:  # removed after the sweep: nothing of the run is left to write in it
        context = NodeContext(
            invoker=invoker,
            provider=run_provider,
            cli=assistant_cli(run_provider) if run_provider is not None else None,
            env=env,
            cwd=cwd,
            supervisor=supervisor,
            emit=lambda node, event: items.put((node, event)),
            monotonic=monotonic,
            retry_delays=retry_delays,
            temp_root=temp_dir,
        )
        run = _Run(workflow, context=context, observer=observer, max_parallel=max_parallel, items=items)
        try:
            interrupt = run.execute(interrupts)
        finally:
            supervisor.sweep()
    _drain(items, observer)
    nodes = tuple(run.results[node.id] for node in workflow.nodes)
    failure = run.first_failure
    if interrupt is not None:
        failure = next((r for r in nodes if r.failure_kind == "interrupted"), None)
    error = failure.error if failure is not None else None
    result = RunResult(
        workflow=workflow,
        provider=run_provider,
        nodes=nodes,
        duration_seconds=monotonic() - started,
        max_capability=max_capability,
        error=error or (RunInterruptedError("the run was interrupted") if interrupt is not None else None),
        failed_node=failure.node if failure is not None else None,
        interrupted_by=interrupt,
        left_running=supervisor.leftovers() if interrupt is not None else None,
    )
    observer.run_finished(result)
    return result


def _drain(items: queue.Queue[_Item], observer: RunObserver) -> None:
    """Events that arrived after the last node finished (none, as nodes report before they finish; kept safe)."""
    while True:
        try:
            item = items.get_nowait()
        except queue.Empty:
            return
        if not isinstance(item, Future):
            observer.node_event(*item)

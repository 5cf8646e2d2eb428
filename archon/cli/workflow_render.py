"""How ``archon workflow`` shows things: live progress on a terminal, text summaries, and ``--json`` data.

The JSON shapes here are a contract (tests pin their keys): ``list --json``, ``run --json`` and
``run --dry-run --json``.
"""

from __future__ import annotations

from typing import Any

import typer

from archon.cli.workflow_trust_words import skipped_json
from archon.workflows.catalog import Catalog
from archon.workflows.model import Node, Workflow
from archon.workflows.plan import RunPlan
from archon.workflows.providers import ProviderName
from archon.workflows.results import NodeResult, RunResult

__all__ = [
    "ProgressDisplay",
    "catalog_json",
    "final_outputs",
    "plan_json",
    "plan_text",
    "run_json",
    "run_summary",
]

STDERR_TAIL_LINES = 20


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _tail(text: str, lines: int = STDERR_TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


class ProgressDisplay:
    """A :class:`~archon.workflows.observer.RunObserver` printing one line per node event to stderr (on a TTY)."""

    def run_started(self, workflow: Workflow, provider: ProviderName | None) -> None:
        via = f" via {provider}" if provider else ""
        typer.echo(f"Running {workflow.name} ({len(workflow.nodes)} nodes{via})", err=True)

    def node_started(self, node: Node) -> None:
        typer.echo(f"  ... {node.id} ({node.kind})", err=True)

    def node_finished(self, result: NodeResult) -> None:
        node = result.node
        if result.status == "succeeded":
            typer.echo(f"  ok  {node.id} ({result.duration_seconds:.1f}s)", err=True)
        elif result.status == "skipped":
            typer.echo(f"  --  {node.id} skipped: {result.skipped_because!r} did not succeed", err=True)
        else:
            failure = result.failure
            why = f"{failure.classification}: {failure.reason}" if failure is not None else "failed"
            typer.echo(f"  ERR {node.id} ({why}, {result.duration_seconds:.1f}s)", err=True)

    def run_finished(self, result: RunResult) -> None:
        return None


def node_json(result: NodeResult) -> dict[str, Any]:
    return {
        "id": result.node.id,
        "kind": result.node.kind,
        "status": result.status,
        "classification": result.failure.classification if result.failure else None,
        "reason": result.failure.reason if result.failure else None,
        "error": result.error.message if result.error else None,
        "exit_code": result.returncode,
        "duration_ms": _ms(result.duration_seconds),
        "skipped_because": result.skipped_because,
        "output": result.output,
        "stderr": result.stderr,
    }


def run_json(result: RunResult) -> dict[str, Any]:
    return {
        "workflow": result.workflow.name,
        "source": result.workflow.source,
        "provider": result.provider,
        "ok": result.ok,
        "error": result.error.message if result.error else None,
        "duration_ms": _ms(result.duration_seconds),
        "nodes": [node_json(r) for r in result.nodes],
    }


def run_summary(result: RunResult) -> list[str]:
    """Lines for stderr: one summary line, and the details of each failed node."""
    failed = sum(1 for r in result.nodes if r.status == "failed")
    skipped = sum(1 for r in result.nodes if r.status == "skipped")
    head = f"{result.workflow.name}: {result.nodes_completed}/{len(result.nodes)} nodes succeeded"
    head += f", {failed} failed" if failed else ""
    head += f", {skipped} skipped" if skipped else ""
    head += f" in {result.duration_seconds:.1f}s"
    lines = [head]
    for r in result.nodes:
        if r.status == "failed" and r.failure is not None:
            lines.append(f"node {r.node.id!r} failed ({r.failure.classification}: {r.failure.reason})")
            if r.stderr.strip():
                lines.extend(f"  | {line}" for line in _tail(r.stderr).splitlines())
    return lines


def final_outputs(result: RunResult) -> list[tuple[str, str]]:
    """The outputs worth printing: those of succeeded nodes nothing else depends on, in file order."""
    depended_on = {dep for node in result.workflow.nodes for dep in node.depends_on}
    return [(r.node.id, r.output) for r in result.nodes if r.status == "succeeded" and r.node.id not in depended_on]


def catalog_json(catalog: Catalog) -> dict[str, Any]:
    return {
        "workflows": [
            {
                "name": w.name,
                "description": w.description,
                "origin": w.origin,
                "source": w.source,
                "provider": w.provider,
                "nodes": [
                    {"id": n.id, "kind": n.kind, "depends_on": list(n.depends_on), "command": n.command}
                    for n in w.nodes
                ],
                "overrides": catalog.overridden.get(w.name, []),
            }
            for w in sorted(catalog.workflows.values(), key=lambda w: w.name)
        ],
        "errors": [
            {"file": b.source, "stem": b.stem, "hides": b.hides, "message": b.error.message} for b in catalog.broken
        ],
        "skipped": skipped_json(catalog),
    }


def plan_json(plan: RunPlan) -> dict[str, Any]:
    return {
        "workflow": plan.workflow.name,
        "source": plan.workflow.source,
        "provider": plan.provider,
        "provider_binary": plan.provider_binary,
        "nodes": [
            {
                "id": p.node.id,
                "kind": p.node.kind,
                "level": p.level,
                "depends_on": list(p.node.depends_on),
                "timeout": p.node.effective_timeout,
                "argv": p.argv,
                "env": p.extra_env,
                "problem": p.problem,
            }
            for p in plan.nodes
        ],
    }


def plan_text(plan: RunPlan) -> list[str]:
    lines = [f"{plan.workflow.name} ({plan.workflow.source}): dry run, nothing is executed"]
    if plan.provider is not None:
        where = plan.provider_binary or "NOT FOUND: the run would stop before any node"
        lines.append(f"provider: {plan.provider} ({where})")
    for p in plan.nodes:
        deps = f" after {', '.join(p.node.depends_on)}" if p.node.depends_on else ""
        lines.append(f"[{p.level + 1}] {p.node.id} ({p.node.kind}, timeout {p.node.effective_timeout:g}s){deps}")
        if p.problem is not None:
            lines.append(f"    cannot run: {p.problem}")
            continue
        for name, value in p.extra_env.items():
            lines.append(f"    env {name}={value!r}")
        lines.extend(f"    {line}" for line in _argv_text(p.argv).splitlines())
    return lines


def _argv_text(argv: list[str]) -> str:
    """The command, then its last argument (the script or the prompt) on lines of its own."""
    if not argv:
        return ""
    return f"run: {' '.join(argv[:-1])} ARG, where ARG is:\n" + "\n".join(
        f"  | {line}" for line in argv[-1].splitlines()
    )

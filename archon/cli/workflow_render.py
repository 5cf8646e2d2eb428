"""How ``archon workflow`` shows results: text summaries and ``--json`` data (the live display is in
:mod:`archon.cli.workflow_live`, the dry run in :mod:`archon.cli.workflow_plan`).

The JSON shapes here are a contract (tests pin their keys): ``list --json`` and ``run --json``.
"""

from __future__ import annotations

from typing import Any

from archon.cli.signals import Terminated
from archon.cli.workflow_live import usage_words
from archon.cli.workflow_trust_words import skipped_json
from archon.workflows.catalog import Catalog
from archon.workflows.node_events import Usage
from archon.workflows.results import NodeResult, RunResult

__all__ = [
    "catalog_json",
    "final_outputs",
    "interrupted_line",
    "node_json",
    "run_json",
    "run_summary",
    "signal_name",
    "usage_json",
]

STDERR_TAIL_LINES = 20


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _tail(text: str, lines: int = STDERR_TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def usage_json(usage: Usage | None) -> dict[str, Any] | None:
    if usage is None:
        return None
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "cost_usd": usage.cost_usd,
    }


def node_json(result: NodeResult) -> dict[str, Any]:
    return {
        "id": result.node.id,
        "kind": result.node.kind,
        "status": result.status,
        "capability": result.capability,
        "model": result.model,
        "classification": result.failure.classification if result.failure else None,
        "reason": result.failure.reason if result.failure else None,
        "failure_kind": result.failure_kind,
        "error": result.error.message if result.error else None,
        "message": result.message,
        "denials": [{"tool": d.tool, "detail": d.detail} for d in result.denials],
        "exit_code": result.returncode,
        "duration_ms": _ms(result.duration_seconds),
        "attempts": result.attempts,
        "session_id": result.session_id,
        "usage": usage_json(result.usage),
        "skipped_because": result.skipped_because,
        "output": result.output,
        "stderr": result.stderr,
    }


def signal_name(interrupt: BaseException) -> str:
    """The signal an interrupt of ``archon workflow run`` stands for."""
    return "SIGTERM" if isinstance(interrupt, Terminated) else "SIGINT"


def run_json(result: RunResult) -> dict[str, Any]:
    return {
        "workflow": result.workflow.name,
        "source": result.workflow.source,
        "provider": result.provider,
        "max_capability": result.max_capability,
        "ok": result.ok,
        "error": result.error.message if result.error else None,
        "interrupted": signal_name(result.interrupted_by) if result.interrupted_by is not None else None,
        "left_running": result.left_running,
        "duration_ms": _ms(result.duration_seconds),
        "usage": usage_json(result.usage),
        "nodes": [node_json(r) for r in result.nodes],
    }


def run_summary(result: RunResult) -> list[str]:
    """Lines for stderr: one summary line, tokens and cost, and for each failed node why, in its CLI's words."""
    stopped = len(result.stopped)
    failed = sum(1 for r in result.nodes if r.status == "failed") - stopped
    skipped = sum(1 for r in result.nodes if r.status == "skipped")
    head = f"{result.workflow.name}: {result.nodes_completed}/{len(result.nodes)} nodes succeeded"
    head += f", {failed} failed" if failed else ""
    head += f", {stopped} stopped" if stopped else ""
    head += f", {skipped} skipped" if skipped else ""
    head += f" in {result.duration_seconds:.1f}s"
    lines = [head]
    if result.usage is not None:
        unpriced = " (no cost reported)" if result.usage.cost_usd is None else ""
        lines.append(f"usage: {usage_words(result.usage)}{unpriced}")
        reported = [r for r in result.nodes if r.usage is not None]
        if len(reported) > 1:  # also with --quiet, which shows no node's end
            lines.extend(f"  {r.node.id}: {usage_words(r.usage)}" for r in reported if r.usage is not None)
    for r in result.nodes:
        if r.status != "failed" or r.failure is None or r.failure_kind == "interrupted":
            continue  # a stopped node: :func:`interrupted_line` names it
        lines.append(f"node {r.node.id!r} failed ({r.failure.classification}: {r.failure.reason})")
        if r.denials:
            lines.extend(f"  denied: {d.tool} {d.detail}".rstrip() for d in r.denials)
            lines.append(f"  (its capability is {r.capability}: declare what the work needs, see docs/workflows.md)")
        if r.message:
            said = _tail(r.message).splitlines()
            lines.extend(f"  {r.provider} said: {line}" if i == 0 else f"    {line}" for i, line in enumerate(said))
        elif r.stderr.strip():
            lines.extend(f"  | {line}" for line in _tail(r.stderr).splitlines())
    return lines


def interrupted_line(result: RunResult, interrupt: BaseException) -> str:
    """The one line that says an interrupted run stopped, what it stopped, and whether anything is left running."""
    stopped = [repr(r.node.id) for r in result.stopped]
    if not stopped:
        what = "no node was running"
    elif len(stopped) == 1:
        what = f"stopped node {stopped[0]} and everything it started"
    else:
        what = f"stopped nodes {', '.join(stopped)} and everything they started"
    if result.left_running is None:
        left = "archon cannot look for leftover processes on this system"
    elif result.left_running:
        left = f"{result.left_running} process(es) of this run could not be stopped"
    else:
        left = "nothing of this run is left running"
    return f"archon: interrupted ({signal_name(interrupt)}): {what}; {left}"


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
                "model": w.model,
                "nodes": [
                    {
                        "id": n.id,
                        "kind": n.kind,
                        "depends_on": list(n.depends_on),
                        "command": n.command,
                        "capability": n.capability,
                        "model": n.model,
                        "resume": n.resume,
                    }
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

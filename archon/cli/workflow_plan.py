"""How ``archon workflow run --dry-run`` shows a plan: per node its level, what it may do (capability), its
model, the exact command line, the extra environment and what it would read on stdin. ``--json`` gives the same
as data (a contract: tests pin its keys)."""

from __future__ import annotations

from typing import Any

from archon.cli.workflow_live import CAPABILITY_WORDS
from archon.workflows.plan import PlannedNode, RunPlan

__all__ = ["plan_json", "plan_text"]


def plan_json(plan: RunPlan) -> dict[str, Any]:
    return {
        "workflow": plan.workflow.name,
        "source": plan.workflow.source,
        "provider": plan.provider,
        "provider_binary": plan.provider_binary,
        "max_capability": plan.max_capability,
        "nodes": [
            {
                "id": p.node.id,
                "kind": p.node.kind,
                "level": p.level,
                "depends_on": list(p.node.depends_on),
                "timeout": p.node.effective_timeout,
                "capability": p.capability,
                "declared_capability": p.node.capability,
                "model": p.model,
                "resume": p.node.resume,
                "argv": p.argv,
                "env": p.extra_env,
                "stdin": p.stdin,
                "problem": p.problem,
            }
            for p in plan.nodes
        ],
    }


def _what(p: PlannedNode) -> str:
    if p.capability is None:
        return "bash: runs your script"
    words = f"may: {p.capability} ({CAPABILITY_WORDS[p.capability]})"
    if p.node.capability is not None and p.node.capability != p.capability:
        words += f", capped from {p.node.capability}"
    return words + f"; model: {p.model or 'the CLI default'}"


def plan_text(plan: RunPlan) -> list[str]:
    lines = [f"{plan.workflow.name} ({plan.workflow.source}): dry run, nothing is executed"]
    if plan.provider is not None:
        where = plan.provider_binary or "NOT FOUND: the run would stop before any node"
        lines.append(f"provider: {plan.provider} ({where})")
    if plan.max_capability is not None:
        lines.append(f"capped at: {plan.max_capability} (--max-capability)")
    for p in plan.nodes:
        deps = f" after {', '.join(p.node.depends_on)}" if p.node.depends_on else ""
        lines.append(f"[{p.level + 1}] {p.node.id} ({p.node.kind}, timeout {p.node.effective_timeout:g}s){deps}")
        lines.append(f"    {_what(p)}")
        if p.node.resume:
            lines.append(f"    continues the session of {p.node.resume} (from a copy)")
        if p.problem is not None:
            lines.append(f"    cannot run: {p.problem}")
            continue
        lines.extend(f"    env {name}={value!r}" for name, value in p.extra_env.items())
        lines.extend(f"    {line}" for line in _command_text(p).splitlines())
    return lines


def _command_text(p: PlannedNode) -> str:
    """The command; then the script (bash, its last argument) or the prompt (on stdin) on lines of their own."""
    if not p.argv:
        return ""
    if p.stdin is not None:
        body, head = p.stdin, f"run: {' '.join(p.argv)} < STDIN, where STDIN is:"
    else:
        body, head = p.argv[-1], f"run: {' '.join(p.argv[:-1])} ARG, where ARG is:"
    return head + "\n" + "\n".join(f"  | {line}" for line in body.splitlines())

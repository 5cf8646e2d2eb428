"""What ``archon workflow list`` and ``run`` say about the trust rule: sources that were skipped and why, and a
workflow that replaces another (docs/workflows.md, "Where workflows come from"). Loaded only by those commands."""

from __future__ import annotations

from typing import Any

from archon.workflows.catalog import Catalog
from archon.workflows.model import Workflow
from archon.workflows.sources import SkippedSource, SkipReason

__all__ = ["override_notices", "skipped_json", "skipped_warnings"]

_REASONS = {
    SkipReason.NOT_OWNED: "is owned by another user",
    SkipReason.WRITABLE_BY_OTHERS: "is writable by other users",
    SkipReason.NOT_A_DIRECTORY: "is not a directory",
    SkipReason.LINK_LEAVES_REPO: "is a symbolic link that leads out of the repository",
    SkipReason.OUTSIDE_HOME: "is outside your user profile, and on Windows archon cannot check who owns it",
}

_WHOSE = {"user": "your workflows directory", "repo": "the repository"}


def skipped_warnings(catalog: Catalog) -> list[str]:
    return [_skipped_warning(s) for s in catalog.skipped]


def _skipped_warning(skipped: SkippedSource) -> str:
    """``archon: warning: ...`` for stderr: what was not read, the directory that failed the rule, and why."""
    what = f"{_WHOSE.get(skipped.origin, skipped.origin)} {skipped.source}"
    because = f"{skipped.path} {_REASONS[skipped.reason]}"
    return (
        f"archon: warning: not using the workflows and commands of {what}: {because}; archon reads them only from "
        'directories you own that nobody else may write (see docs/workflows.md, "Trust")'
    )


def skipped_json(catalog: Catalog) -> list[dict[str, Any]]:
    return [
        {"origin": s.origin, "source": str(s.source), "path": str(s.path), "reason": s.reason.value}
        for s in catalog.skipped
    ]


def override_notices(catalog: Catalog, workflow: Workflow) -> list[str]:
    """``archon: notice: ...`` when the workflow about to run replaces a definition from an earlier source."""
    replaced = catalog.overridden.get(workflow.name)
    if not replaced:
        return []
    return [f"archon: notice: {workflow.name!r} is {workflow.source}, which replaces {', '.join(replaced)}"]

"""Every workflow archon can run: each source's files loaded and merged, a later source overriding an earlier
one by ``name`` (see :mod:`archon.workflows.sources` for the order and the trust rule).

A file that does not load is kept as a :class:`BrokenFile` so ``list`` can report it, and it **hides** the
workflow it would have replaced: the one named by its ``name:`` when that can still be read, else the one named
like the file. ``run`` of a hidden name fails with the broken file's error (running the older definition instead
would surprise more than the error), while every other workflow stays usable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archon.paths import ArchonPaths
from archon.workflows.commands import CommandLibrary, load_commands
from archon.workflows.errors import WorkflowDefinitionError, WorkflowNotFoundError
from archon.workflows.loader import declared_name, parse_workflow
from archon.workflows.model import Workflow
from archon.workflows.source_files import read_named_file, read_source_file, source_file_names
from archon.workflows.sources import (
    COMMANDS_DIR,
    SkippedSource,
    SourceTrust,
    WorkflowSource,
    workflow_sources,
)

__all__ = ["BrokenFile", "Catalog", "load_catalog", "load_workflow_file"]

_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class BrokenFile:
    """A workflow file that did not load."""

    source: str
    """The file: its path, or ``<bundled>/name.yaml``."""
    stem: str
    """Its name without ``.yaml``/``.yml``."""
    hides: str
    """The workflow name it hides: its ``name:`` if that could be read, else ``stem``."""
    error: WorkflowDefinitionError


@dataclass(frozen=True)
class Catalog:
    workflows: dict[str, Workflow] = field(default_factory=dict)
    broken: list[BrokenFile] = field(default_factory=list)
    """Every file that did not load, in the order read."""
    hidden: dict[str, BrokenFile] = field(default_factory=dict)
    """Workflow name -> the broken file that hides it (no later source defined that name validly)."""
    overridden: dict[str, list[str]] = field(default_factory=dict)
    """Workflow name -> the sources of the definitions it replaced."""
    commands: CommandLibrary = field(default_factory=CommandLibrary)
    skipped: list[SkippedSource] = field(default_factory=list)
    """Directories that would have been sources but fail the trust rule."""

    def get(self, name: str) -> Workflow:
        if name in self.workflows:
            return self.workflows[name]
        if name in self.hidden:
            error = self.hidden[name].error
            raise WorkflowDefinitionError(
                error.source,
                f"{error.problem} (this file replaces workflow {name!r}, which therefore does not run)",
                node=error.node,
                field=error.field,
            )
        known = ", ".join(sorted(self.workflows)) or "none"
        raise WorkflowNotFoundError(f"no workflow named {name!r} (available: {known}); see `archon workflow list`")


def _stem(name: str) -> str:
    for suffix in _SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def load_catalog(
    *, paths: ArchonPaths, cwd: Path, user_home: Path | None = None, trust: SourceTrust | None = None
) -> Catalog:
    sources = workflow_sources(paths=paths, cwd=cwd, user_home=user_home, trust=trust)
    catalog = Catalog(commands=load_commands(sources.commands, trust=sources.trust), skipped=sources.skipped)
    for source in sources.workflows:
        for file_name in source_file_names(source, _SUFFIXES):
            text: str | None = None
            try:
                text = read_source_file(source, file_name, trust=sources.trust)
                workflow = parse_workflow(
                    text, source=f"{source.label}/{file_name}", origin=source.origin, commands=catalog.commands
                )
            except WorkflowDefinitionError as exc:
                hides = (declared_name(text) if text is not None else None) or _stem(file_name)
                broken = BrokenFile(f"{source.label}/{file_name}", _stem(file_name), hides, exc)
                catalog.broken.append(broken)
                catalog.hidden[hides] = broken
                catalog.workflows.pop(hides, None)
                continue
            previous = catalog.workflows.get(workflow.name)
            if previous is not None:
                catalog.overridden.setdefault(workflow.name, []).append(previous.source)
            catalog.workflows[workflow.name] = workflow
            catalog.hidden.pop(workflow.name, None)
    return catalog


def load_workflow_file(
    path: Path, *, paths: ArchonPaths, cwd: Path, user_home: Path | None = None, trust: SourceTrust | None = None
) -> Workflow:
    """One workflow file named by the user (``archon workflow validate PATH``), read as carefully as the others
    but wherever it is (the user named it). Its commands may come from the usual sources or from a ``commands/``
    directory next to it."""
    sources = workflow_sources(paths=paths, cwd=cwd, user_home=user_home, trust=trust)
    beside = path.parent / COMMANDS_DIR
    beside_source = WorkflowSource("file", beside, str(beside), beside.resolve())
    commands = load_commands([*sources.commands, beside_source], trust=sources.trust)
    if not path.is_file():
        raise WorkflowDefinitionError(str(path), "is not a file")
    return parse_workflow(read_named_file(path), source=str(path), origin="file", commands=commands)

"""Every workflow archon can run: each source's files loaded and merged, a later source overriding an earlier
one by ``name`` (see :mod:`archon.workflows.sources` for the order).

A file that does not load is kept as an error (under its file name) so ``list`` can report it and ``run`` of
that workflow fails with the loader's message, while every other workflow stays usable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

from archon.paths import ArchonPaths
from archon.workflows.commands import COMMANDS_DIR, CommandLibrary, load_commands
from archon.workflows.errors import WorkflowDefinitionError, WorkflowNotFoundError
from archon.workflows.loader import parse_workflow
from archon.workflows.model import Workflow
from archon.workflows.sources import files_in, workflow_sources

__all__ = ["Catalog", "load_catalog", "load_workflow_file"]

_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Catalog:
    workflows: dict[str, Workflow] = field(default_factory=dict)
    errors: dict[str, WorkflowDefinitionError] = field(default_factory=dict)
    """Files that did not load, by file name without suffix (their ``name:`` may be unreadable)."""
    overridden: dict[str, list[str]] = field(default_factory=dict)
    """Workflow name -> the sources of the definitions it replaced."""
    commands: CommandLibrary = field(default_factory=CommandLibrary)

    def get(self, name: str) -> Workflow:
        if name in self.workflows:
            return self.workflows[name]
        if name in self.errors:
            raise self.errors[name]
        known = ", ".join(sorted(self.workflows)) or "none"
        raise WorkflowNotFoundError(f"no workflow named {name!r} (available: {known}); see `archon workflow list`")


def _stem(name: str) -> str:
    for suffix in _SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def _read(entry: Traversable | Path, label: str) -> str:
    try:
        return entry.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise WorkflowDefinitionError(label, "is not valid UTF-8") from exc
    except OSError as exc:
        raise WorkflowDefinitionError(label, f"cannot be read ({exc.strerror or exc})") from exc


def load_catalog(*, paths: ArchonPaths, cwd: Path) -> Catalog:
    sources = workflow_sources(paths=paths, cwd=cwd)
    commands = load_commands((s.directory / COMMANDS_DIR, f"{s.label}/{COMMANDS_DIR}") for s in sources)
    workflows: dict[str, Workflow] = {}
    errors: dict[str, WorkflowDefinitionError] = {}
    overridden: dict[str, list[str]] = {}
    for source in sources:
        for entry in files_in(source.directory, _SUFFIXES):
            label = f"{source.label}/{entry.name}"
            try:
                workflow = parse_workflow(_read(entry, label), source=label, origin=source.origin, commands=commands)
            except WorkflowDefinitionError as exc:
                # A broken override hides what it would have replaced: running the older one instead would
                # surprise more than the error.
                errors[_stem(entry.name)] = exc
                workflows.pop(_stem(entry.name), None)
                continue
            previous = workflows.get(workflow.name)
            if previous is not None:
                overridden.setdefault(workflow.name, []).append(previous.source)
            workflows[workflow.name] = workflow
            errors.pop(workflow.name, None)
    return Catalog(workflows=workflows, errors=errors, overridden=overridden, commands=commands)


def load_workflow_file(path: Path, *, paths: ArchonPaths, cwd: Path) -> Workflow:
    """One workflow file named by the user (``archon workflow validate PATH``). Its commands may come from the
    usual sources or from a ``commands/`` directory next to it."""
    sources = workflow_sources(paths=paths, cwd=cwd)
    directories: list[tuple[Traversable | Path, str]] = [
        (s.directory / COMMANDS_DIR, f"{s.label}/{COMMANDS_DIR}") for s in sources
    ]
    directories.append((path.parent / COMMANDS_DIR, str(path.parent / COMMANDS_DIR)))
    if not path.is_file():
        raise WorkflowDefinitionError(str(path), "is not a file")
    return parse_workflow(_read(path, str(path)), source=str(path), origin="file", commands=load_commands(directories))

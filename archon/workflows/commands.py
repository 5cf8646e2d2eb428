"""Commands: named Markdown prompts that ``command:`` nodes run (``commands/<name>.md`` next to the workflows).

They come from the same three places as workflows, later ones overriding earlier ones by name: the bundled
``archon/workflows/defaults/commands/``, ``~/.archon/workflows/commands/`` and
``<repo>/.archon/workflows/commands/``, under the same trust rule (:mod:`archon.workflows.sources`) and read as
carefully (:mod:`archon.workflows.source_files`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from archon.workflows.errors import WorkflowDefinitionError
from archon.workflows.source_files import read_source_file, source_file_names
from archon.workflows.sources import SourceTrust, WorkflowSource

__all__ = ["CommandLibrary", "load_commands"]

_SUFFIX = ".md"


@dataclass(frozen=True)
class CommandLibrary:
    """Command name -> prompt text, and where each came from (for ``archon workflow list``)."""

    texts: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    errors: dict[str, WorkflowDefinitionError] = field(default_factory=dict)
    """Command files that could not be read, by command name. Like a broken workflow, a broken command hides the
    command of the same name from earlier sources: a workflow using it fails, naming the file."""

    def get(self, name: str) -> str | None:
        return self.texts.get(name)

    def names(self) -> list[str]:
        return sorted(self.texts)


def load_commands(sources: Iterable[WorkflowSource], *, trust: SourceTrust) -> CommandLibrary:
    """Read ``*.md`` from each source directory in order; a later one overrides an earlier one."""
    library = CommandLibrary()
    for source in sources:
        for file_name in source_file_names(source, (_SUFFIX,)):
            name = file_name.removesuffix(_SUFFIX)
            try:
                text = read_source_file(source, file_name, trust=trust)
            except WorkflowDefinitionError as exc:
                library.texts.pop(name, None)
                library.sources.pop(name, None)
                library.errors[name] = exc
                continue
            library.texts[name] = text
            library.sources[name] = f"{source.label}/{file_name}"
            library.errors.pop(name, None)
    return library

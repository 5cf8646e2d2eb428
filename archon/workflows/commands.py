"""Commands: named Markdown prompts that ``command:`` nodes run (``commands/<name>.md`` next to the workflows).

They come from the same three places as workflows, later ones overriding earlier ones by name: the bundled
``archon/workflows/defaults/commands/``, ``~/.archon/workflows/commands/`` and
``<repo>/.archon/workflows/commands/``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

from archon.workflows.sources import files_in

__all__ = ["COMMANDS_DIR", "CommandLibrary", "load_commands"]

COMMANDS_DIR = "commands"
_SUFFIX = ".md"


@dataclass(frozen=True)
class CommandLibrary:
    """Command name -> prompt text, and where each came from (for ``archon workflow list``)."""

    texts: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        return self.texts.get(name)

    def names(self) -> list[str]:
        return sorted(self.texts)


def load_commands(directories: Iterable[tuple[Traversable | Path, str]]) -> CommandLibrary:
    """Read ``*.md`` from each ``(directory, label)`` in order; a later directory overrides an earlier one.

    A command file that cannot be read is skipped; a workflow using it then fails to load, naming the command.
    """
    texts: dict[str, str] = {}
    sources: dict[str, str] = {}
    for directory, label in directories:
        for entry in files_in(directory, (_SUFFIX,)):
            try:
                text = entry.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            name = entry.name.removesuffix(_SUFFIX)
            texts[name] = text
            sources[name] = f"{label}/{entry.name}"
    return CommandLibrary(texts, sources)

"""Reading workflow and command files the way ``config.yaml`` is read: with the one careful reader
(:func:`archon.private_files.read_regular_file`).

A file is read only if it is a regular file of at most :data:`SOURCE_FILE_LIMIT` bytes, opened without blocking,
that nobody but the user may change (:mod:`archon.ownership`); a symbolic link is followed only to a file inside
its source's bound (the repository, or the user's workflows directory) whose directories, from the bound down,
all pass the same rule. Anything else is a :class:`~archon.workflows.errors.WorkflowDefinitionError` naming the
file, so a FIFO, ``/dev/zero``, a link to another user's file or a huge file breaks that one workflow, never the
others. The bundled defaults are package data and are read as such.
"""

from __future__ import annotations

import os
from pathlib import Path

from archon.private_files import FileRefusal, RefusedFile, read_regular_file
from archon.workflows.errors import WorkflowDefinitionError
from archon.workflows.sources import SourceTrust, WorkflowSource, _judge, _within

__all__ = ["SOURCE_FILE_LIMIT", "read_named_file", "read_source_file", "source_file_names"]

SOURCE_FILE_LIMIT = 128 * 1024
"""A workflow or command file larger than this is not read: the bundled ones are under 4 KiB, and a prompt is
passed to the assistant CLI as one argument, which Linux caps at 128 KiB anyway."""

_DISTRUST_TEXT = {
    "not-owned": "is owned by another user",
    "writable-by-others": "is writable by other users",
}


def source_file_names(source: WorkflowSource, suffixes: tuple[str, ...]) -> list[str]:
    """The names in the source's directory ending in one of ``suffixes``, sorted; none if it cannot be listed."""
    try:
        if not source.directory.is_dir():
            return []
        names = [entry.name for entry in source.directory.iterdir() if entry.name.endswith(suffixes)]
    except OSError:
        return []
    return sorted(names)


def _link_target(path: Path, bound: Path, trust: SourceTrust, label: str) -> Path:
    real = Path(os.path.realpath(path))
    if not _within(real, bound):
        raise WorkflowDefinitionError(
            label, f"is a symbolic link to {real}, outside {bound}; archon does not follow it"
        )
    level = bound
    for part in real.parent.relative_to(bound).parts:
        level = level / part
        reason = _judge(level, trust)
        if reason is not None:
            raise WorkflowDefinitionError(label, f"is a symbolic link into {level}, which {_DISTRUST_TEXT[reason]}")
    return real


def _read_path(path: Path, source: WorkflowSource, trust: SourceTrust, label: str) -> bytes:
    if source.bound is not None and os.path.islink(path):
        path = _link_target(path, source.bound, trust, label)
    try:
        return read_regular_file(path, limit=SOURCE_FILE_LIMIT, owner=trust.owner)
    except RefusedFile as exc:
        if exc.reason is FileRefusal.TOO_LARGE:
            problem = f"is larger than {SOURCE_FILE_LIMIT // 1024} KiB"
        elif exc.reason is FileRefusal.NOT_OWN and exc.distrust is not None:
            problem = _DISTRUST_TEXT[exc.distrust]
        elif exc.reason is FileRefusal.SYMLINK:
            problem = "is a symbolic link"
        else:
            problem = "is not a regular file"
        raise WorkflowDefinitionError(label, problem) from exc
    except OSError as exc:
        raise WorkflowDefinitionError(label, f"cannot be read ({exc.strerror or exc})") from exc


def read_source_file(source: WorkflowSource, name: str, *, trust: SourceTrust) -> str:
    """The text of ``name`` in ``source``, read carefully; a :class:`WorkflowDefinitionError` names what is wrong."""
    label = f"{source.label}/{name}"
    directory = source.directory
    if isinstance(directory, Path):
        raw = _read_path(directory / name, source, trust, label)
    else:
        try:
            raw = (directory / name).read_bytes()
        except OSError as exc:
            raise WorkflowDefinitionError(label, f"cannot be read ({exc.strerror or exc})") from exc
    return _text(raw, label)


def read_named_file(path: Path) -> str:
    """A file the user named (``archon workflow validate PATH``): followed if it is a link (the user chose it),
    otherwise read as carefully as any other, whoever owns it (nothing from it runs)."""
    source = WorkflowSource("file", path.parent, str(path.parent))
    return _text(_read_path(Path(os.path.realpath(path)), source, SourceTrust(None), str(path)), str(path))


def _text(raw: bytes, label: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WorkflowDefinitionError(label, "is not valid UTF-8") from exc

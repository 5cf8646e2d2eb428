"""The closed vocabularies: turn what happened into :data:`SafeName` values, the only strings events carry.

Every string property of an event goes through one of these functions, and each returns either a member of a
closed vocabulary (archon's own command names, bundled workflow names, archon's own and built-in exception
class names, archon's own function names) or a fixed placeholder. Nothing the user typed, no path, no message and
no environment value can come out of them.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Collection
from types import TracebackType
from typing import NewType

from archon.errors import ArchonError

__all__ = ["NO_NAME", "OTHER", "USER_DEFINED", "SafeName", "command_name", "error_class", "where", "workflow_name"]

SafeName = NewType("SafeName", str)
"""A string from a closed vocabulary; made only here. The event schema (:mod:`archon.telemetry.schema`) types its
name-like properties with it."""

USER_DEFINED = "user-defined"
OTHER = "other"

NO_NAME = SafeName("")
"""For a property with nothing to report, e.g. the subcommand of a command that has none."""

_PACKAGE = "archon"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,79}")


def _is_identifier(name: str) -> bool:
    return _IDENTIFIER.fullmatch(name) is not None


def command_name(name: str, known: Collection[str]) -> SafeName:
    """``name`` if it is one of archon's own commands (``known``, from the CLI), ``""`` if empty, else
    ``user-defined``."""
    if not name:
        return NO_NAME
    if name in known and _is_command_word(name):
        return SafeName(name)
    return SafeName(USER_DEFINED)


def _is_command_word(name: str) -> bool:
    return re.fullmatch(r"[a-z][a-z0-9-]{0,39}", name) is not None


def workflow_name(name: str, *, bundled: bool) -> SafeName:
    """The name of a workflow bundled with archon, else ``user-defined``.

    ``bundled`` says whether the workflow was actually read from archon's bundled defaults. A user or repo workflow
    may reuse a bundled name to replace it (documented), and is then the user's own: ``user-defined`` as well.
    """
    from archon.workflows.bundled import bundled_workflow_names  # startup time: importlib.resources, rarely needed

    if bundled and name in bundled_workflow_names():
        return SafeName(name)
    return SafeName(USER_DEFINED)


def _in_archon(module: object) -> bool:
    return isinstance(module, str) and (module == _PACKAGE or module.startswith(_PACKAGE + "."))


def error_class(exc: BaseException) -> SafeName:
    """The class name of archon's own errors (``ArchonError`` subclasses defined in archon) and Python's
    built-in exceptions; ``other`` for everything else. Never the message."""
    cls = type(exc)
    name = cls.__name__
    if not _is_identifier(name):
        return SafeName(OTHER)
    if issubclass(cls, ArchonError) and _in_archon(cls.__module__):
        return SafeName(name)
    if cls.__module__ == "builtins" and getattr(builtins, name, None) is cls:
        return SafeName(name)
    return SafeName(OTHER)


def where(exc: BaseException) -> SafeName:
    """The function name of the innermost traceback frame inside the archon package, else ``other``.

    Only the bare function name (``co_name``) is used, never a file, line, or qualified path; names that are not
    plain identifiers (``<module>``, ``<lambda>``, ``<genexpr>``) give ``other``.
    """
    found = OTHER
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if _in_archon(frame.f_globals.get("__name__")):
            name = frame.f_code.co_name
            found = name if _is_identifier(name) else OTHER
        tb = tb.tb_next
    return SafeName(found)

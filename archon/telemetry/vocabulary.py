"""The closed vocabularies: turn what happened into :data:`SafeName` values, the only strings events carry.

Every string property of an event goes through one of these functions, and each returns either a member of a
closed vocabulary (archon's own command names, bundled workflow names, archon's own and built-in exception
class names, archon's own function names; the operating systems, CPU architectures and Python versions listed
here) or a fixed placeholder. Nothing the user typed, no path, no message and no environment value can come out of
them: what the platform reports is matched against a list, never passed on (on Windows, CPython 3.11's
``platform.machine()`` is the ``PROCESSOR_ARCHITEW6432`` or ``PROCESSOR_ARCHITECTURE`` environment variable).
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping
from types import TracebackType
from typing import Literal, NewType, get_args

from archon.errors import ArchonError, ArchonInterrupt

__all__ = [
    "NO_NAME",
    "OTHER",
    "PYTHON_BUILTIN_ERRORS",
    "USER_DEFINED",
    "Arch",
    "OperatingSystem",
    "PythonVersion",
    "SafeName",
    "archon_error_class_names",
    "command_name",
    "cpu_architecture",
    "error_class",
    "operating_system",
    "python_version",
    "where",
    "workflow_name",
]

SafeName = NewType("SafeName", str)
"""A string from a closed vocabulary; made only here. The event schema (:mod:`archon.telemetry.schema`) types its
name-like properties with it."""

USER_DEFINED = "user-defined"
OTHER = "other"

NO_NAME = SafeName("")
"""For a property with nothing to report, e.g. the subcommand of a command that has none."""

PYTHON_BUILTIN_ERRORS: frozenset[str] = frozenset(
    (  # noqa: SIM905 - 67 names: 11 lines rather than 67
        "ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError "
        "BrokenPipeError BufferError BytesWarning ChildProcessError ConnectionAbortedError ConnectionError "
        "ConnectionRefusedError ConnectionResetError DeprecationWarning EOFError EncodingWarning Exception "
        "ExceptionGroup FileExistsError FileNotFoundError FloatingPointError FutureWarning GeneratorExit "
        "ImportError ImportWarning IndentationError IndexError InterruptedError IsADirectoryError KeyError "
        "KeyboardInterrupt LookupError MemoryError ModuleNotFoundError NameError NotADirectoryError "
        "NotImplementedError OSError OverflowError PendingDeprecationWarning PermissionError ProcessLookupError "
        "RecursionError ReferenceError ResourceWarning RuntimeError RuntimeWarning StopAsyncIteration "
        "StopIteration SyntaxError SyntaxWarning SystemError SystemExit TabError TimeoutError TypeError "
        "UnboundLocalError UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError "
        "UnicodeWarning UserWarning ValueError Warning ZeroDivisionError"
    ).split()
)
"""The Python built-in exception classes :func:`error_class` may name: the public ones of Python 3.11, the oldest
archon supports, fixed here rather than read from ``builtins`` at run time. The same archon then sends the same
set of names whichever Python runs it (3.13 adds ``PythonFinalizationError`` and ``_IncompleteInputError``), the
telemetry policy can list it, and its hash does not depend on the Python version. Any other built-in is ``other``;
naming one more is a policy change, reviewed like a new property."""

OperatingSystem = Literal["linux", "darwin", "win32", "other"]
"""``sys.platform`` of the systems archon supports; any other is ``other``."""
Arch = Literal["x86_64", "arm64", "x86", "arm", "ppc64le", "s390x", "riscv64", "other"]
"""CPU architectures, under one name each whatever the system calls them (``AMD64``, ``aarch64``, ``i686`` ...);
any other is ``other``."""
PythonVersion = Literal["3.11", "3.12", "3.13", "3.14", "3.15", "other"]
"""The Python versions archon may run on (``requires-python >= 3.11``) that exist; a later one is ``other`` until it
is listed here, a policy change reviewed like a new property (as :data:`PYTHON_BUILTIN_ERRORS`)."""

_OPERATING_SYSTEMS: Mapping[str, OperatingSystem] = {name: name for name in get_args(OperatingSystem)}
_PYTHON_VERSIONS: Mapping[str, PythonVersion] = {name: name for name in get_args(PythonVersion)}
_ARCHITECTURES: Mapping[str, Arch] = {
    **dict.fromkeys(("x86_64", "amd64", "x64", "em64t"), "x86_64"),
    **dict.fromkeys(("arm64", "aarch64"), "arm64"),
    **dict.fromkeys(("x86", "i386", "i486", "i586", "i686"), "x86"),
    **dict.fromkeys(("arm", "armv6l", "armv7l", "armv8l"), "arm"),
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}
"""What systems report (``platform.machine()``, lowercased) for each :data:`Arch`."""

_PACKAGE = "archon"
_COMMAND_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


# Plain string checks, no regular expressions: a recording run names its command with these, and compiling a
# pattern costs more than the rest of that.


def _is_identifier(name: str) -> bool:
    """``[A-Za-z_][A-Za-z0-9_]{0,79}``."""
    return len(name) <= 80 and name.isascii() and name.isidentifier()


def _is_command_word(name: str) -> bool:
    """``[a-z][a-z0-9-]{0,39}``."""
    return 0 < len(name) <= 40 and "a" <= name[0] <= "z" and _COMMAND_CHARACTERS.issuperset(name)


def command_name(name: str, known: Collection[str]) -> SafeName:
    """``name`` if it is one of archon's own commands (``known``, from the CLI), ``""`` if empty, else
    ``user-defined``."""
    if not name:
        return NO_NAME
    if name in known and _is_command_word(name):
        return SafeName(name)
    return SafeName(USER_DEFINED)


def workflow_name(name: str, *, bundled: bool) -> SafeName:
    """The name of a workflow bundled with archon, else ``user-defined``.

    ``bundled`` says whether the workflow was actually read from archon's bundled defaults. A user or repo workflow
    may reuse a bundled name to replace it (documented), and is then the user's own: ``user-defined`` as well.
    """
    from archon.workflows.bundled import bundled_workflow_names  # startup time: importlib.resources, rarely needed

    if bundled and name in bundled_workflow_names():
        return SafeName(name)
    return SafeName(USER_DEFINED)


def operating_system(platform: str) -> OperatingSystem:
    """``platform`` (``sys.platform``) if archon supports it, else ``other``."""
    return _OPERATING_SYSTEMS.get(platform, "other")


def cpu_architecture(machine: str) -> Arch:
    """The :data:`Arch` that ``machine`` (what ``platform.machine()`` said) names, else ``other``."""
    return _ARCHITECTURES.get(machine.lower(), "other")


def python_version(major_minor: str) -> PythonVersion:
    """``major_minor`` (``3.12``) if it is one of :data:`PythonVersion`, else ``other``."""
    return _PYTHON_VERSIONS.get(major_minor, "other")


def _in_archon(module: object) -> bool:
    return isinstance(module, str) and (module == _PACKAGE or module.startswith(_PACKAGE + "."))


_ARCHON_BASES = (ArchonError, ArchonInterrupt)
"""archon's own exception classes: its errors, and its interrupts (``Terminated``, for SIGTERM)."""


def error_class(exc: BaseException) -> SafeName:
    """The class name of archon's own errors and interrupts (subclasses of ``ArchonError`` or ``ArchonInterrupt``
    defined in archon) and of Python's built-in exceptions in :data:`PYTHON_BUILTIN_ERRORS`; ``other`` for
    everything else. Never the message."""
    cls = type(exc)
    name = cls.__name__
    if not _is_identifier(name):
        return SafeName(OTHER)
    if issubclass(cls, _ARCHON_BASES) and _in_archon(cls.__module__):
        return SafeName(name)
    if name in PYTHON_BUILTIN_ERRORS and cls.__module__ == "builtins" and getattr(builtins, name, None) is cls:
        return SafeName(name)
    return SafeName(OTHER)


def archon_error_class_names() -> frozenset[str]:
    """Every ``ArchonError`` and ``ArchonInterrupt`` subclass this archon defines: the members of the
    ``archon-error-class-name`` rule.

    Imports every archon module to find them (~0.1 s; for ``archon telemetry policy`` and the docs, never a run
    that records). Importing them starts nothing and loads no network library.
    """
    import importlib
    import pkgutil

    import archon

    for module in pkgutil.walk_packages(archon.__path__, prefix=f"{_PACKAGE}."):
        if module.name != f"{_PACKAGE}.__main__":
            importlib.import_module(module.name)
    found: set[str] = set()
    pending: list[type[BaseException]] = list(_ARCHON_BASES)
    while pending:
        cls = pending.pop()
        if _in_archon(cls.__module__):
            found.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return frozenset(found)


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

"""What a test needs from the machine besides Python (a program such as caddy or zsh, or root), declared once, so
that a laptop skips what it lacks, CI fails instead of skipping, and ci.yml can be checked against the GitHub runner
images before anything runs there (tests/test_ci_jobs.py, .github/runner-tools.toml).

Declaring:

- ``@pytest.mark.needs_tool("caddy", "fish")`` on a test, a class, a module (``pytestmark``) or a ``pytest.param``
  (also in a fixture's ``params``): every test it applies to needs those tools.
- ``@needs_tools("root")`` right above a fixture's function (under ``@pytest.fixture``; pytest cannot mark fixtures):
  every test that uses the fixture, directly or through other fixtures, needs them.

Using: before a test starts, each tool it needs is looked for; a missing one skips the test, or fails it when
``CI`` is set (a job that promised the tool must have it). ``require_tool(name)`` returns the tool's path to the
test's code, and fails a test that calls it for a tool the test does not declare: an undeclared need is invisible to
ci.yml's check. Names are programs looked up on ``PATH``, except those in :data:`LOCATORS` (``root``: the tests run
as uid 0; ``bash-completion``: the package's loader script; programs that live outside ``PATH``).

Selecting (pytest options): ``--without-tools "caddy fish"`` deselects every test that needs one of them (what a
ci.yml job does for what its runner lacks); ``--tool-needs-report FILE`` writes, as JSON, each selected test's
needs (what tests/test_ci_jobs.py reads, with ``--collect-only``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import pytest
from _pytest.skipping import evaluate_skip_marks  # what pytest's own skipping hook evaluates

__all__ = [
    "IN_CI",
    "LOCATORS",
    "MARKER",
    "locate",
    "needs_of",
    "needs_tools",
    "require_tool",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
MARKER = "needs_tool"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
_NAME = re.compile(r"[a-z0-9][a-z0-9.+-]*")
_FIXTURE_ATTRIBUTE = "_archon_needs_tools"
_NEEDS = pytest.StashKey[frozenset[str]]()

Locator = Callable[[], str | None]
F = TypeVar("F", bound=Callable[..., Any])


def _on_path(name: str, *extra: Path) -> Locator:
    """``name`` in one of ``extra`` (where an installer puts it outside ``PATH``), else on ``PATH``."""

    def locate() -> str | None:
        for directory in extra:
            found = shutil.which(name, path=str(directory))
            if found is not None:
                return found
        return shutil.which(name)

    return locate


def _first_of(*locators: Locator) -> Locator:
    def locate() -> str | None:
        return next((found for found in (each() for each in locators) if found is not None), None)

    return locate


def _file(*candidates: Path) -> Locator:
    def locate() -> str | None:
        return next((str(path) for path in candidates if path.is_file()), None)

    return locate


def _root() -> str | None:
    return "uid 0" if hasattr(os, "geteuid") and os.geteuid() == 0 else None


LOCATORS: dict[str, Locator] = {
    # not a program: the tests run as root (user accounts, mount and network namespaces)
    "root": _root,
    # not a program: the bash-completion package's loader, which bash sources
    "bash-completion": _file(
        Path("/usr/share/bash-completion/bash_completion"),  # Debian, Ubuntu
        Path("/opt/homebrew/share/bash-completion/bash_completion"),  # Homebrew, Apple silicon
        Path("/usr/local/share/bash-completion/bash_completion"),  # Homebrew, Intel
    ),
    "nginx": _on_path("nginx", Path("/usr/sbin"), Path("/sbin")),  # Debian's sbin is not on a user's PATH
    "useradd": _on_path("useradd", Path("/usr/sbin"), Path("/sbin")),
    "userdel": _on_path("userdel", Path("/usr/sbin"), Path("/sbin")),
    "groupdel": _on_path("groupdel", Path("/usr/sbin"), Path("/sbin")),
    # .ci/run installs the pinned workerd with npm under .tools/
    "workerd": _on_path("workerd", REPO_ROOT / ".tools" / "workerd" / "node_modules" / ".bin"),
    "powershell": _first_of(_on_path("pwsh"), _on_path("powershell")),
    # network namespaces for the real assistant CLIs (iproute2; Debian's sbin is not on a user's PATH)
    "ip": _on_path("ip", Path("/usr/sbin"), Path("/sbin")),
    # .ci/run installs the pinned assistant CLIs with npm under .tools/ (never whatever is on PATH: tests run the pin)
    "claude": _file(REPO_ROOT / ".tools" / "assistants" / "node_modules" / ".bin" / "claude"),
    "codex": _file(REPO_ROOT / ".tools" / "assistants" / "node_modules" / ".bin" / "codex"),
}


def locate(name: str) -> str | None:
    """Where ``name`` is on this machine (a path; for ``root``, a description), or ``None``."""
    return LOCATORS.get(name, _on_path(name))()


def _checked(names: Iterable[object], where: str) -> frozenset[str]:
    found = frozenset(str(name) for name in names)
    bad = sorted(name for name in found if not _NAME.fullmatch(name))
    if bad:
        raise pytest.UsageError(f"{where}: not a tool name: {', '.join(map(repr, bad))}")
    return found


def needs_tools(*names: str) -> Callable[[F], F]:
    """Declare that every test using the fixture below needs ``names``; put it under ``@pytest.fixture``."""
    declared = _checked(names, "needs_tools")

    def declare(function: F) -> F:
        setattr(function, _FIXTURE_ATTRIBUTE, declared | getattr(function, _FIXTURE_ATTRIBUTE, frozenset()))
        return function

    return declare


def _fixture_functions(item: pytest.Item) -> Iterator[Callable[..., Any]]:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return
    for definitions in info.name2fixturedefs.values():
        for definition in definitions:
            yield definition.func


def _declared(item: pytest.Item) -> frozenset[str]:
    names: set[str] = set()
    for mark in item.iter_markers(MARKER):
        if not mark.args or mark.kwargs:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{MARKER} takes tool names, e.g. {MARKER}('zsh')")
        names |= _checked(mark.args, item.nodeid)
    for function in _fixture_functions(item):
        names |= getattr(function, _FIXTURE_ATTRIBUTE, frozenset())
    return frozenset(names)


def needs_of(item: pytest.Item) -> frozenset[str]:
    """The tools ``item`` declares (after collection)."""
    return item.stash.get(_NEEDS, frozenset())


def _words(value: str | None) -> frozenset[str]:
    return _checked((value or "").replace(",", " ").split(), "--without-tools")


class _Running:
    """The test whose setup or call is running (not its teardown): whose declarations require_tool checks."""

    item: pytest.Item | None = None


def require_tool(name: str) -> str:
    """The path of an external tool; a missing tool skips the test on a laptop and fails it in CI. The running test
    must declare it (``@pytest.mark.needs_tool(name)``, or a fixture's ``@needs_tools``)."""
    item = _Running.item
    if item is not None and name not in needs_of(item):
        pytest.fail(
            f"{item.nodeid} uses {name!r} without declaring it: add @pytest.mark.needs_tool({name!r}) to the test "
            f"(or its module's pytestmark), or @needs_tools({name!r}) to the fixture that uses it "
            "(tests/support/tools.py), so that ci.yml's check sees it"
        )
    found = locate(name)
    if found is None:
        _missing(name)
    return found


def _missing(name: str) -> NoReturn:
    message = f"{name} is not installed (.ci/run installs it; .github/runner-tools.toml says which runners have it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


# --- the pytest plugin (tests/conftest.py loads it) ------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("archon tools", "external tools the tests need (tests/support/tools.py)")
    group.addoption(
        "--without-tools",
        metavar="NAMES",
        default="",
        help="deselect every test that needs one of these tools (space or comma separated)",
    )
    group.addoption(
        "--tool-needs-report",
        metavar="FILE",
        default=None,
        help="write each selected test's tool needs to FILE as JSON",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*names): the test needs these external tools (tests/support/tools.py); "
        "missing: skipped, or failed in CI",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    without = _words(config.getoption("--without-tools"))
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        item.stash[_NEEDS] = _declared(item)
        (dropped if item.stash[_NEEDS] & without else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_collection_finish(session: pytest.Session) -> None:
    report = session.config.getoption("--tool-needs-report")
    if report:
        tests = {item.nodeid: sorted(needs_of(item)) for item in session.items}
        Path(report).write_text(json.dumps({"tests": tests}, indent=1, sort_keys=True) + "\n", encoding="utf-8")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture: a missing tool skips or fails the test, unless its skip marks skip it anyway (a Windows-only
    test on Linux is skipped, never failed for lacking PowerShell); pytest's own skipping hook, which runs after this
    one, evaluates them again and skips it."""
    _Running.item = item
    if evaluate_skip_marks(item) is not None:
        return
    for name in sorted(needs_of(item)):
        if locate(name) is None:
            _missing(name)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    _Running.item = None

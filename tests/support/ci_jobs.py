"""ci.yml's test jobs as data, read the way their runners would run them, for tests/test_ci_jobs.py.

A job (one per matrix entry) runs on a runner label, whose image has the tools .github/runner-tools.toml lists; its
``run`` steps may install more (``apt-get``/``apt`` as root, ``brew``, ``choco``, ``npm`` ``install`` or ``ci``),
become root (``sudo``), run ``.ci/run`` (read the same way: its apt installs count only as root) and run pytest with
arguments (``pytest ARGS``, or ``scripts/test.sh ARGS``). The reading is deliberately narrow: a ``run`` step it cannot
place (a pytest call it does not see, a runner that is not in the list) is an error, never a guess.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.artefacts import REPO_ROOT

__all__ = [
    "CI_RUN",
    "RUNNER_TOOLS",
    "Collect",
    "Installs",
    "JobRun",
    "Selection",
    "Shell",
    "ToolCatalogue",
    "job_runs",
    "problems",
    "read_shell",
    "without_tools",
]

RUNNER_TOOLS = REPO_ROOT / ".github" / "runner-tools.toml"
CI_RUN = REPO_ROOT / ".ci" / "run"
_MATRIX = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_OPERATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;"})
_REDIRECTIONS = frozenset({">", ">>", "<", ">&", "<&", ">|", "2>", "&>"})
_OPTIONS_WITH_VALUES = {"npm": {"--prefix", "-C", "--registry"}, "apt": {"-o", "-t"}, "brew": set(), "choco": set()}
_SYSTEMS = {"apt": {"linux"}, "brew": {"macos"}, "choco": {"windows"}, "npm": {"linux", "macos", "windows"}}
_KEYWORDS = ("if", "then", "else", "elif", "do", "!", "{", "time")
_MANAGERS = {"apt-get": "apt", "apt": "apt", "brew": "brew", "choco": "choco", "npm": "npm"}


@dataclass(frozen=True)
class ToolCatalogue:
    """.github/runner-tools.toml: each runner label's OS and tools, and which tool each package gives."""

    runners: Mapping[str, frozenset[str]]
    systems: Mapping[str, str]
    packages: Mapping[str, Mapping[str, str]]

    @classmethod
    def load(cls, path: Path = RUNNER_TOOLS) -> ToolCatalogue:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(
            runners={label: frozenset(entry["tools"]) for label, entry in data["runners"].items()},
            systems={label: entry["os"] for label, entry in data["runners"].items()},
            packages=data["packages"],
        )


@dataclass(frozen=True)
class Installs:
    """What one package-manager command installs: the manager and the package names."""

    manager: str
    packages: tuple[str, ...]


@dataclass(frozen=True)
class Shell:
    """What a ``run`` script does that matters here."""

    installs: tuple[tuple[Installs, bool], ...]  # (what, as root)
    pytest_args: tuple[tuple[str, ...], ...]  # every pytest run, with its arguments
    ci_run: tuple[bool, ...]  # every .ci/run run: as root or not


@dataclass(frozen=True)
class JobRun:
    """One job of ci.yml (one matrix entry): its runner, the tools it has when its tests start, its pytest runs."""

    job: str
    entry: str
    runner: str
    provided: frozenset[str]
    pytest_args: tuple[tuple[str, ...], ...]

    @property
    def name(self) -> str:
        return f"{self.job} ({self.entry})" if self.entry else self.job


def _commands(script: str) -> Iterator[list[str]]:
    """The simple commands of a bash script: words, without redirections, split at operators and line ends."""
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        command: list[str] = []
        skip_next = False
        for token in lexer:
            if skip_next:
                skip_next = False
            elif token in _OPERATORS:
                if command:
                    yield command
                command = []
            elif token in _REDIRECTIONS:
                skip_next = True
            else:
                command.append(token)
        if command:
            yield command


def _unwrapped(command: list[str]) -> tuple[list[str], bool]:
    """The command without leading assignments, ``sudo`` and ``env`` (with its assignments); and whether sudo."""
    words = list(command)
    root = False
    while words:
        if _ASSIGNMENT.match(words[0]):
            words.pop(0)
        elif words[0] == "sudo":
            root = True
            words.pop(0)
            while words and words[0].startswith("-"):
                words.pop(0)
        elif words[0] in ("env", *_KEYWORDS):
            words.pop(0)
        else:
            break
    return words, root


def _packages(manager: str, arguments: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    takes_value = _OPTIONS_WITH_VALUES[manager]
    skip = False
    for word in arguments[arguments.index("install") + 1 :]:
        if skip:
            skip = False
        elif word in takes_value:
            skip = True
        elif not word.startswith("-"):
            name = word if manager != "npm" else re.sub(r"(?<=.)@[^@/]*$", "", word)  # workerd@1.2 -> workerd
            found.append(name)
    return tuple(found)


def _locked_packages(words: list[str]) -> tuple[str, ...]:
    """``npm ci --prefix .tools/NAME`` installs the dependencies of the manifest .ci/run copied there from
    ``.ci/NAME/package.json`` (the convention .ci/run follows: the manifest and its lock are committed under .ci/)."""
    if "--prefix" not in words or words.index("--prefix") + 1 >= len(words):
        raise ValueError(f"npm ci without --prefix: {' '.join(words)}")
    prefix = Path(words[words.index("--prefix") + 1])
    manifest = REPO_ROOT / ".ci" / prefix.name / "package.json"
    return tuple(json.loads(manifest.read_text(encoding="utf-8"))["dependencies"])


def read_shell(script: str, *, env: Mapping[str, str], root: bool = False) -> Shell:
    """What ``script`` (a step's ``run``, or .ci/run) installs and runs; ``env`` expands ``$NAME`` first."""
    for name, value in env.items():
        for form in (f'"${name}"', f'"${{{name}}}"', f"${{{name}}}", f"${name}"):
            script = script.replace(form, shlex.quote(value))
    installs: list[tuple[Installs, bool]] = []
    pytest_args: list[tuple[str, ...]] = []
    ci_run: list[bool] = []
    for command in _commands(script):
        words, sudo = _unwrapped(command)
        if not words:
            continue
        as_root = root or sudo
        program = words[0].rsplit("/", 1)[-1]
        manager = _MANAGERS.get(program)
        if manager and "install" in words[1:]:
            installs.append((Installs(manager, _packages(manager, words)), as_root))
        elif manager == "npm" and "ci" in words[1:]:
            installs.append((Installs(manager, _locked_packages(words)), as_root))
        elif program == "pytest" or (program == "test.sh" and words[0].endswith("scripts/test.sh")):
            pytest_args.append(tuple(words[1:]))
        elif words[:2] in (["bash", ".ci/run"], ["bash", "./.ci/run"]) or words[0] in (".ci/run", "./.ci/run"):
            ci_run.append(as_root)
    return Shell(tuple(installs), tuple(pytest_args), tuple(ci_run))


def _tools_of(installs: Installs, as_root: bool, catalogue: ToolCatalogue, system: str) -> frozenset[str]:
    if installs.manager == "apt" and not as_root:
        return frozenset()  # apt needs root: .ci/run's apt steps are skipped otherwise
    if system not in _SYSTEMS[installs.manager]:
        return frozenset()  # Homebrew is on the Ubuntu images but not on PATH; apt exists only on Linux
    table = catalogue.packages.get(installs.manager, {})
    return frozenset(table[name] for name in installs.packages if name in table)


def _entries(job: Mapping[str, Any]) -> list[dict[str, Any]]:
    matrix = job.get("strategy", {}).get("matrix")
    if matrix is None:
        return [{}]
    if set(matrix) != {"include"}:
        raise ValueError("only matrix.include is read (one entry per job run)")
    return [dict(entry) for entry in matrix["include"]]


def _expand(text: str, entry: Mapping[str, Any]) -> str:
    return _MATRIX.sub(lambda found: str(entry[found.group(1)]), text)


def job_runs(ci: Mapping[str, Any], catalogue: ToolCatalogue, *, ci_run_text: str | None = None) -> list[JobRun]:
    """Every job of ``ci`` that runs pytest, once per matrix entry, with the tools it has when the tests start."""
    ci_run_script = CI_RUN.read_text(encoding="utf-8") if ci_run_text is None else ci_run_text
    found: list[JobRun] = []
    for job_name, job in ci["jobs"].items():
        for entry in _entries(job):
            runner = _expand(str(job["runs-on"]), entry)
            if runner not in catalogue.runners:
                raise ValueError(f"{job_name}: runner {runner!r} is not in {RUNNER_TOOLS.name}")
            system = catalogue.systems[runner]
            provided = set(catalogue.runners[runner])
            runs: list[tuple[str, ...]] = []
            for step in job.get("steps", []):
                if "run" not in step:
                    continue
                env = {name: _expand(str(value), entry) for name, value in step.get("env", {}).items()}
                shell = read_shell(str(step["run"]), env=env)
                for installs, as_root in shell.installs:
                    provided |= _tools_of(installs, as_root, catalogue, system)
                for as_root in shell.ci_run:
                    inner = read_shell(ci_run_script, env={}, root=as_root)
                    for installs, inner_root in inner.installs:
                        provided |= _tools_of(installs, inner_root, catalogue, system)
                    if as_root:
                        provided.add("root")
                    runs += inner.pytest_args
                runs += shell.pytest_args
            if runs:
                label = ", ".join(f"{key}: {value}" for key, value in entry.items())
                found.append(JobRun(job_name, label, runner, frozenset(provided), tuple(runs)))
    return found


def without_tools(pytest_args: tuple[str, ...]) -> frozenset[str]:
    """The tools a pytest run deselects (``--without-tools NAMES`` or ``--without-tools=NAMES``)."""
    names: set[str] = set()
    for index, word in enumerate(pytest_args):
        if word == "--without-tools" and index + 1 < len(pytest_args):
            names |= set(pytest_args[index + 1].replace(",", " ").split())
        elif word.startswith("--without-tools="):
            names |= set(word.split("=", 1)[1].replace(",", " ").split())
    return frozenset(names)


Selection = Mapping[str, frozenset[str]]  # test id -> the tools it declares
Collect = Callable[[tuple[str, ...]], Selection]


def problems(runs: list[JobRun], collect: Collect, *, examples: int = 3) -> list[str]:
    """Why ``runs`` would fail on their runners as they are, or leave a tool's tests unrun; empty when they pass.

    ``collect(args)`` is what ``pytest args`` selects. A selected test that needs a tool its job neither has nor
    installs fails there (CI=true); a job that deselects a tool it has loses those tests for nothing; a test that
    needs a tool and that no job selects never runs anywhere."""
    found: list[str] = []
    covered: set[str] = set()
    for run in runs:
        for args in run.pytest_args:
            selected = collect(args)
            covered |= set(selected)
            lacking: dict[str, list[str]] = {}
            for test, needs in sorted(selected.items()):
                for tool in sorted(needs - run.provided):
                    lacking.setdefault(tool, []).append(test)
            for tool, tests in lacking.items():
                shown = ", ".join(tests[:examples]) + (
                    f" and {len(tests) - examples} more" if len(tests) > examples else ""
                )
                found.append(
                    f"{run.name} on {run.runner}: {len(tests)} selected test(s) need {tool}, which the image lacks and "
                    f"no step installs (install it, or add it to --without-tools): {shown}"
                )
            needless = sorted(without_tools(args) & run.provided)
            if needless:
                found.append(f"{run.name} on {run.runner}: --without-tools drops {', '.join(needless)}, which it has")
    for test, needs in sorted(collect(()).items()):
        if needs and test not in covered:
            found.append(f"{test} needs {', '.join(sorted(needs))} and no ci.yml job runs it")
    return found

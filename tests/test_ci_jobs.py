"""Every ci.yml job passes on its GitHub runner image as that image is: each test a job selects needs only tools
the image has (.github/runner-tools.toml, distilled from actions/runner-images), the job's steps install, or
.ci/run installs when the job runs it as root; no job deselects a tool it has; every test that needs a tool runs in
some job. What a job selects is what pytest itself collects for the job's arguments (tests/support/tools.py reports
each test's declared needs); how a job reads is tests/support/ci_jobs.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.support.artefacts import REPO_ROOT
from tests.support.ci_jobs import (
    CI_RUN,
    RUNNER_TOOLS,
    Installs,
    JobRun,
    Selection,
    ToolCatalogue,
    job_runs,
    problems,
    read_shell,
    without_tools,
)

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
UBUNTU = "ubuntu-24.04"


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@cache
def collected(args: tuple[str, ...]) -> Selection:
    """What ``pytest args`` selects here, with each test's declared tools (a collection, in a subprocess)."""
    with tempfile.TemporaryDirectory() as folder:
        return _collect(args, Path(folder) / "needs.json")


def _collect(args: tuple[str, ...], report: Path) -> Selection:
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(
        [*command, "--tool-needs-report", str(report), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode in (0, 5), f"pytest --collect-only {args}:\n{result.stdout[-3000:]}\n{result.stderr}"
    tests: dict[str, list[str]] = json.loads(report.read_text(encoding="utf-8"))["tests"]
    return {test: frozenset(needs) for test, needs in tests.items()}


# --- the check itself, on the real files -------------------------------------------------------------------------


@pytest.mark.slow
def test_every_ci_job_passes_on_its_runner_image_as_it_is() -> None:
    runs = job_runs(load(WORKFLOWS / "ci.yml"), ToolCatalogue.load())
    assert {run.job for run in runs} == {"full-suite", "lowest", "fast-tests", "windows-installer"}
    selections = {(), *(args for run in runs for args in run.pytest_args)}
    with ThreadPoolExecutor(max_workers=2) as pool:  # warm the cache two collections at a time
        list(pool.map(collected, sorted(selections)))
    assert problems(runs, collected) == []


def test_the_runner_list_covers_every_runner_the_workflows_use_and_names_its_source() -> None:
    data = tomllib.loads(RUNNER_TOOLS.read_text(encoding="utf-8"))
    assert len(data["commit"]) == 40
    assert data["source"] == "https://github.com/actions/runner-images"
    used: set[str] = set()
    for name in ("ci.yml", "release.yml"):
        for job in load(WORKFLOWS / name)["jobs"].values():
            labels = [
                entry.get("os") or entry.get("runner")
                for entry in job.get("strategy", {}).get("matrix", {}).get("include", [])
            ]
            labels += job.get("strategy", {}).get("matrix", {}).get("runner", [])
            label = job.get("runs-on")
            used |= {str(value) for value in labels if value} | ({label} if label and "${{" not in label else set())
    assert used <= set(data["runners"])
    for label, entry in data["runners"].items():
        assert entry["os"] in ("linux", "macos", "windows"), label
        assert entry["readme"].startswith("images/"), label


# --- how a job is read -------------------------------------------------------------------------------------------


def test_ci_run_installs_its_tools_with_apt_only_as_root_and_with_npm_always() -> None:
    catalogue = ToolCatalogue.load()
    ci = {"jobs": {"as-root": _job("sudo env CI=true bash .ci/run"), "as-runner": _job("bash .ci/run")}}
    runs = {run.job: run for run in job_runs(ci, catalogue)}
    added = runs["as-root"].provided - catalogue.runners[UBUNTU]
    # nginx, ruby... are there already
    assert added == {"caddy", "fish", "zsh", "bash-completion", "bsdtar", "workerd", "claude", "codex", "root"}
    assert runs["as-runner"].provided - catalogue.runners[UBUNTU] == {"workerd", "claude", "codex"}
    assert runs["as-root"].pytest_args == ((),)  # .ci/run runs README's command, scripts/test.sh, on everything


def test_ci_runs_apt_lines_are_read_with_their_fallbacks_and_options() -> None:
    shell = read_shell(CI_RUN.read_text(encoding="utf-8"), env={}, root=True)
    apt = {name for installs, _ in shell.installs if installs.manager == "apt" for name in installs.packages}
    assert {"nginx-light", "nginx", "caddy", "shellcheck", "ruby", "zsh", "fish", "bash-completion"} <= apt
    assert not {name for name in apt if name.startswith("-") or "/" in name}
    assert (Installs("npm", ("workerd",)), True) in shell.installs  # --prefix's value is no package
    # npm ci: the dependencies of the committed manifest .ci/run copies into the prefix
    assert (Installs("npm", ("@anthropic-ai/claude-code", "@openai/codex")), True) in shell.installs


def test_a_step_installs_with_sudo_apt_or_brew_and_a_matrix_value_reaches_pytest() -> None:
    job = {
        "runs-on": "${{ matrix.os }}",
        "strategy": {
            "matrix": {
                "include": [
                    {"os": UBUNTU, "without": "caddy"},
                    {"os": "macos-15", "without": "caddy shellcheck"},
                ]
            }
        },
        "steps": [
            {"run": "sudo apt-get install -y --no-install-recommends fish zsh >/dev/null"},
            {"run": "brew install fish bash-completion@2"},
            {
                "env": {"WITHOUT": "${{ matrix.without }}"},
                "run": '"$VENV_BIN/pytest" -m "not slow" --without-tools "$WITHOUT"',
            },
        ],
    }
    linux, mac = job_runs({"jobs": {"fast": job}}, ToolCatalogue.load())
    assert {"fish", "zsh"} <= linux.provided
    assert "bash-completion" not in linux.provided  # Homebrew is on the Ubuntu image, but not on its PATH
    assert {"fish", "bash-completion"} <= mac.provided
    assert "zsh" in mac.provided  # macOS's own
    assert linux.pytest_args == (("-m", "not slow", "--without-tools", "caddy"),)
    assert without_tools(mac.pytest_args[0]) == {"caddy", "shellcheck"}


def test_apt_without_root_installs_nothing() -> None:
    runs = job_runs({"jobs": {"j": _job("apt-get install -y caddy\n./scripts/test.sh -x")}}, ToolCatalogue.load())
    assert "caddy" not in runs[0].provided
    assert runs[0].pytest_args == (("-x",),)


def test_a_runner_that_is_not_in_the_list_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match=r"ubuntu-18\.04"):
        job_runs({"jobs": {"j": {**_job("pytest"), "runs-on": "ubuntu-18.04"}}}, ToolCatalogue.load())


# --- the check can fail ------------------------------------------------------------------------------------------

SELECTION: Selection = {
    "tests/a.py::test_caddy": frozenset({"caddy"}),
    "tests/a.py::test_zsh": frozenset({"zsh"}),
    "tests/a.py::test_plain": frozenset(),
}


def _selection(args: tuple[str, ...]) -> Selection:
    """A stand-in for pytest's collection: --without-tools drops what it names."""
    dropped = without_tools(args)
    return {test: needs for test, needs in SELECTION.items() if not needs & dropped}


def _run(provided: set[str], args: tuple[str, ...], job: str = "j") -> JobRun:
    return JobRun(job, "", UBUNTU, frozenset(provided), (args,))


def test_a_job_that_selects_a_test_needing_a_tool_it_lacks_fails_the_check() -> None:
    found = problems([_run({"zsh"}, ("-m", "not slow"))], _selection)
    assert found == [
        "j on ubuntu-24.04: 1 selected test(s) need caddy, which the image lacks and no step installs "
        "(install it, or add it to --without-tools): tests/a.py::test_caddy"
    ]


def test_deselecting_what_it_lacks_or_installing_it_passes() -> None:
    assert problems([_run({"zsh", "caddy"}, ())], _selection) == []
    assert problems([_run({"zsh"}, ("--without-tools", "caddy")), _run({"caddy"}, (), "k")], _selection) == [
        "k on ubuntu-24.04: 1 selected test(s) need zsh, which the image lacks and no step installs "
        "(install it, or add it to --without-tools): tests/a.py::test_zsh"
    ]


def test_deselecting_a_tool_the_job_has_or_running_a_tools_tests_nowhere_fails_the_check() -> None:
    found = problems([_run({"zsh", "caddy"}, ("--without-tools", "caddy,zsh"))], _selection)
    assert found == [
        "j on ubuntu-24.04: --without-tools drops caddy, zsh, which it has",
        "tests/a.py::test_caddy needs caddy and no ci.yml job runs it",
        "tests/a.py::test_zsh needs zsh and no ci.yml job runs it",
    ]


def _job(run: str) -> dict[str, Any]:
    return {"runs-on": UBUNTU, "steps": [{"run": run}]}

"""The workflows archon ships: named for their files (telemetry's allow-list depends on it), valid, using only
commands that exist, with bash that parses."""

from __future__ import annotations

import re
import subprocess
from importlib import resources
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from archon.paths import ArchonPaths
from archon.workflows.bundled import bundled_workflow_files, bundled_workflow_names
from archon.workflows.catalog import load_catalog
from archon.workflows.plan import plan_run

FILES = bundled_workflow_files()


def test_at_least_six_bundled_workflows_all_named_archon() -> None:
    assert len(FILES) >= 6
    assert all(re.fullmatch(r"archon-[a-z0-9-]+", name) for name in bundled_workflow_names())


@pytest.mark.parametrize("file", FILES, ids=lambda f: f.name)
def test_name_equals_the_file_stem(file: resources.abc.Traversable) -> None:
    data = YAML(typ="safe", pure=True).load(file.read_text(encoding="utf-8"))
    assert data["name"] == file.name.removesuffix(".yaml")


def test_every_bundled_workflow_validates_and_every_bundled_command_is_used(isolation: Path, tmp_path: Path) -> None:
    catalog = load_catalog(paths=ArchonPaths(isolation), cwd=tmp_path)
    assert catalog.broken == []
    assert set(catalog.workflows) == bundled_workflow_names()
    used = {node.command for w in catalog.workflows.values() for node in w.nodes if node.command}
    assert used == set(catalog.commands.names())
    assert all(source.startswith("<bundled>/commands/") for source in catalog.commands.sources.values())


def test_every_bundled_bash_script_parses(isolation: Path, tmp_path: Path) -> None:
    catalog = load_catalog(paths=ArchonPaths(isolation), cwd=tmp_path)
    for workflow in catalog.workflows.values():
        plan = plan_run(workflow, arguments=["42"], inputs={}, provider="claude", env={"PATH": "/usr/bin:/bin"})
        for planned in plan.nodes:
            if planned.node.kind == "bash":
                script = planned.argv[-1]
                check = subprocess.run(["bash", "-n", "-c", script], capture_output=True, text=True, check=False)
                assert check.returncode == 0, f"{workflow.name}/{planned.node.id}: {check.stderr}"


def test_docs_describe_every_bundled_workflow() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "workflows.md").read_text(encoding="utf-8")
    for name in bundled_workflow_names():
        assert f"| `{name}` |" in docs, name


# What each bundled assistant node may do: the least its prompt needs (docs/workflows.md says why).
CAPABILITIES = {
    ("archon-assist", "assist"): "run",
    ("archon-fix-github-issue", "investigate"): "read",
    ("archon-fix-github-issue", "implement"): "run",
    ("archon-fix-github-issue", "report"): "read",
    ("archon-refactor-safely", "plan"): "read",
    ("archon-refactor-safely", "refactor"): "run",
    ("archon-refactor-safely", "summary"): "read",
    ("archon-create-issue", "draft"): "read",
    ("archon-validate-pr", "verdict"): "read",
    **{
        ("archon-comprehensive-pr-review", node): "read"
        for node in ("code-review", "test-review", "error-review", "docs-review", "synthesize")
    },
}


def test_bundled_nodes_ask_for_the_least_their_work_needs(isolation: Path, tmp_path: Path) -> None:
    catalog = load_catalog(paths=ArchonPaths(isolation), cwd=tmp_path)
    declared = {(w.name, n.id): n.capability for w in catalog.workflows.values() for n in w.nodes if n.uses_provider}
    assert declared == CAPABILITIES
    docs = (Path(__file__).resolve().parents[2] / "docs" / "workflows.md").read_text(encoding="utf-8")
    for (workflow, node), capability in CAPABILITIES.items():
        if capability != "read":
            assert f"`{workflow}`: `{node}` may `{capability}`" in docs


@pytest.mark.parametrize("name", ["archon-fix-github-issue", "archon-comprehensive-pr-review", "archon-create-issue"])
def test_a_workflow_that_needs_gh_stops_at_once_without_it(name: str, isolation: Path, tmp_path: Path) -> None:
    catalog = load_catalog(paths=ArchonPaths(isolation), cwd=tmp_path)
    first = catalog.get(name).levels()[0][0]
    plan = plan_run(catalog.get(name), arguments=["42"], inputs={}, provider="claude", env={"PATH": "/usr/bin:/bin"})
    (planned,) = [p for p in plan.nodes if p.node.id == first.id]
    empty = tmp_path / "empty-path"
    empty.mkdir()
    env = {"PATH": str(empty), **planned.extra_env}
    done = subprocess.run(
        ["/bin/bash", *planned.argv[1:]], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 127
    assert "this workflow needs the GitHub CLI, gh" in done.stderr

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

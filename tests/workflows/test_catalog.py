from __future__ import annotations

from pathlib import Path

import pytest

from archon.paths import ArchonPaths
from archon.workflows.bundled import bundled_workflow_names
from archon.workflows.catalog import load_catalog, load_workflow_file
from archon.workflows.errors import WorkflowDefinitionError, WorkflowNotFoundError
from archon.workflows.sources import SourceTrust, find_repo_root


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def wf(name: str, marker: str) -> str:
    return f"name: {name}\ndescription: {marker}\nnodes: [{{id: a, bash: echo {marker}}}]\n"


def test_a_fresh_home_has_exactly_the_bundled_workflows(isolation: Path, tmp_path: Path) -> None:
    catalog = load_catalog(paths=ArchonPaths(isolation), cwd=tmp_path)
    assert set(catalog.workflows) == bundled_workflow_names()
    assert all(w.origin == "bundled" for w in catalog.workflows.values())
    assert catalog.broken == []


def test_later_sources_override_earlier_ones_by_name(isolation: Path, tmp_path: Path) -> None:
    paths = ArchonPaths(isolation)
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(paths.workflows / "mine.yaml", wf("archon-assist", "user-version"))
    write(paths.workflows / "only-user.yml", wf("only-user", "u"))
    write(repo / ".archon" / "workflows" / "x.yaml", wf("archon-assist", "repo-version"))
    cwd = repo / "src" / "deep"
    cwd.mkdir(parents=True)

    catalog = load_catalog(paths=paths, cwd=cwd)
    assist = catalog.get("archon-assist")
    assert (assist.origin, assist.description) == ("repo", "repo-version")
    assert catalog.overridden["archon-assist"] == [
        "<bundled>/archon-assist.yaml",
        str(paths.workflows / "mine.yaml"),
    ]
    assert catalog.get("only-user").origin == "user"


def test_a_broken_override_hides_the_workflow_it_would_replace(isolation: Path, tmp_path: Path) -> None:
    (tmp_path / ".archon").mkdir()
    write(tmp_path / ".archon" / "workflows" / "archon-assist.yaml", "name: archon-assist\nnodes: oops\n")
    catalog = load_catalog(paths=ArchonPaths(isolation), cwd=tmp_path)
    assert "archon-assist" not in catalog.workflows
    with pytest.raises(WorkflowDefinitionError, match=r"archon-assist\.yaml: field 'description': is required"):
        catalog.get("archon-assist")
    assert "archon-validate-pr" in catalog.workflows  # the rest stays usable


def test_an_unknown_name_lists_what_exists(isolation: Path, tmp_path: Path) -> None:
    catalog = load_catalog(paths=ArchonPaths(isolation), cwd=tmp_path)
    with pytest.raises(WorkflowNotFoundError, match="archon-assist") as caught:
        catalog.get("nope")
    assert caught.value.exit_code == 2


def test_commands_are_overridden_like_workflows(isolation: Path, tmp_path: Path) -> None:
    paths = ArchonPaths(isolation)
    write(paths.workflows / "commands" / "archon-assist.md", "user prompt for $ARGUMENTS")
    write(paths.workflows / "commands" / "mine.md", "my own")
    write(paths.workflows / "uses.yaml", "name: uses\ndescription: d\nnodes: [{id: a, command: mine}]\n")
    catalog = load_catalog(paths=paths, cwd=tmp_path)
    assert catalog.get("archon-assist").node("assist").text == "user prompt for $ARGUMENTS"
    assert catalog.get("uses").node("a").text == "my own"
    assert catalog.commands.sources["mine"] == f"{paths.workflows}/commands/mine.md"


def test_the_repo_is_the_nearest_ancestor_with_git_or_archon(tmp_path: Path) -> None:
    (tmp_path / "outer" / ".git").mkdir(parents=True)
    (tmp_path / "outer" / "inner" / ".archon").mkdir(parents=True)
    (tmp_path / "outer" / "inner" / "a").mkdir()
    trust = SourceTrust.of_this_process()
    assert find_repo_root(tmp_path / "outer" / "inner" / "a", trust=trust, user_home=None).root == (
        tmp_path / "outer" / "inner"
    )
    assert find_repo_root(tmp_path / "outer", trust=trust, user_home=None).root == tmp_path / "outer"


def test_a_single_file_may_use_commands_next_to_it(isolation: Path, tmp_path: Path) -> None:
    write(tmp_path / "w" / "commands" / "local.md", "local prompt")
    path = write(tmp_path / "w" / "flow.yaml", "name: flow\ndescription: d\nnodes: [{id: a, command: local}]\n")
    workflow = load_workflow_file(path, paths=ArchonPaths(isolation), cwd=tmp_path)
    assert (workflow.origin, workflow.node("a").text) == ("file", "local prompt")
    with pytest.raises(WorkflowDefinitionError, match="is not a file"):
        load_workflow_file(tmp_path / "missing.yaml", paths=ArchonPaths(isolation), cwd=tmp_path)


def test_a_file_that_is_not_utf8_is_a_definition_error(isolation: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(WorkflowDefinitionError, match="not valid UTF-8"):
        load_workflow_file(path, paths=ArchonPaths(isolation), cwd=tmp_path)


def test_a_broken_override_hides_the_workflow_its_name_would_replace(isolation: Path, tmp_path: Path) -> None:
    """Issue 19, item 7: a valid ~/.archon/workflows/dup.yaml and a broken <repo>/.archon/workflows/dup-override.yaml,
    both `name: dup`: `run dup` must fail naming the broken file, not run the user's version."""
    paths = ArchonPaths(isolation)
    write(paths.workflows / "dup.yaml", wf("dup", "user-version"))
    (tmp_path / ".git").mkdir()
    override = write(
        tmp_path / ".archon" / "workflows" / "dup-override.yaml",
        "name: dup\ndescription: broken\nnodes: [{id: a, bash: x, prompt: y}]\n",
    )
    catalog = load_catalog(paths=paths, cwd=tmp_path)
    assert "dup" not in catalog.workflows
    assert [(b.source, b.stem, b.hides) for b in catalog.broken] == [(str(override), "dup-override", "dup")]
    with pytest.raises(WorkflowDefinitionError, match=r"dup-override\.yaml: node 'a'.*replaces workflow 'dup'"):
        catalog.get("dup")
    with pytest.raises(WorkflowNotFoundError):
        catalog.get("dup-override")


def test_a_broken_file_whose_name_cannot_be_read_hides_the_workflow_named_like_the_file(
    isolation: Path, tmp_path: Path
) -> None:
    paths = ArchonPaths(isolation)
    write(paths.workflows / "mine.yaml", wf("archon-assist", "user-version"))
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".archon" / "workflows" / "archon-assist.yaml", "name: [unclosed\n")
    catalog = load_catalog(paths=paths, cwd=tmp_path)
    assert [b.hides for b in catalog.broken] == ["archon-assist"]
    with pytest.raises(WorkflowDefinitionError, match=r"archon-assist\.yaml: invalid YAML"):
        catalog.get("archon-assist")


def test_a_later_valid_definition_still_wins_over_an_earlier_broken_one(isolation: Path, tmp_path: Path) -> None:
    paths = ArchonPaths(isolation)
    write(paths.workflows / "x.yaml", "name: dup\ndescription: broken\nnodes: oops\n")
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".archon" / "workflows" / "y.yaml", wf("dup", "repo-version"))
    catalog = load_catalog(paths=paths, cwd=tmp_path)
    assert catalog.get("dup").description == "repo-version"
    assert [b.hides for b in catalog.broken] == ["dup"]  # still reported by `list`

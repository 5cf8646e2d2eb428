"""Workflow and command files are read like config.yaml: regular, bounded, never through a link out of their
source, nobody else's, nested at most MAX_YAML_DEPTH levels. A bad file is a WorkflowDefinitionError naming it,
and every other workflow stays usable."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from archon.ownership import Owner
from archon.paths import ArchonPaths
from archon.workflows.catalog import Catalog, load_catalog
from archon.workflows.errors import WorkflowDefinitionError
from archon.workflows.loader import MAX_YAML_DEPTH
from archon.workflows.source_files import SOURCE_FILE_LIMIT
from archon.workflows.sources import SourceTrust
from tests.support.ownership import give_away

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs, owners and mode bits are POSIX's")

GOOD = "name: good\ndescription: d\nnodes: [{id: a, bash: echo good}]\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / ".archon" / "workflows").mkdir(parents=True)
    for directory in (tmp_path, root, root / ".archon", root / ".archon" / "workflows"):
        directory.chmod(0o755)
    (root / ".archon" / "workflows" / "good.yaml").write_text(GOOD, encoding="utf-8")
    return root


def _catalog(isolation: Path, cwd: Path) -> Catalog:
    return load_catalog(paths=ArchonPaths(isolation), cwd=cwd, trust=SourceTrust(Owner(os.geteuid())))


def _plant(workflows: Path, kind: str, tmp_path: Path) -> None:
    path = workflows / "bad.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link-to-dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "link-out-of-the-repo":
        outside = tmp_path / "outside.yaml"
        outside.write_text("name: bad\ndescription: d\nnodes: [{id: a, bash: echo outside}]\n", encoding="utf-8")
        path.symlink_to(outside)
    elif kind == "too-large":
        path.write_text(GOOD.replace("name: good", "name: bad") + "#" * SOURCE_FILE_LIMIT, encoding="utf-8")
    elif kind == "writable-by-others":
        path.write_text(GOOD.replace("name: good", "name: bad"), encoding="utf-8")
        path.chmod(0o666)
    elif kind == "directory":
        path.mkdir()
    elif kind == "deep":
        path.write_text("name: " + "[" * 100_000, encoding="utf-8")
    elif kind == "deep-block":
        path.write_text("name: bad\n" + "".join(" " * i + "- \n" for i in range(MAX_YAML_DEPTH + 5)), encoding="utf-8")


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("fifo", "bad.yaml: is not a regular file"),
        ("directory", "bad.yaml: is not a regular file"),
        ("link-to-dev-zero", "bad.yaml: is a symbolic link to /dev/zero, outside"),
        ("link-out-of-the-repo", "bad.yaml: is a symbolic link to"),
        ("too-large", f"bad.yaml: is larger than {SOURCE_FILE_LIMIT // 1024} KiB"),
        ("writable-by-others", "bad.yaml: is writable by other users"),
        ("deep", f"bad.yaml: invalid YAML at line 1, column {MAX_YAML_DEPTH + 6}: nested deeper than"),
        ("deep-block", "bad.yaml: invalid YAML at line"),
    ],
)
def test_a_bad_file_is_a_definition_error_naming_it_and_the_rest_stays_usable(
    isolation: Path, tmp_path: Path, repo: Path, kind: str, problem: str
) -> None:
    _plant(repo / ".archon" / "workflows", kind, tmp_path)
    started = time.monotonic()
    catalog = _catalog(isolation, repo)
    assert time.monotonic() - started < 30  # a FIFO would block for ever; a loop bound, not a timing claim
    (broken,) = catalog.broken
    assert problem in broken.error.message
    assert catalog.get("good").description == "d"
    assert "archon-assist" in catalog.workflows
    with pytest.raises(WorkflowDefinitionError, match=r"bad\.yaml"):
        catalog.get("bad")


def test_a_link_inside_the_repository_is_followed(isolation: Path, repo: Path) -> None:
    shared = repo / "shared"
    shared.mkdir(mode=0o755)
    (shared / "flow.yaml").write_text("name: linked\ndescription: d\nnodes: [{id: a, bash: 'true'}]\n", "utf-8")
    (repo / ".archon" / "workflows" / "linked.yaml").symlink_to(shared / "flow.yaml")
    assert _catalog(isolation, repo).get("linked").origin == "repo"


def test_a_link_into_a_folder_of_the_repository_others_may_write_is_refused(isolation: Path, repo: Path) -> None:
    scratch = repo / "scratch"
    scratch.mkdir()
    scratch.chmod(0o777)
    (scratch / "flow.yaml").write_text("name: linked\ndescription: d\nnodes: [{id: a, bash: 'true'}]\n", "utf-8")
    (repo / ".archon" / "workflows" / "linked.yaml").symlink_to(scratch / "flow.yaml")
    (broken,) = _catalog(isolation, repo).broken
    assert broken.error.problem == f"is a symbolic link into {scratch}, which is writable by other users"


def test_a_file_of_another_user_in_ones_own_repository_is_refused(isolation: Path, repo: Path) -> None:
    """e.g. unpacked as root from their tarball: they may still change it."""
    path = repo / ".archon" / "workflows" / "theirs.yaml"
    path.write_text("name: theirs\ndescription: d\nnodes: [{id: a, bash: 'true'}]\n", encoding="utf-8")
    give_away(path)
    catalog = _catalog(isolation, repo)
    assert [b.error.problem for b in catalog.broken] == ["is owned by another user"]
    assert "theirs" not in catalog.workflows


def test_a_command_file_is_read_as_carefully(isolation: Path, repo: Path) -> None:
    commands = repo / ".archon" / "workflows" / "commands"
    commands.mkdir(mode=0o755)
    os.mkfifo(commands / "archon-assist.md")
    catalog = _catalog(isolation, repo)
    with pytest.raises(WorkflowDefinitionError, match=r"command 'archon-assist' cannot be used: .*not a regular file"):
        catalog.get("archon-assist")  # the broken repo command hides the bundled one, as a broken workflow does
    assert "archon-validate-pr" in catalog.workflows

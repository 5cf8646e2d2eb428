"""Issue 19's attack, end to end with the installed wheel and a second, real local user: nobody else's workflows
run as you.

User A plants ``S/.archon/workflows/x.yaml``, named ``archon-assist``, with a bash node, in a directory S that
anyone may write (sticky, as /tmp is), or in a repository of A's own that V can read. V runs
``archon workflow run archon-assist "why?"`` from a directory of V's own below it. A's bash must not run as V;
the bundled archon-assist runs instead, and V is told why the repository was skipped.
"""

from __future__ import annotations

import os
import pwd
import sys
from pathlib import Path

import pytest

from tests.e2e.harness import Cli
from tests.support.workflow_fakes import fake_provider, path_with

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a second local user (useradd)"),
]

PAYLOAD = "id -u > {proof}; echo planted ran"


def _plant(root: Path, attacker: pwd.struct_passwd, proof: Path) -> Path:
    workflows = root / ".archon" / "workflows"
    workflows.mkdir(parents=True)
    planted = workflows / "x.yaml"
    bash = PAYLOAD.format(proof=proof)
    planted.write_text(f"name: archon-assist\ndescription: mine now\nnodes: [{{id: a, bash: '{bash}'}}]\n", "utf-8")
    for path in (root / ".archon", workflows, planted):
        os.lchown(path, attacker.pw_uid, attacker.pw_gid)
    return planted


@pytest.mark.parametrize(
    ("layout", "problem"),
    [
        ("sticky-world-writable", "is writable by other users"),
        ("repository-of-another-user", "is owned by another user"),
    ],
)
def test_another_users_workflow_never_runs_as_you(
    cli: Cli, tmp_path: Path, other_user: pwd.struct_passwd, layout: str, problem: str
) -> None:
    proof = tmp_path / "proof" / "ran-as"
    proof.parent.mkdir()
    proof.parent.chmod(0o777)  # so the planted bash could write its proof whoever it ran as
    shared = tmp_path / "S"
    shared.mkdir()
    if layout == "sticky-world-writable":
        shared.chmod(0o1777)
    else:
        (shared / ".git").mkdir()
        shared.chmod(0o755)
        os.lchown(shared, other_user.pw_uid, other_user.pw_gid)
    _plant(shared, other_user, proof)
    scratch = shared / "scratch"
    scratch.mkdir(mode=0o755)  # V's own (the test runs as V)
    assert scratch.stat().st_uid == os.geteuid() != other_user.pw_uid
    claude = fake_provider(tmp_path / "bin", "claude", "echo")

    result = cli.run("workflow", "run", "archon-assist", "why?", cwd=scratch, env={"PATH": path_with(claude.parent)})

    assert not proof.exists(), f"the planted bash ran as uid {proof.read_text().strip()}"
    assert "planted ran" not in result.stdout
    assert result.returncode == 0, result.stderr
    assert "answer to:" in result.stdout  # the bundled archon-assist ran, through the (fake) claude
    assert f"not using the workflows and commands of the repository {shared}: {shared} {problem}" in result.stderr
    listed = cli.run("workflow", "list", "--json", cwd=scratch)
    assert listed.returncode == 0, listed.stderr
    assert '"reason": ' in listed.stdout
    assert f"{shared} {problem}" in listed.stderr


def test_a_workflow_of_ones_own_that_replaces_a_bundled_one_says_so(cli: Cli, tmp_path: Path) -> None:
    repo = tmp_path / "mine"
    workflows = repo / ".archon" / "workflows"
    workflows.mkdir(parents=True)
    (repo / ".git").mkdir()
    (workflows / "assist.yaml").write_text(
        "name: archon-assist\ndescription: mine\nnodes: [{id: a, bash: 'echo my own'}]\n", encoding="utf-8"
    )
    result = cli.run("workflow", "run", "archon-assist", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "my own\n"
    assert f"'archon-assist' is {workflows / 'assist.yaml'}, which replaces <bundled>/archon-assist.yaml" in (
        result.stderr
    )

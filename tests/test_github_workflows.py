""".github/workflows/ci.yml and release.yml: valid (GitHub's schema), clean under zizmor (offline), and shaped as
the release design requires: the script builds, only its step sees the secrets, least permissions, pinned actions.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.support.artefacts import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
FILES = [WORKFLOWS / "ci.yml", WORKFLOWS / "release.yml"]
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$")
PROXY_URL = "https://telemetry.archon-cli.dev"
BUILD_STEP = "scripts/build-binaries.sh"
# A tag run is a release: it uses the `release` environment (the secrets; tags only, docs/release.md) and must embed
# a key. A manual run on a branch is a dry run: no environment (GitHub would refuse it one restricted to tags), so
# no key, so it must not demand one. An empty environment name means none; '' must be the last `||` operand,
# since `cond && ''` is falsy and would fall through.
RELEASE_ENVIRONMENT = "${{ github.ref_type == 'tag' && 'release' || '' }}"
REQUIRE_KEY = "${{ github.ref_type == 'tag' && '1' || '0' }}"


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def tool(name: str) -> str:
    """A tool installed next to this interpreter (the dev extra), on any platform."""
    folder = Path(sys.executable).parent
    for candidate in (folder / name, folder / f"{name}.exe"):
        if candidate.exists():
            return str(candidate)
    pytest.fail(f"{name} is not installed next to {sys.executable} (it is in the dev extra)")


def scalars(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from scalars(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from scalars(value, (*path, index))
    elif isinstance(node, str):
        yield path, node


def steps(workflow: Any) -> Iterator[tuple[str, int, dict[str, Any]]]:
    for job_name, job in workflow["jobs"].items():
        for index, step in enumerate(job.get("steps", [])):
            yield job_name, index, step


@pytest.fixture(scope="module")
def release() -> Any:
    return load(WORKFLOWS / "release.yml")


@pytest.fixture(scope="module")
def ci() -> Any:
    return load(WORKFLOWS / "ci.yml")


# --- offline linters -------------------------------------------------------------------------------------------


def test_both_workflows_match_githubs_workflow_schema() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, FILES)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("persona", ["regular", "auditor"])
def test_zizmor_finds_nothing(persona: str) -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_CONFIG")}
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", f"--persona={persona}", *map(str, FILES)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


# --- structure -------------------------------------------------------------------------------------------------


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version_noted() -> None:
    for path in FILES:
        workflow = load(path)
        uses = [step["uses"] for _, _, step in steps(workflow) if "uses" in step]
        assert uses, path
        assert [use for use in uses if not PINNED.match(use)] == []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith(("uses:", "- uses:")):
                assert re.search(r"@[0-9a-f]{40} # v\d+(\.\d+)*$", line), line


def test_every_checkout_drops_the_token() -> None:
    for path in FILES:
        checkouts = [step for _, _, step in steps(load(path)) if step.get("uses", "").startswith("actions/checkout@")]
        assert checkouts, path
        assert all(step.get("with", {}).get("persist-credentials") is False for step in checkouts)


def test_no_expression_is_expanded_inside_a_shell_script() -> None:
    for path in FILES:
        runs = [step["run"] for _, _, step in steps(load(path)) if "run" in step]
        assert [run for run in runs if "${{" in run] == []


def test_release_runs_on_v_tags_and_by_hand(release: Any) -> None:
    assert release["on"]["push"] == {"tags": ["v*"]}
    assert "workflow_dispatch" in release["on"]


def test_permissions_are_read_only_except_on_the_publishing_job(release: Any, ci: Any) -> None:
    assert release["permissions"] == {"contents": "read"}
    assert ci["permissions"] == {"contents": "read"}
    assert all("permissions" not in job or job["permissions"] == {"contents": "read"} for job in ci["jobs"].values())
    granted = {name: job.get("permissions") for name, job in release["jobs"].items()}
    writers = {name: perms for name, perms in granted.items() if perms and set(perms.values()) != {"read"}}
    assert writers == {"publish": {"contents": "write", "id-token": "write", "attestations": "write"}}
    assert granted["build"] == {"contents": "read"}


def test_the_build_matrix_covers_every_release_platform(release: Any) -> None:
    targets = {entry["target"] for entry in release["jobs"]["build"]["strategy"]["matrix"]["include"]}
    assert targets == {"linux-x86_64", "linux-arm64", "macos-arm64", "macos-x86_64", "windows-x86_64"}


def test_the_script_builds_and_only_its_step_sees_the_secrets(release: Any, ci: Any) -> None:
    build_steps = [(job, index, step) for job, index, step in steps(release) if BUILD_STEP in step.get("run", "")]
    assert [(job, step["name"]) for job, _, step in build_steps] == [
        ("build", "Build wheel, sdist and binary (scripts/build-binaries.sh)")
    ]
    (_, index, step) = build_steps[0]
    env = step["env"]
    assert env["POSTHOG_PUBLIC_KEY"] == "${{ secrets.POSTHOG_PUBLIC_KEY }}"
    assert env["POSTHOG_HOST"] == f"${{{{ secrets.POSTHOG_HOST || '{PROXY_URL}' }}}}"
    assert env["ARCHON_REQUIRE_POSTHOG_KEY"] == REQUIRE_KEY

    secret_paths = [path for path, text in scalars(release) if "secrets." in text]
    assert sorted(secret_paths) == sorted(
        [
            ("jobs", "build", "steps", index, "env", "POSTHOG_PUBLIC_KEY"),
            ("jobs", "build", "steps", index, "env", "POSTHOG_HOST"),
        ]
    )
    assert [path for path, text in scalars(ci) if "secrets." in text] == []
    assert all("env" not in job for job in release["jobs"].values())
    assert "env" not in release


def test_only_a_tag_run_uses_the_release_environment_and_requires_a_key(release: Any) -> None:
    """A branch run (the documented dry run) must neither ask for the tag-only environment nor demand its key."""
    build = release["jobs"]["build"]
    assert build["environment"] == RELEASE_ENVIRONMENT
    assert [job for job in release["jobs"].values() if "environment" in job] == [build]
    (step,) = [step for step in build["steps"] if BUILD_STEP in step.get("run", "")]
    assert step["env"]["ARCHON_REQUIRE_POSTHOG_KEY"] == REQUIRE_KEY


def test_nothing_builds_artefacts_outside_the_script(release: Any) -> None:
    inline = re.compile(r"python -m build|pyinstaller|PyInstaller|hatch build|pip wheel|uv build")
    assert [step["name"] for _, _, step in steps(release) if inline.search(step.get("run", ""))] == []


def test_publishing_checksums_attests_and_marks_prereleases(release: Any) -> None:
    publish = release["jobs"]["publish"]
    assert publish["needs"] == "build"
    runs = "\n".join(step.get("run", "") for step in publish["steps"])
    assert "sha256sum --check --strict SHA256SUMS" in runs
    assert "sha256sum -- * > SHA256SUMS" in runs
    (attest,) = [
        step for step in publish["steps"] if step.get("uses", "").startswith("actions/attest-build-provenance@")
    ]
    assert attest["with"] == {"subject-checksums": "release/SHA256SUMS"}
    (create,) = [step for step in publish["steps"] if "gh release create" in step.get("run", "")]
    assert create["if"] == "github.ref_type == 'tag'"
    assert "*-*) prerelease=(--prerelease)" in create["run"]
    assert "release/*" in create["run"]  # wheel, sdist, archives and SHA256SUMS
    assert "--verify-tag" in create["run"]

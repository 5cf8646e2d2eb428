""".github/workflows/ci.yml and release.yml: valid (GitHub's schema), clean under zizmor (offline, every persona),
and shaped as the release design requires: a gate before anything is built or published, the script builds (inside
manylinux_2_28 on Linux, smoke-tested on debian:11), only its step sees the secrets, least permissions, pinned
actions and images, locked installs on patch-pinned Pythons, trusted publishing to the package index.
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
BUILD_JOBS = ("build-linux", "build")
PUBLISH_ACTION = "pypa/gh-action-pypi-publish@ba38be9e461d3875417946c167d0b5f3d385a247"  # v1.14.1
IMAGE_PINNED = re.compile(r"^[a-z0-9./_-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$")
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


@pytest.mark.parametrize("persona", ["regular", "pedantic", "auditor"])
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
        # jobs that call a workflow of this repository use the self-repository form, pinned to this commit
        assert [
            job["uses"] for job in workflow["jobs"].values() if "uses" in job and not job["uses"].startswith("$/")
        ] == []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith(("uses:", "- uses:")) and "$/" not in line:
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


def job_steps(job: Any) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def runs(job: Any) -> str:
    return "\n".join(step.get("run", "") for step in job_steps(job))


def test_permissions_are_read_only_except_on_the_publishing_jobs(release: Any, ci: Any) -> None:
    assert release["permissions"] == {"contents": "read"}
    assert ci["permissions"] == {"contents": "read"}
    assert all("permissions" not in job or job["permissions"] == {"contents": "read"} for job in ci["jobs"].values())
    granted = {name: job.get("permissions") for name, job in release["jobs"].items()}
    writers = {name: perms for name, perms in granted.items() if perms and set(perms.values()) != {"read"}}
    assert writers == {
        "github-release": {"contents": "write", "id-token": "write", "attestations": "write"},
        "pypi": {"id-token": "write"},  # only the OIDC token: not even contents: read
    }
    readers = ("tests", "gate", *BUILD_JOBS, "smoke-linux")
    assert [name for name in readers if granted[name] != {"contents": "read"}] == []


def test_the_gate_runs_the_whole_suite_and_everything_else_needs_it(release: Any) -> None:
    jobs = release["jobs"]
    assert jobs["tests"]["uses"] == "$/.github/workflows/ci.yml"
    assert jobs["gate"]["needs"] == "tests"
    for name in BUILD_JOBS:
        assert jobs[name]["needs"] == "gate"
    for name in ("github-release", "pypi"):
        assert set(jobs[name]["needs"]) == {"gate", "build-linux", "smoke-linux", "build"}
    (check,) = [step for step in job_steps(jobs["gate"]) if "build_tools.release_version" in step.get("run", "")]
    assert check["id"] == "version"
    assert '--tag "$GITHUB_REF_NAME"' in check["run"]
    assert jobs["gate"]["outputs"] == {
        "version": "${{ steps.version.outputs.version }}",
        "prerelease": "${{ steps.version.outputs.prerelease }}",
    }


def test_ci_can_be_called_and_runs_the_suite_at_the_lowest_versions(ci: Any) -> None:
    assert "workflow_call" in ci["on"]
    lowest = ci["jobs"]["lowest"]
    assert "ARCHON_RESOLUTION=lowest-direct" in runs(lowest)
    assert "bash .ci/run" in runs(lowest)  # the same suite as full-suite, not a subset
    (python,) = [s for s in job_steps(lowest) if s.get("uses", "").startswith("actions/setup-python@")]
    assert python["with"]["python-version"].startswith("3.11.")  # and requires-python's floor


def test_every_python_is_pinned_to_a_patch_release(release: Any, ci: Any) -> None:
    versions = [
        step["with"]["python-version"]
        for workflow in (release, ci)
        for _, _, step in steps(workflow)
        if step.get("uses", "").startswith("actions/setup-python@")
    ]
    matrix = [entry["python"] for entry in ci["jobs"]["fast-tests"]["strategy"]["matrix"]["include"]]
    pinned = [v for v in versions if v != "${{ matrix.python }}"] + matrix
    assert pinned
    assert [v for v in pinned if not re.fullmatch(r"3\.\d+\.\d+", v)] == []
    build_linux = release["jobs"]["build-linux"]
    (build,) = [step for step in job_steps(build_linux) if BUILD_STEP in step.get("run", "")]
    assert re.fullmatch(r"3\.\d+\.\d+", build["env"]["UV_PYTHON"])
    assert build["env"]["UV_PYTHON_PREFERENCE"] == "only-managed"


def test_linux_builds_inside_manylinux_2_28_fail_above_glibc_2_28_and_run_on_debian_11(release: Any) -> None:
    build = release["jobs"]["build-linux"]
    images = {entry["target"]: entry["image"] for entry in build["strategy"]["matrix"]["include"]}
    assert set(images) == {"linux-x86_64", "linux-arm64"}
    assert images["linux-x86_64"].startswith("quay.io/pypa/manylinux_2_28_x86_64:")
    assert images["linux-arm64"].startswith("quay.io/pypa/manylinux_2_28_aarch64:")
    assert build["container"] == "${{ matrix.image }}"
    (step,) = [step for step in job_steps(build) if BUILD_STEP in step.get("run", "")]
    assert step["env"]["ARCHON_MAX_GLIBC"] == "2.28"
    smoke = release["jobs"]["smoke-linux"]
    smoke_images = {entry["target"]: entry["image"] for entry in smoke["strategy"]["matrix"]["include"]}
    assert set(smoke_images) == set(images)
    assert all(image.startswith("debian:bullseye-") for image in smoke_images.values())  # debian:11
    assert all(IMAGE_PINNED.match(image) for image in [*images.values(), *smoke_images.values()])
    assert 'grep -Fx "archon $VERSION"' in runs(smoke)


def test_the_build_matrices_cover_every_release_platform(release: Any) -> None:
    targets = [
        entry["target"] for name in BUILD_JOBS for entry in release["jobs"][name]["strategy"]["matrix"]["include"]
    ]
    assert sorted(targets) == sorted(["linux-x86_64", "linux-arm64", "macos-arm64", "macos-x86_64", "windows-x86_64"])


def test_the_script_builds_and_only_its_step_sees_the_secrets(release: Any, ci: Any) -> None:
    build_steps = [(job, index, step) for job, index, step in steps(release) if BUILD_STEP in step.get("run", "")]
    assert [(job, step["name"]) for job, _, step in build_steps] == [
        (job, "Build wheel, sdist and binary (scripts/build-binaries.sh)") for job in BUILD_JOBS
    ]
    expected = []
    for job, index, step in build_steps:
        env = step["env"]
        assert env["POSTHOG_PUBLIC_KEY"] == "${{ secrets.POSTHOG_PUBLIC_KEY }}"
        assert env["POSTHOG_HOST"] == f"${{{{ secrets.POSTHOG_HOST || '{PROXY_URL}' }}}}"
        assert env["ARCHON_REQUIRE_POSTHOG_KEY"] == REQUIRE_KEY
        assert env["VERSION"] == "${{ needs.gate.outputs.version }}"  # the gate's normalised version, everywhere
        expected += [("jobs", job, "steps", index, "env", name) for name in ("POSTHOG_PUBLIC_KEY", "POSTHOG_HOST")]

    secret_paths = [path for path, text in scalars(release) if "secrets." in text]
    assert sorted(secret_paths) == sorted(expected)
    assert [path for path, text in scalars(ci) if "secrets." in text] == []
    assert all("env" not in job for job in release["jobs"].values())
    assert "env" not in release


def test_only_tag_runs_use_the_release_environment_and_pypi_its_own(release: Any) -> None:
    """A branch run (the documented dry run) must neither ask for the tag-only environment nor demand its key."""
    with_environment = {name: job["environment"] for name, job in release["jobs"].items() if "environment" in job}
    assert with_environment == {
        "build-linux": RELEASE_ENVIRONMENT,
        "build": RELEASE_ENVIRONMENT,
        "pypi": {"name": "pypi", "url": "https://pypi.org/project/archon-cli/"},
    }
    assert release["jobs"]["pypi"]["if"] == "github.ref_type == 'tag'"


def test_nothing_builds_artefacts_outside_the_script(release: Any) -> None:
    inline = re.compile(r"python -m build|pyinstaller|PyInstaller|hatch build|pip wheel|uv build")
    assert [step["name"] for _, _, step in steps(release) if inline.search(step.get("run", ""))] == []


def test_the_pypi_job_checks_strictly_then_publishes_with_the_pinned_action(release: Any) -> None:
    pypi = release["jobs"]["pypi"]
    (check,) = [
        i for i, step in enumerate(job_steps(pypi)) if re.search(r"twine\"? check --strict", step.get("run", ""))
    ]
    (publish,) = [i for i, step in enumerate(job_steps(pypi)) if step.get("uses", "").startswith("pypa/")]
    assert check < publish
    assert job_steps(pypi)[publish]["uses"] == PUBLISH_ACTION
    assert job_steps(pypi)[publish]["with"] == {"packages-dir": "pypi-dist/"}  # the wheel and sdist, nothing else
    assert "--require-hashes" in runs(pypi)  # twine from uv.lock's publish group, exported by the gate
    assert "sha256sum --check --strict SHA256SUMS" in runs(pypi)
    assert not any("password" in step.get("with", {}) for step in job_steps(pypi))  # trusted publishing, no token


def test_the_github_release_checksums_attests_every_file_and_marks_prereleases(release: Any) -> None:
    job = release["jobs"]["github-release"]
    text = runs(job)
    assert "sha256sum --check --strict SHA256SUMS" in text
    assert "sha256sum -- * > SHA256SUMS" in text
    (attest,) = [step for step in job_steps(job) if step.get("uses", "").startswith("actions/attest-build-provenance@")]
    assert attest["with"] == {"subject-path": "release/*"}  # SHA256SUMS is in release/ too
    (create,) = [step for step in job_steps(job) if "gh release create" in step.get("run", "")]
    assert create["if"] == "github.ref_type == 'tag'"
    assert create["env"]["PRERELEASE"] == "${{ needs.gate.outputs.prerelease }}"  # packaging's is_prerelease
    assert "release/*" in create["run"]  # wheel, sdist, archives and SHA256SUMS
    assert "--verify-tag" in create["run"]


def test_release_artefacts_carry_the_distribution_name(release: Any) -> None:
    uploads = [
        step["with"]["path"]
        for name in BUILD_JOBS
        for step in job_steps(release["jobs"][name])
        if "with" in step and "path" in step["with"] and step.get("uses", "").startswith("actions/upload-artifact@")
    ]
    assert len(uploads) == 2
    assert all("dist/archon_cli-*.whl" in path and "dist/archon_cli-*.tar.gz" in path for path in uploads)

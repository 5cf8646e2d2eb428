""".github/workflows/ci.yml and release.yml: valid (GitHub's schema), clean under zizmor (offline, every persona),
and shaped as the release design requires: a gate before anything is built or published, the script builds (inside
manylinux_2_28 on Linux, smoke-tested on AlmaLinux 8, glibc 2.28), only its step sees the secrets, least
permissions, pinned actions and images, locked installs on patch-pinned Pythons, the exact files rehearsed on every
OS before anything is published, then one publishing chain (trusted publishing to the package index, the GitHub
release with the installers attached, the Homebrew formula checked with brew and pushed to the tap for final
releases only), and docs/release.md's allow-list naming exactly the actions the workflows use.

Nothing here runs GitHub Actions: these tests read the workflow files (and run the tap push's credential helper with
git, as the push step would); tests/release/ runs the publishing scripts offline; what the jobs do on GitHub's
runners is checked only there.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
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
PUBLISH_ACTION = "pypa/gh-action-pypi-publish@dc37677b2e1c63e2034f94d8a5b11f265b73ba33"  # v1.14.2
IMAGE_PINNED = re.compile(r"^[a-z0-9./_-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$")
# A tag run is a release: it uses the `release` environment (the secrets; tags only, docs/release.md) and must embed
# a key. A manual run on a branch is a dry run: no environment (GitHub would refuse it one restricted to tags), so
# no key, so it must not demand one. An empty environment name means none; '' must be the last `||` operand,
# since `cond && ''` is falsy and would fall through.
RELEASE_ENVIRONMENT = "${{ github.ref_type == 'tag' && 'release' || '' }}"
REQUIRE_KEY = "${{ github.ref_type == 'tag' && '1' || '0' }}"
# A final release: a tag the gate did not call a prerelease (packaging's is_prerelease, build_tools/release_version.py;
# release tags are the version's normal form, v1.4.0rc1, so a '-' in the ref name says nothing).
FINAL_RELEASE = "github.ref_type == 'tag' && needs.gate.outputs.prerelease == 'false'"
HOMEBREW_JOBS = ("homebrew-check", "homebrew-push")
INSTALLERS = ("scripts/install.sh", "scripts/install.ps1")
TAP = "archon-cli/homebrew-tap"
SCRIPTS = REPO_ROOT / ".github" / "scripts"
# almalinux:8's multi-architecture index (glibc 2.28, the floor the Linux binaries promise)
ALMALINUX_8 = "almalinux:8@sha256:9f355ae942d6a6c0561f0771dc053a2cfae9580fc45fa4252756db7c7e80c09f"
PUBLISHING = ("pypi", "github-release", "homebrew-check", "homebrew-push")  # in this order


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
    readers = ("tests", "gate", *BUILD_JOBS, "smoke-linux", "rehearse", *HOMEBREW_JOBS)
    assert [name for name in readers if granted[name] != {"contents": "read"}] == []
    assert set(granted) == {*writers, *readers}


def test_the_gate_runs_the_whole_suite_and_everything_else_needs_it(release: Any) -> None:
    jobs = release["jobs"]
    assert jobs["tests"]["uses"] == "$/.github/workflows/ci.yml"
    assert jobs["gate"]["needs"] == "tests"
    for name in BUILD_JOBS:
        assert jobs[name]["needs"] == "gate"
    assert set(jobs["pypi"]["needs"]) == {"gate", *BUILD_JOBS, "smoke-linux", "rehearse"}
    assert set(jobs["github-release"]["needs"]) == {"gate", *BUILD_JOBS, "smoke-linux", "rehearse", "pypi"}
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


def test_linux_builds_inside_manylinux_2_28_fail_above_glibc_2_28_and_run_on_almalinux_8(release: Any) -> None:
    build = release["jobs"]["build-linux"]
    images = {entry["target"]: entry["image"] for entry in build["strategy"]["matrix"]["include"]}
    assert set(images) == {"linux-x86_64", "linux-arm64"}
    assert images["linux-x86_64"].startswith("quay.io/pypa/manylinux_2_28_x86_64:")
    assert images["linux-arm64"].startswith("quay.io/pypa/manylinux_2_28_aarch64:")
    assert build["container"] == "${{ matrix.image }}"
    (step,) = [step for step in job_steps(build) if BUILD_STEP in step.get("run", "")]
    assert step["env"]["ARCHON_MAX_GLIBC"] == "2.28"
    assert all(IMAGE_PINNED.match(image) for image in images.values())
    # the oldest glibc promised, on a distribution still supported (debian:11's LTS ended 2026-08-31)
    smoke = release["jobs"]["smoke-linux"]
    assert smoke["container"] == ALMALINUX_8
    assert {entry["target"] for entry in smoke["strategy"]["matrix"]["include"]} == set(images)
    assert 'test "$(getconf GNU_LIBC_VERSION)" = "glibc 2.28"' in runs(smoke)
    assert 'bash .github/scripts/rehearse.sh archive dist "$TARGET"' in runs(smoke)


def test_the_build_matrices_cover_every_release_platform(release: Any) -> None:
    targets = [
        entry["target"] for name in BUILD_JOBS for entry in release["jobs"][name]["strategy"]["matrix"]["include"]
    ]
    assert sorted(targets) == sorted(["linux-x86_64", "linux-arm64", "macos-arm64", "macos-x86_64", "windows-x86_64"])


def test_the_script_builds_only_its_step_sees_the_posthog_secrets_and_only_the_tap_push_its_token(
    release: Any, ci: Any
) -> None:
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

    (push,) = [
        i for i, step in enumerate(job_steps(release["jobs"]["homebrew-push"])) if "TAP_TOKEN" in step.get("env", {})
    ]
    expected.append(("jobs", "homebrew-push", "steps", push, "env", "TAP_TOKEN"))

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
        # on a tag only: a dry run checks what it would upload, without the environment or its OIDC trust
        "pypi": "${{ github.ref_type == 'tag' && 'pypi' || '' }}",
        # the tap token alone, not the release environment's PostHog secrets (least privilege; docs/release.md)
        "homebrew-push": {"name": "homebrew-tap", "url": f"https://github.com/{TAP}"},
    }
    (publish,) = [step for step in job_steps(release["jobs"]["pypi"]) if step.get("uses", "").startswith("pypa/")]
    assert publish["if"] == "github.ref_type == 'tag' && steps.plan.outputs.upload == 'true'"


def test_nothing_builds_artefacts_outside_the_script(release: Any) -> None:
    inline = re.compile(r"python -m build(?![\w.])|pyinstaller|PyInstaller|hatch build|pip wheel|uv build")
    assert [step["name"] for _, _, step in steps(release) if inline.search(step.get("run", ""))] == []


def test_the_pypi_job_checks_strictly_then_publishes_with_the_pinned_action(release: Any) -> None:
    pypi = release["jobs"]["pypi"]
    (check,) = [
        i for i, step in enumerate(job_steps(pypi)) if re.search(r"twine\"? check --strict", step.get("run", ""))
    ]
    (publish,) = [i for i, step in enumerate(job_steps(pypi)) if step.get("uses", "").startswith("pypa/")]
    (planned,) = [i for i, step in enumerate(job_steps(pypi)) if step.get("id") == "plan"]
    assert check < planned < publish
    assert "python -m build_tools.pypi_upload --project archon-cli" in job_steps(pypi)[planned]["run"]
    assert "--dist pypi-dist --out pypi-upload" in job_steps(pypi)[planned]["run"]
    assert job_steps(pypi)[publish]["uses"] == PUBLISH_ACTION
    # only what the index lacks (a re-run skips what an earlier one uploaded); no skip-existing, which would also
    # accept a file of the same name with other content
    assert job_steps(pypi)[publish]["with"] == {"packages-dir": "pypi-upload/"}
    assert "--require-hashes" in runs(pypi)  # twine from uv.lock's publish group, exported by the gate
    assert "sha256sum --check --strict SHA256SUMS" in runs(pypi)
    assert not any("password" in step.get("with", {}) for step in job_steps(pypi))  # trusted publishing, no token


def test_the_github_release_attaches_the_installers_under_the_sums_and_the_attestation(release: Any) -> None:
    """README and docs/release.md promise .../releases/latest/download/install.sh: the tag's scripts/ files,
    copied into release/ before SHA256SUMS is written, so the sums and the attestation (release/*) cover them."""
    job = release["jobs"]["github-release"]
    names = [step.get("uses", "").split("@")[0] for step in job_steps(job)]
    assert names.index("actions/checkout") < names.index("actions/download-artifact")  # checkout empties the folder
    (checkout,) = [step for step in job_steps(job) if step.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"] == {"persist-credentials": False, "sparse-checkout": "scripts\n.github/scripts\n"}
    (collect,) = [step for step in job_steps(job) if "sha256sum -- * > SHA256SUMS" in step.get("run", "")]
    script = collect["run"]
    copy = f"cp {' '.join(INSTALLERS)} release/"
    assert copy in script
    assert script.index(copy) < script.index("sha256sum -- * > SHA256SUMS")
    assert all((REPO_ROOT / path).is_file() for path in INSTALLERS)
    targets = [
        entry["target"] for name in BUILD_JOBS for entry in release["jobs"][name]["strategy"]["matrix"]["include"]
    ]
    files = len(targets) + 2 + len(INSTALLERS) + 1  # the archives, the wheel and the sdist, the installers, the sums
    assert f'test "$(find release -mindepth 1 -maxdepth 1 | wc -l)" -eq {files}' in script


def test_the_github_release_checksums_attests_every_file_once_and_publishes_with_the_script(release: Any) -> None:
    job = release["jobs"]["github-release"]
    text = runs(job)
    assert "sha256sum --check --strict SHA256SUMS" in text
    assert "sha256sum -- * > SHA256SUMS" in text
    (attested,) = [step for step in job_steps(job) if step.get("id") == "attested"]
    assert attested["run"] == 'bash .github/scripts/github-release.sh attested | tee -a "$GITHUB_OUTPUT"'
    (attest,) = [step for step in job_steps(job) if step.get("uses", "").startswith("actions/attest-build-provenance@")]
    assert attest["with"] == {"subject-path": "release/*"}  # SHA256SUMS is in release/ too
    assert attest["if"] == "github.ref_type == 'tag' && steps.attested.outputs.attested == 'false'"  # once
    (publish,) = [step for step in job_steps(job) if "github-release.sh publish" in step.get("run", "")]
    assert publish["if"] == "github.ref_type == 'tag'"
    assert publish["env"]["PRERELEASE"] == "${{ needs.gate.outputs.prerelease }}"  # packaging's is_prerelease
    assert publish["env"]["DIR"] == "release"  # wheel, sdist, archives, installers and SHA256SUMS
    assert publish["env"]["TAG"] == "${{ github.ref_name }}"
    script = (SCRIPTS / "github-release.sh").read_text(encoding="utf-8")
    assert 'gh release create "$TAG" "${files[@]}" "${flags[@]}"' in script
    assert "--verify-tag" in script
    assert "--clobber" not in script  # a published file is never replaced


def test_publication_is_one_ordered_chain_after_every_rehearsal(release: Any) -> None:
    """PyPI, then the GitHub release, then the tap: never two publishing jobs side by side, and none before the
    exact files were installed and run on every OS (rehearse) and on the oldest glibc (smoke-linux)."""
    jobs = release["jobs"]

    def ancestors(name: str) -> set[str]:
        needs = jobs[name].get("needs", [])
        direct = {needs} if isinstance(needs, str) else set(needs)
        return direct.union(*(ancestors(parent) for parent in direct)) if direct else set()

    for earlier, later in itertools.pairwise(PUBLISHING):
        assert earlier in ancestors(later), (earlier, later)
    for name in PUBLISHING:
        assert {"rehearse", "smoke-linux", "gate", "tests"} <= ancestors(name), name
    rehearse = jobs["rehearse"]
    targets = {entry["target"]: entry["runner"] for entry in rehearse["strategy"]["matrix"]["include"]}
    built = [entry["target"] for name in BUILD_JOBS for entry in jobs[name]["strategy"]["matrix"]["include"]]
    assert sorted(targets) == sorted(built)  # every archive, on its own OS
    text = runs(rehearse)
    assert "bash .github/scripts/rehearse.sh packages published" in text
    assert 'bash .github/scripts/rehearse.sh archive native "$TARGET"' in text
    downloads = {
        step["with"]["name"]: step["with"]["path"]
        for step in job_steps(rehearse)
        if "with" in step and "name" in step["with"]
    }
    assert downloads == {"dist-linux-x86_64": "published", "dist-${{ matrix.target }}": "native"}  # what pypi publishes
    for name in ("rehearse", "smoke-linux"):
        keyed = [step["env"]["KEY"] for step in job_steps(jobs[name]) if "KEY" in step.get("env", {})]
        assert keyed
        assert set(keyed) == {"${{ github.ref_type == 'tag' && 'embedded' || 'none' }}"}


def test_release_artefacts_carry_the_distribution_name(release: Any) -> None:
    uploads = [
        step["with"]["path"]
        for name in BUILD_JOBS
        for step in job_steps(release["jobs"][name])
        if "with" in step and "path" in step["with"] and step.get("uses", "").startswith("actions/upload-artifact@")
    ]
    assert len(uploads) == 2
    assert all("dist/archon_cli-*.whl" in path and "dist/archon_cli-*.tar.gz" in path for path in uploads)


# --- Homebrew ---------------------------------------------------------------------------------------------------


def test_the_homebrew_jobs_run_for_final_release_tags_only_after_the_release(release: Any) -> None:
    jobs = release["jobs"]
    assert set(jobs["homebrew-check"]["needs"]) == {"gate", "github-release"}  # the published SHA256SUMS
    assert set(jobs["homebrew-push"]["needs"]) == {"gate", "homebrew-check"}  # only a formula brew installed
    for name in HOMEBREW_JOBS:
        assert jobs[name]["if"] == FINAL_RELEASE, name


def test_the_homebrew_check_installs_and_tests_the_rendered_formula_on_both_macs(release: Any) -> None:
    job = release["jobs"]["homebrew-check"]
    assert job["runs-on"] == "${{ matrix.runner }}"
    assert job["strategy"]["matrix"] == {"runner": ["macos-15", "macos-15-intel"]}
    text = runs(job)
    for line in (
        'gh release download "$GITHUB_REF_NAME" --pattern SHA256SUMS --dir release',
        "python -m build_tools.homebrew_formula --version",
        "--sums release/SHA256SUMS --output formula/archon.rb",
        "brew tap-new --no-git archon-cli/release-check",
        "brew install archon-cli/release-check/archon",
        "brew test archon-cli/release-check/archon",
        'grep -Fx "Install method: homebrew" version.txt',
    ):
        assert line in text, line
    (download,) = [step for step in job_steps(job) if "gh release download" in step.get("run", "")]
    assert download["env"] == {"GH_TOKEN": "${{ github.token }}", "GH_REPO": "${{ github.repository }}"}


def push_step(release: Any) -> dict[str, Any]:
    """The one step of the tap job that holds the token."""
    (step,) = [step for step in job_steps(release["jobs"]["homebrew-push"]) if "TAP_TOKEN" in step.get("env", {})]
    return step


def tap_script() -> str:
    return (SCRIPTS / "tap-push.sh").read_text(encoding="utf-8")


def test_the_tap_push_renders_the_same_formula_and_pushes_only_it(release: Any) -> None:
    job = release["jobs"]["homebrew-push"]
    assert job["runs-on"].startswith("ubuntu-")
    check_render = [line for line in runs(release["jobs"]["homebrew-check"]).splitlines() if "homebrew_formula" in line]
    push_render = [line for line in runs(job).splitlines() if "homebrew_formula" in line]
    assert push_render == check_render  # the formula brew installed and tested, rendered again from the same sums
    assert push_step(release)["run"] == "bash .github/scripts/tap-push.sh"
    text = tap_script()
    assert f'TAP_URL="${{TAP_URL:-https://github.com/{TAP}.git}}"' in text  # public: no token to clone
    assert 'git clone --quiet --depth 1 "$TAP_URL" "$TAP_DIR"' in text
    assert 'cp "$FORMULA" "$TAP_DIR/Formula/archon.rb"' in text
    assert "git add Formula/archon.rb" in text


def test_the_tap_token_reaches_git_only_through_a_credential_helper_reading_the_environment(release: Any) -> None:
    """Never in argv (the helper's text names the variable; the shell git runs expands it), never in .git/config,
    a remote URL or an extra header."""
    step = push_step(release)
    assert step["env"]["TAP_TOKEN"] == "${{ secrets.HOMEBREW_TAP_TOKEN }}"  # noqa: S105 - the secret's name
    assert "TAP_TOKEN" not in step["run"]
    text = "\n".join(line for line in tap_script().splitlines() if not line.startswith("#"))
    quoted = re.findall(r"'[^']*'", text)
    outside = re.sub(r"'[^']*'", "''", text)
    assert "TAP_TOKEN" not in outside  # every mention is inside single quotes: no shell expands it into an argument
    assert [q for q in quoted if "TAP_TOKEN" in q] == [
        """'!f() { echo username=x-access-token; echo "password=${TAP_TOKEN}"; }; f'"""
    ]
    for leak in ("git config", "remote set-url", "extraheader", "@github.com", "GIT_ASKPASS", "--global"):
        assert leak not in text, leak
    (push,) = [line for line in text.splitlines() if " push " in line]
    assert push.strip().startswith("git -c credential.helper= -c credential.helper=")  # no runner helper first


def test_the_tap_credential_helper_answers_git_with_the_token_from_the_environment(
    release: Any, tmp_path: Path
) -> None:
    """The push line's own -c options, given to `git credential fill` as git push would use them."""
    (push,) = [line for line in tap_script().splitlines() if " push " in line and not line.startswith("#")]
    argv = shlex.split(push)
    options = argv[1 : argv.index("push")]
    token = "github_pat_11AAAA0000test_token_value"  # noqa: S105 - not a credential; a value to find
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"TAP_TOKEN": token, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "HOME": str(tmp_path)})
    result = subprocess.run(
        ["git", *options, "credential", "fill"],
        input=f"protocol=https\nhost=github.com\npath={TAP}.git\n\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert token not in " ".join(options)
    assert {"username=x-access-token", f"password={token}"} <= set(result.stdout.splitlines())


# --- ci.yml's Windows installer job ------------------------------------------------------------------------------


def test_ci_runs_the_powershell_installer_end_to_end_on_windows(ci: Any) -> None:
    job = ci["jobs"]["windows-installer"]
    assert job["runs-on"] == "windows-2025"
    (python,) = [s for s in job_steps(job) if s.get("uses", "").startswith("actions/setup-python@")]
    assert re.fullmatch(r"3\.\d+\.\d+", python["with"]["python-version"])
    (test,) = [s for s in job_steps(job) if "pytest" in s.get("run", "")]
    assert test["shell"] == "bash"
    assert test["env"] == {"PYTHON": "python", "CI": "true"}  # CI: a missing PowerShell fails, never skips
    assert ". scripts/_venv.sh" in test["run"]  # from uv.lock, like every other job
    assert '"$VENV_BIN/pytest" -m slow tests/e2e/test_install_ps1.py -rs' in test["run"]
    assert (REPO_ROOT / "tests" / "e2e" / "test_install_ps1.py").is_file()


def test_the_full_suite_runs_readmes_command_from_an_empty_uv_cache(ci: Any) -> None:
    """Issue 18: README's command must pass from a fresh clone with nothing cached; the runner's own cache folder
    may be empty today, but the job says so itself, with a folder it has just created."""
    (step,) = [s for s in job_steps(ci["jobs"]["full-suite"]) if "bash .ci/run" in s.get("run", "")]
    lines = step["run"].splitlines()
    assert lines[0] == 'mkdir "$RUNNER_TEMP/empty-uv-cache"'  # mkdir fails if it exists: it is new and empty
    assert 'UV_CACHE_DIR="$RUNNER_TEMP/empty-uv-cache" bash .ci/run' in lines[1]


def test_the_release_docs_allow_list_names_exactly_the_actions_the_workflows_use(release: Any, ci: Any) -> None:
    """docs/release.md's first-release checklist tells the organisation owner what to allow; an action added, bumped
    or dropped in a workflow must change that list too."""
    used = {step["uses"] for workflow in (release, ci) for _, _, step in steps(workflow) if "uses" in step}
    text = (REPO_ROOT / "docs" / "release.md").read_text(encoding="utf-8")
    block = re.search(r"```text\n((?:   [a-z].*\n)+)   ```", text)
    assert block is not None
    listed = {line.split()[0] for line in block.group(1).splitlines()}
    assert listed == used

""".github/scripts/github-release.sh against a stand-in for gh (fake_gh.py): a first run, a re-run of a finished
release, a re-run after a run that died halfway (a draft with some files, or a release missing some), and a file
that differs from what the release already has (refused before anything changes)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.artefacts import REPO_ROOT

pytestmark = [
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="the release job runs it on Linux (bash 4, GNU tools)"
    ),
    pytest.mark.needs_tool("bash"),
]

SCRIPT = REPO_ROOT / ".github" / "scripts" / "github-release.sh"
TAG = "v1.4.0"
FILES = [
    "archon-linux-arm64.tar.gz",
    "archon-linux-x86_64.tar.gz",
    "archon-macos-arm64.tar.gz",
    "archon-macos-x86_64.tar.gz",
    "archon-windows-x86_64.zip",
    "archon_cli-1.4.0-py3-none-any.whl",
    "archon_cli-1.4.0.tar.gz",
    "install.ps1",
    "install.sh",
]


@dataclass
class Repo:
    """A release folder as the job collects it, and the state of the fake GitHub behind gh."""

    tmp: Path
    release_dir: Path
    state_file: Path

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.state_file.read_text(encoding="utf-8"))
        return state

    def set_state(self, **changes: Any) -> None:
        self.state_file.write_text(json.dumps({**self.state(), **changes}), encoding="utf-8")

    def calls(self) -> list[list[str]]:
        return [call for call in self.state()["calls"] if call[:2] != ["release", "view"]]

    def assets(self) -> dict[str, bytes]:
        return {name: bytes.fromhex(data) for name, data in self.state()["releases"][TAG]["assets"].items()}

    def run(self, command: str = "publish", prerelease: str = "false") -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "PATH": f"{self.tmp / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "FAKE_GH_STATE": str(self.state_file),
            "TAG": TAG,
            "TITLE": "archon 1.4.0",
            "PRERELEASE": prerelease,
            "GH_REPO": "archon-cli/archon",
            "DIR": str(self.release_dir),
        }
        return subprocess.run(
            ["bash", str(SCRIPT), command], env=env, capture_output=True, text=True, check=False, timeout=120
        )

    def local(self) -> dict[str, bytes]:
        return {path.name: path.read_bytes() for path in self.release_dir.iterdir()}


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    release_dir = tmp_path / "release"
    release_dir.mkdir()
    for name in FILES:
        (release_dir / name).write_bytes(f"the bytes of {name}\n".encode())
    sums = "".join(f"{hashlib.sha256((release_dir / n).read_bytes()).hexdigest()}  {n}\n" for n in FILES)
    (release_dir / "SHA256SUMS").write_text(sums, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).with_name("fake_gh.py")}" "$@"\n')
    gh.chmod(0o755)
    state = tmp_path / "gh-state.json"
    state.write_text(json.dumps({"releases": {}, "attestations": [], "calls": [], "fail_upload_after": None}))
    return Repo(tmp_path, release_dir, state)


def test_a_first_run_creates_the_release_with_every_file(repo: Repo) -> None:
    result = repo.run(prerelease="true")
    assert result.returncode == 0, result.stderr
    (create,) = repo.calls()
    assert create[:3] == ["release", "create", TAG]
    assert create[-5:] == ["--verify-tag", "--title", "archon 1.4.0", "--generate-notes", "--prerelease"]
    release = repo.state()["releases"][TAG]
    assert (release["draft"], release["prerelease"]) == (False, True)
    assert repo.assets() == repo.local()
    assert len(repo.assets()) == 10


def test_a_re_run_of_a_finished_release_changes_nothing(repo: Repo) -> None:
    assert repo.run().returncode == 0
    before = repo.state()["releases"]
    result = repo.run()
    assert result.returncode == 0, result.stderr
    assert "complete: every file is there, identical; nothing to do" in result.stderr
    assert [call[:2] for call in repo.calls()[1:]] == [["release", "download"]] * 10  # compared, nothing written
    assert repo.state()["releases"] == before


def test_a_re_run_after_a_run_that_died_mid_upload_uploads_only_the_rest_and_publishes(repo: Repo) -> None:
    repo.set_state(fail_upload_after=4)
    died = repo.run()
    assert died.returncode != 0
    assert repo.state()["releases"][TAG]["draft"] is True  # what gh leaves when the job is cancelled mid-upload
    assert len(repo.assets()) == 4
    uploaded_first = set(repo.assets())

    repo.set_state(fail_upload_after=None, calls=[])
    result = repo.run()
    assert result.returncode == 0, result.stderr
    uploads = [call for call in repo.calls() if call[:2] == ["release", "upload"]]
    assert len(uploads) == 1
    assert {Path(file).name for file in uploads[0][3:]} == set(repo.local()) - uploaded_first  # only the missing
    assert repo.calls()[-1] == ["release", "edit", TAG, "--draft=false", "--prerelease=false"]
    assert repo.assets() == repo.local()
    assert repo.state()["releases"][TAG]["draft"] is False
    assert [call for call in repo.calls() if call[:2] == ["release", "create"]] == []


def test_a_published_release_missing_files_gets_only_those(repo: Repo) -> None:
    assert repo.run().returncode == 0
    state = repo.state()
    for name in ("install.sh", "SHA256SUMS"):
        del state["releases"][TAG]["assets"][name]
    repo.set_state(releases=state["releases"], calls=[])
    result = repo.run()
    assert result.returncode == 0, result.stderr
    (upload,) = [call for call in repo.calls() if call[:2] == ["release", "upload"]]
    assert sorted(Path(file).name for file in upload[3:]) == ["SHA256SUMS", "install.sh"]
    assert not [call for call in repo.calls() if call[:2] == ["release", "edit"]]  # it was published already
    assert repo.assets() == repo.local()


def test_a_file_that_differs_from_the_released_one_is_refused_before_anything_changes(repo: Repo) -> None:
    repo.set_state(fail_upload_after=3)
    assert repo.run().returncode != 0
    first = sorted(repo.assets())[0]
    (repo.release_dir / first).write_bytes(b"rebuilt: other bytes\n")  # e.g. a binary from a second full run
    repo.set_state(fail_upload_after=None, calls=[])
    before = repo.state()["releases"]
    result = repo.run()
    assert result.returncode != 0
    assert f"already has {first} with other content than this run built; nothing was changed" in result.stderr
    assert repo.state()["releases"] == before
    assert {call[1] for call in repo.calls()} == {"download"}


def test_an_unreadable_release_is_an_error_not_a_new_release(repo: Repo) -> None:
    gh = repo.tmp / "bin" / "gh"
    gh.write_text("#!/bin/sh\necho 'HTTP 401: Bad credentials' >&2\nexit 1\n")
    result = repo.run()
    assert result.returncode != 0
    assert "could not read the release v1.4.0" in result.stderr
    assert "Bad credentials" in result.stderr


def test_attested_says_whether_the_sums_already_have_an_attestation(repo: Repo) -> None:
    result = repo.run("attested")
    assert (result.returncode, result.stdout) == (0, "attested=false\n"), result.stderr
    digest = hashlib.sha256((repo.release_dir / "SHA256SUMS").read_bytes()).hexdigest()
    repo.set_state(attestations=[digest])
    assert repo.run("attested").stdout == "attested=true\n"
    (call,) = {tuple(call) for call in repo.calls()}
    assert call == ("api", f"repos/archon-cli/archon/attestations/sha256:{digest}", "--jq", ".attestations | length")

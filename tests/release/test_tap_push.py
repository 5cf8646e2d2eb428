""".github/scripts/tap-push.sh against a local bare repository standing in for archon-cli/homebrew-tap: the first
push, a re-run (no new commit), a tap already at a newer version (never taken back), a hand-edited formula of the
same version (left alone), and a formula that is not the release's version (refused)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from build_tools.homebrew_formula import ALL_TARGETS, render_formula
from tests.support.artefacts import REPO_ROOT

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="release.yml runs it on Linux (GNU sort -V)"),
    pytest.mark.needs_tool("bash", "git"),
]

SCRIPT = REPO_ROOT / ".github" / "scripts" / "tap-push.sh"
SUMS = {f"archon-{target}.tar.gz": hashlib.sha256(target.encode()).hexdigest() for target in ALL_TARGETS}


def formula(version: str) -> str:
    return render_formula(version=version, sums=SUMS)


@dataclass
class Tap:
    tmp: Path
    bare: Path
    env: dict[str, str]

    def git(self, *args: str, cwd: Path | None = None) -> str:
        result = subprocess.run(
            ["git", *args], cwd=cwd or self.bare, env=self.env, capture_output=True, text=True, check=True, timeout=60
        )
        return result.stdout

    def commit_formula(self, text: str) -> None:
        work = self.tmp / f"seed-{len(list(self.tmp.iterdir()))}"
        self.git("clone", "--quiet", str(self.bare), str(work), cwd=self.tmp)
        (work / "Formula").mkdir(exist_ok=True)
        (work / "Formula" / "archon.rb").write_text(text, encoding="utf-8")
        self.git("add", "Formula/archon.rb", cwd=work)
        self.git("commit", "--quiet", "-m", "by hand", cwd=work)
        self.git("push", "--quiet", "origin", "HEAD:main", cwd=work)

    def log(self) -> list[str]:
        return self.git("log", "--format=%s", "main").splitlines()

    def formula_on_main(self) -> str:
        return self.git("show", "main:Formula/archon.rb")

    def push(self, version: str, text: str | None = None) -> subprocess.CompletedProcess[str]:
        run = self.tmp / f"run-{len(list(self.tmp.iterdir()))}"
        (run / "formula").mkdir(parents=True)
        (run / "formula" / "archon.rb").write_text(text if text is not None else formula(version), encoding="utf-8")
        env = {**self.env, "VERSION": version, "TAP_URL": self.bare.as_uri(), "TAP_TOKEN": "not-a-real-token"}
        return subprocess.run(
            ["bash", str(SCRIPT)], cwd=run, env=env, capture_output=True, text=True, check=False, timeout=120
        )


@pytest.fixture
def tap(tmp_path: Path) -> Tap:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        {
            "HOME": str(tmp_path),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.org",
        }
    )
    bare = tmp_path / "homebrew-tap.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(bare)], env=env, check=True, timeout=60)
    result = Tap(tmp_path, bare, env)
    seed = tmp_path / "seed"
    result.git("clone", "--quiet", str(bare), str(seed), cwd=tmp_path)
    (seed / "README.md").write_text("archon's Homebrew tap\n", encoding="utf-8")
    result.git("add", "README.md", cwd=seed)
    result.git("commit", "--quiet", "-m", "README", cwd=seed)
    result.git("push", "--quiet", "origin", "HEAD:main", cwd=seed)
    return result


def test_the_first_release_pushes_the_formula(tap: Tap) -> None:
    result = tap.push("1.4.0")
    assert result.returncode == 0, result.stderr
    assert "archon <none> -> 1.4.0" in result.stderr
    assert tap.log() == ["archon 1.4.0", "README"]
    assert tap.formula_on_main() == formula("1.4.0")


def test_a_re_run_on_the_same_tag_changes_nothing(tap: Tap) -> None:
    assert tap.push("1.4.0").returncode == 0
    result = tap.push("1.4.0")
    assert result.returncode == 0, result.stderr
    assert "the tap already has archon 1.4.0, identical: nothing to do" in result.stderr
    assert tap.log() == ["archon 1.4.0", "README"]


def test_a_newer_release_replaces_an_older_formula(tap: Tap) -> None:
    assert tap.push("1.4.0").returncode == 0
    assert tap.push("1.10.0").returncode == 0  # 1.10 is newer than 1.4: versions compare as numbers
    assert tap.log() == ["archon 1.10.0", "archon 1.4.0", "README"]


def test_an_older_tag_never_takes_the_tap_back(tap: Tap) -> None:
    assert tap.push("1.10.0").returncode == 0
    result = tap.push("1.9.0")
    assert result.returncode == 0, result.stderr
    assert "the tap has archon 1.10.0, newer than 1.9.0: nothing to do" in result.stderr
    assert tap.formula_on_main() == formula("1.10.0")


def test_a_hand_edited_formula_of_the_same_version_is_left_with_a_warning(tap: Tap) -> None:
    tap.commit_formula(formula("1.4.0") + "# edited by a maintainer\n")
    result = tap.push("1.4.0")
    assert result.returncode == 0, result.stderr
    assert "::warning::the tap's Formula/archon.rb is archon 1.4.0 but differs" in result.stdout
    assert tap.log() == ["by hand", "README"]


def test_a_formula_of_another_version_is_refused(tap: Tap) -> None:
    result = tap.push("1.4.1", text=formula("1.4.0"))
    assert result.returncode != 0
    assert "formula/archon.rb is not version 1.4.1" in result.stderr
    assert tap.log() == ["README"]

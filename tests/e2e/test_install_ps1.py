"""scripts/install.ps1 end to end, where PowerShell is (the Windows runner: see docs/release.md's CI note): the same
contract as install.sh, checked the same way, on the real .zip and SHA256SUMS that scripts/build-binaries.sh made,
served on loopback. Skipped where no PowerShell is installed (Debian has no package for it)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY, require_tool
from tests.support.artefacts import REPO_ROOT
from tests.support.binary import FROZEN_VERSION, FrozenArchon, build_frozen_archon
from tests.support.ingest import IngestServer
from tests.support.release_server import ReleaseServer, tampered_copy

pytestmark = [
    pytest.mark.slow,
    # install.ps1 is Windows' installer (archon-windows-x86_64.zip, junctions, the user PATH): skipped elsewhere,
    # even where PowerShell is installed (GitHub's Ubuntu and macOS runners have pwsh); on Windows a missing
    # PowerShell fails in CI, never passes unseen.
    pytest.mark.skipif(sys.platform != "win32", reason="install.ps1 is for Windows; ci.yml's Windows job runs these"),
    pytest.mark.needs_tool("powershell"),
]

INSTALL_PS1 = REPO_ROOT / "scripts" / "install.ps1"
UPGRADE_VERSION = "9.8.8"


class Windows:
    def __init__(self, tmp_path: Path, server: ReleaseServer) -> None:
        self.home = tmp_path / "home"
        self.home.mkdir()
        self.archon_home = tmp_path / "archon-home"
        self.server = server

    @property
    def install_dir(self) -> Path:
        return self.home / ".archon" / "install"

    def install(
        self, *args: str, version: str | None = FROZEN_VERSION, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        powershell = require_tool("powershell")
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHON_", "DO_NOT_TRACK"))}
        environment.update(
            {
                "USERPROFILE": str(self.home),
                "HOME": str(self.home),
                "ARCHON_INSTALL_DIR": str(self.install_dir),
                "ARCHON_INSTALL_BASE_URL": self.server.url,
                "ARCHON_NO_MODIFY_PATH": "1",  # never the test machine's user PATH
                "ARCHON_TELEMETRY": "on",
            }
        )
        if version:
            environment["ARCHON_VERSION"] = version
        environment.update(env or {})
        self.server.take_requests()
        command = [powershell, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", str(INSTALL_PS1)]
        return subprocess.run(
            [*command, *args], env=environment, capture_output=True, text=True, check=False, timeout=600
        )

    def archon_version(self) -> str:
        exe = self.install_dir / "current" / "archon.exe"
        result = subprocess.run(
            [str(exe), "version"],
            env={**os.environ, "ARCHON_HOME": str(self.archon_home), "DO_NOT_TRACK": "1"},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def tree(self) -> dict[str, int | None]:
        """Every path under the home (not through the junction `current`), with file sizes."""
        found: dict[str, int | None] = {}
        for dirpath, dirnames, filenames in os.walk(self.home):
            for name in dirnames:
                found[str(Path(dirpath, name).relative_to(self.home))] = None
            if "current" in dirnames:  # the junction: listed, not walked into
                dirnames.remove("current")
            for name in filenames:
                path = Path(dirpath, name)
                found[str(path.relative_to(self.home))] = path.stat().st_size
        return found


@pytest.fixture
def windows(releases: ReleaseServer, tmp_path: Path, ingest: IngestServer) -> Iterator[Windows]:
    yield Windows(tmp_path, releases)
    assert ingest.snapshot() == []


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stderr


def refused(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode != 0, result.stderr
    assert f"archon installer: error: {reason}" in result.stderr


def test_install_upgrade_and_uninstall(
    windows: Windows, releases: ReleaseServer, session_ingest: IngestServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    before = windows.tree()
    log = ok(windows.install())
    assert "checksum: OK" in log
    output = windows.archon_version()
    assert output.splitlines()[0] == f"archon {FROZEN_VERSION}"
    assert "Install method: curl" in output
    assert "irm https://github.com/archon-cli/archon/releases/latest/download/install.ps1 | iex" in output
    receipt = (windows.install_dir / "versions" / FROZEN_VERSION / "install-receipt").read_text()
    assert "channel=curl" in receipt.splitlines()

    upgrade = build_frozen_archon(
        tmp_path_factory.mktemp("frozen-upgrade"), key=TEST_KEY, host=session_ingest.url, version=UPGRADE_VERSION
    )
    releases.publish(f"v{UPGRADE_VERSION}", [upgrade.dist / "SHA256SUMS", upgrade.archive])
    log = ok(windows.install(version=UPGRADE_VERSION))
    assert f"upgraded: archon {FROZEN_VERSION} -> {UPGRADE_VERSION}" in log
    assert windows.archon_version().splitlines()[0] == f"archon {UPGRADE_VERSION}"
    assert sorted(p.name for p in (windows.install_dir / "versions").iterdir()) == [UPGRADE_VERSION]

    ok(windows.install("-Uninstall"))
    assert windows.tree() == before


def test_a_tampered_archive_is_refused_and_the_installed_version_keeps_working(
    windows: Windows, frozen_archon: FrozenArchon
) -> None:
    ok(windows.install())
    installed = windows.tree()
    archive = frozen_archon.archive
    folder = windows.server.publish("v9.9.0", [frozen_archon.dist / "SHA256SUMS"])
    tampered_copy(archive, folder / archive.name)
    refused(windows.install(version="9.9.0"), f"checksum mismatch for {archive.name}")
    assert windows.tree() == installed
    assert windows.archon_version().splitlines()[0] == f"archon {FROZEN_VERSION}"


def test_an_archive_missing_from_sha256sums_is_refused(
    windows: Windows, frozen_archon: FrozenArchon, tmp_path: Path
) -> None:
    archive = frozen_archon.archive
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(f"{hashlib.sha256(b'other').hexdigest()}  archon-linux-x86_64.tar.gz\n")
    windows.server.publish("v9.9.1", [sums, archive])
    refused(windows.install(version="9.9.1"), f"SHA256SUMS has no entry for {archive.name}")
    assert windows.server.take_requests() == [("GET", "/v9.9.1/SHA256SUMS")]
    assert windows.tree() == {}


# -- issue 19: install.ps1 trusts nothing it reads back -------------------------------------------------------------

NOT_OURS = "already exists and was not installed by this installer"


def _precious(tmp_path: Path) -> Path:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work\n", encoding="utf-8")
    return precious


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_a_receipt_version_that_climbs_out_never_gets_its_target_deleted(windows: Windows, tmp_path: Path) -> None:
    """install.ps1 joined the receipt's ``version=`` into a path, unchecked, then ran ``Remove-Item -Recurse`` on it:
    ``version=..\\..\\..\\..\\precious`` made a re-install delete ``precious``."""
    ok(windows.install())
    precious = _precious(tmp_path)
    receipt = windows.install_dir / "versions" / FROZEN_VERSION / "install-receipt"
    text = receipt.read_text(encoding="utf-8")
    receipt.write_text(text.replace(f"version={FROZEN_VERSION}", "version=..\\..\\..\\..\\precious"), "utf-8")
    assert windows.install_dir.parents[2] == tmp_path  # so versions\..\..\..\.. is tmp_path
    before, files = windows.tree(), _files(precious)
    refused(windows.install(), f"{windows.install_dir / 'current'} {NOT_OURS}")
    assert _files(precious) == files
    assert windows.tree() == before


def test_a_current_junction_out_of_versions_is_not_ours(windows: Windows, tmp_path: Path) -> None:
    precious = _precious(tmp_path)
    (precious / "install-receipt").write_text("channel=curl\nversion=9.9.3\n", encoding="utf-8")
    (windows.install_dir / "versions").mkdir(parents=True)
    current = windows.install_dir / "current"
    subprocess.run(["cmd", "/c", "mklink", "/J", str(current), str(precious)], check=True, capture_output=True)
    before, files = windows.tree(), _files(precious)
    refused(windows.install(), f"{current} {NOT_OURS}")
    ok(windows.install("-Uninstall"))  # nothing of ours there: it removes nothing
    assert _files(precious) == files
    assert windows.tree() == before


def test_uninstall_acts_only_on_what_a_checked_receipt_names(windows: Windows, tmp_path: Path) -> None:
    ok(windows.install())
    empty = tmp_path / "someone-elses-empty-folder"
    empty.mkdir()
    receipt = windows.install_dir / "versions" / FROZEN_VERSION / "install-receipt"
    receipt.write_text(receipt.read_text(encoding="utf-8") + f"created={empty}\n", encoding="utf-8")
    log = ok(windows.install("-Uninstall"))
    assert empty.is_dir()
    assert "left " in log  # the version folder whose receipt it did not accept, and why


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:x@archon-evil.example",
        "https://user:password@github.com/archon-cli/archon/releases",
        "http://127.0.0.1.archon-evil.example",
        "https://archon-evil.example?github.com/",
        "https://archon-evil.example#github.com",
    ],
)
def test_a_base_url_with_a_user_or_an_unclear_host_is_refused(windows: Windows, url: str) -> None:
    result = windows.install(env={"ARCHON_INSTALL_BASE_URL": url})
    refused(
        result,
        "ARCHON_INSTALL_BASE_URL must not hold a user name or password"
        if "@" in url
        else "ARCHON_INSTALL_BASE_URL must be an https:// URL",
    )
    assert windows.server.take_requests() == []
    assert windows.tree() == {}

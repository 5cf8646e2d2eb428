"""scripts/install.sh end to end, on loopback: the real archives and SHA256SUMS that scripts/build-binaries.sh made
(the session's binary, 9.8.7, and a second build, 9.8.8, for the upgrade), served as ``$ARCHON_INSTALL_BASE_URL``,
installed into a temporary home by ``sh`` (dash on Debian) and bash.

Every install runs with ``ARCHON_TELEMETRY=on`` in its environment and the binaries carry a key pointed at the
session's loopback ingest server: had the installer run archon with telemetry on, events would arrive there.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY, require_tool
from tests.e2e.install_sh import INSTALL_SH, Machine, fake_release, installed_version, ok, refused, tree
from tests.support.binary import FROZEN_VERSION, FrozenArchon, build_frozen_archon
from tests.support.ingest import IngestServer
from tests.support.release_server import ReleaseServer, tampered_copy

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="install.sh is for Linux and macOS; install.ps1 is Windows'"),
]

UPGRADE_VERSION = "9.8.8"


@pytest.fixture(scope="module")
def upgrade_release(
    releases: ReleaseServer, session_ingest: IngestServer, tmp_path_factory: pytest.TempPathFactory
) -> FrozenArchon:
    """A second real build (9.8.8), published as v9.8.8/ and as latest/."""
    frozen = build_frozen_archon(
        tmp_path_factory.mktemp("frozen-upgrade"), key=TEST_KEY, host=session_ingest.url, version=UPGRADE_VERSION
    )
    for folder in (f"v{UPGRADE_VERSION}", "latest"):
        releases.publish(folder, [frozen.dist / "SHA256SUMS", frozen.archive])
    return frozen


@dataclass
class LinkWatcher:
    """Reads the link over and over while an upgrade runs: an atomic switch is never seen missing."""

    link: Path
    seen: list[str]
    missing: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def watch(self) -> None:
        while not self._stop.is_set():
            try:
                target = os.readlink(self.link)
            except FileNotFoundError:
                self.missing += 1
                continue
            if not self.seen or self.seen[-1] != target:
                self.seen.append(target)

    def __enter__(self) -> LinkWatcher:
        self._thread = threading.Thread(target=self.watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_install_upgrade_reinstall_and_uninstall(machine: Machine, upgrade_release: FrozenArchon, shell: str) -> None:
    before = tree(machine.home)

    log = ok(machine.install(shell=shell))
    archive = f"archon-{machine.target}.tar.gz"
    assert machine.server.take_requests() == [
        ("GET", f"/v{FROZEN_VERSION}/SHA256SUMS"),
        ("GET", f"/v{FROZEN_VERSION}/{archive}"),
    ]
    assert "checksum: OK" in log
    assert "provenance: " in log  # verified, or plainly said to be skipped (see the gh tests)
    output = installed_version(machine)
    assert output.splitlines()[0] == f"archon {FROZEN_VERSION}"
    assert "Build: binary" in output
    assert "Install method: curl" in output
    assert "Upgrade: re-run the installer: curl -fsSL" in output
    assert machine.link.is_symlink()
    assert Path(os.readlink(machine.link)) == machine.versions / FROZEN_VERSION / "archon"
    receipt = (machine.versions / FROZEN_VERSION / "install-receipt").read_text()
    assert "channel=curl\n" in receipt
    assert stat.S_IMODE((machine.home / ".archon").stat().st_mode) == 0o700  # as archon itself makes it

    # An upgrade to the latest release: the link is switched in one rename, never missing, and the old version goes.
    with LinkWatcher(machine.link, seen=[]) as watcher:
        log = ok(machine.install(shell=shell, version=None))
    assert machine.server.take_requests() == [("GET", "/latest/SHA256SUMS"), ("GET", f"/latest/{archive}")]
    assert f"upgraded: archon {FROZEN_VERSION} -> {UPGRADE_VERSION}" in log
    assert watcher.missing == 0
    assert watcher.seen == [str(machine.versions / v / "archon") for v in (FROZEN_VERSION, UPGRADE_VERSION)]
    assert installed_version(machine).splitlines()[0] == f"archon {UPGRADE_VERSION}"
    assert sorted(p.name for p in machine.versions.iterdir()) == [UPGRADE_VERSION]

    # The same version again changes nothing.
    installed = tree(machine.home)
    log = ok(machine.install(shell=shell, version=UPGRADE_VERSION))
    assert f"archon {UPGRADE_VERSION} is already installed" in log
    assert tree(machine.home) == installed

    log = ok(machine.install("--uninstall", shell=shell))
    assert machine.server.take_requests() == []
    assert tree(machine.home) == before
    assert "archon is uninstalled." in log


def test_uninstall_keeps_what_was_there_before(machine: Machine) -> None:
    (machine.home / ".local" / "bin").mkdir(parents=True)
    (machine.home / ".local" / "bin" / "other-tool").write_text("#!/bin/sh\n")
    (machine.home / ".archon").mkdir(mode=0o700)
    (machine.home / ".archon" / "config.yaml").write_text("telemetry:\n  enabled: false  # my choice\n")
    before = tree(machine.home)
    ok(machine.install())
    assert "Install method: curl" in installed_version(machine)
    log = ok(machine.install("--uninstall"))
    assert tree(machine.home) == before
    assert "kept " in log  # and says so: ~/.archon is archon's, not the installer's


def test_uninstalling_nothing_changes_nothing(machine: Machine) -> None:
    log = ok(machine.install("--uninstall"))
    assert "nothing to uninstall" in log
    assert tree(machine.home) == {}


def test_a_tampered_archive_is_refused_and_the_installed_version_keeps_working(
    machine: Machine, frozen_archon: FrozenArchon, tmp_path: Path
) -> None:
    ok(machine.install())
    installed = tree(machine.home)
    archive = frozen_archon.archive
    folder = machine.server.publish("v9.9.0", [frozen_archon.dist / "SHA256SUMS"])
    tampered_copy(archive, folder / archive.name)
    log = refused(machine.install(version="9.9.0"), f"checksum mismatch for {archive.name}")
    assert "nothing was changed" in log
    assert "unpacked" not in log  # checked before unpacking
    assert tree(machine.home) == installed
    assert installed_version(machine).splitlines()[0] == f"archon {FROZEN_VERSION}"


def test_an_archive_missing_from_sha256sums_is_refused_before_it_is_downloaded(
    machine: Machine, frozen_archon: FrozenArchon, tmp_path: Path
) -> None:
    ok(machine.install())
    installed = tree(machine.home)
    archive = frozen_archon.archive
    sums = tmp_path / "SHA256SUMS"
    lines = (frozen_archon.dist / "SHA256SUMS").read_text().splitlines(keepends=True)
    sums.write_text("".join(line for line in lines if not line.rstrip().endswith(archive.name)))
    machine.server.publish("v9.9.1", [sums, archive])
    refused(machine.install(version="9.9.1"), f"SHA256SUMS has no entry for {archive.name}")
    assert machine.server.take_requests() == [("GET", "/v9.9.1/SHA256SUMS")]
    assert tree(machine.home) == installed
    assert installed_version(machine).splitlines()[0] == f"archon {FROZEN_VERSION}"


def test_an_archon_that_does_not_run_here_is_not_installed(machine: Machine, tmp_path: Path) -> None:
    """A correctly checksummed archive whose archon fails (a binary too new for this system, say)."""
    ok(machine.install())
    installed = tree(machine.home)
    fake_release(machine, tmp_path, "9.9.2", "echo 'archon: cannot run here' >&2\nexit 3\n")
    log = refused(machine.install(version="9.9.2"), "the downloaded archon does not run on this system")
    assert "archon: cannot run here" in log
    assert tree(machine.home) == installed
    assert installed_version(machine).splitlines()[0] == f"archon {FROZEN_VERSION}"


def test_an_archive_of_another_version_than_asked_for_is_refused(machine: Machine, frozen_archon: FrozenArchon) -> None:
    machine.server.publish("v9.9.3", [frozen_archon.dist / "SHA256SUMS", frozen_archon.archive])
    refused(machine.install(version="9.9.3"), f"asked for archon 9.9.3, but the download is archon {FROZEN_VERSION}")
    assert tree(machine.home) == {}


def test_an_archon_it_did_not_install_is_left_alone(machine: Machine) -> None:
    bin_dir = machine.home / ".local" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "archon").symlink_to(machine.home / ".local" / "pipx" / "venvs" / "archon-cli" / "bin" / "archon")
    before = tree(machine.home)
    refused(machine.install(), f"{bin_dir / 'archon'} already exists and was not installed by this installer")
    assert machine.server.take_requests() == []  # refused before downloading anything
    ok(machine.install("--uninstall"))
    assert tree(machine.home) == before


GH = """echo "$*" >> "$FAKE_GH_LOG"
case "$1 $2" in
  "auth status") exit 0 ;;
  "attestation verify") echo "gh: pretending to verify" >&2; exit "$FAKE_GH_EXIT" ;;
esac
exit 2
"""


def test_provenance_is_verified_with_gh_when_it_is_there(machine: Machine, tmp_path: Path) -> None:
    machine.fake("gh", GH)
    gh_log = tmp_path / "gh.log"
    log = ok(machine.install(env={"FAKE_GH_LOG": str(gh_log), "FAKE_GH_EXIT": "0"}))
    assert "provenance: verified (gh attestation verify --repo archon-cli/archon)" in log
    calls = gh_log.read_text().splitlines()
    assert calls[0] == "auth status"
    assert calls[1].startswith("attestation verify ")
    assert calls[1].endswith(f"/archon-{machine.target}.tar.gz --repo archon-cli/archon")


def test_a_failed_provenance_check_is_refused(machine: Machine, tmp_path: Path) -> None:
    machine.fake("gh", GH)
    log = refused(
        machine.install(env={"FAKE_GH_LOG": str(tmp_path / "gh.log"), "FAKE_GH_EXIT": "1"}),
        f"gh attestation verify failed for archon-{machine.target}.tar.gz",
    )
    assert "gh: pretending to verify" in log
    assert tree(machine.home) == {}


def test_without_gh_it_says_plainly_that_provenance_was_not_checked(machine: Machine) -> None:
    if shutil.which("gh"):
        pytest.skip("gh is installed on this machine")
    log = ok(machine.install())
    assert "provenance: NOT checked: the GitHub CLI (gh) is not installed." in log
    ok(machine.install("--uninstall"))
    refused(machine.install(env={"ARCHON_INSTALL_ATTESTATION": "require"}), "ARCHON_INSTALL_ATTESTATION=require")
    assert tree(machine.home) == {}


@pytest.mark.parametrize(
    ("system", "machine_name", "translated", "expected"),
    [
        ("Darwin", "arm64", "0", "SHA256SUMS has no entry for archon-macos-arm64.tar.gz"),
        ("Darwin", "x86_64", "0", "SHA256SUMS has no entry for archon-macos-x86_64.tar.gz"),
        (
            "Darwin",
            "x86_64",
            "1",
            "SHA256SUMS has no entry for archon-macos-arm64.tar.gz",
        ),  # an x86_64 shell under Rosetta 2
        ("Linux", "aarch64", "", "SHA256SUMS has no entry for archon-linux-arm64.tar.gz"),
        ("Linux", "armv7l", "", "archon has no standalone binary for armv7l"),
        ("FreeBSD", "amd64", "", "archon has no standalone binary for FreeBSD"),
        ("MINGW64_NT-10.0-26100", "x86_64", "", "this is the installer for Linux and macOS; on Windows"),
    ],
)
def test_the_archive_for_this_platform_is_chosen(
    machine: Machine, system: str, machine_name: str, translated: str, expected: str
) -> None:
    machine.fake("uname", f'case "$1" in -s) echo {system} ;; -m) echo {machine_name} ;; esac\n')
    machine.fake("sysctl", f'[ "$*" = "-n sysctl.proc_translated" ] && echo {translated}\n')
    log = refused(machine.install(), expected)
    if translated == "1":
        assert "Rosetta 2 detected" in log
    assert tree(machine.home) == {}


def test_wget_is_used_when_curl_is_missing(machine: Machine, tmp_path: Path) -> None:
    if shutil.which("wget") is None:
        pytest.skip("wget is not installed")
    tools = tmp_path / "tools-without-curl"
    tools.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if Path(folder).is_dir():
            for entry in Path(folder).iterdir():
                if entry.name != "curl" and not (tools / entry.name).exists():
                    (tools / entry.name).symlink_to(entry)
    log = ok(machine.install(env={"PATH": f"{machine.fakes}{os.pathsep}{tools}"}))
    assert "checksum: OK" in log
    assert "Install method: curl" in installed_version(machine)


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"ARCHON_INSTALL_BASE_URL": "http://releases.example.org"}, "ARCHON_INSTALL_BASE_URL must be an https:// URL"),
        ({"ARCHON_VERSION": "1.0; rm -rf ~"}, "ARCHON_VERSION is not a version"),
        ({"ARCHON_INSTALL_ATTESTATION": "maybe"}, "ARCHON_INSTALL_ATTESTATION must be auto, require or skip"),
    ],
)
def test_bad_settings_are_refused_before_anything_happens(machine: Machine, env: dict[str, str], reason: str) -> None:
    refused(machine.install(env=env, version=None), reason)
    assert machine.server.take_requests() == []
    assert tree(machine.home) == {}


@pytest.mark.needs_tool("shellcheck")
def test_install_sh_passes_shellcheck_as_posix_sh() -> None:
    result = subprocess.run(
        [require_tool("shellcheck"), "--shell=sh", str(INSTALL_SH)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_the_installer_runs_archon_only_with_telemetry_off_in_a_throwaway_home(
    machine: Machine, tmp_path: Path
) -> None:
    """Every archon the installer starts (its check of the download, and of an installed copy on a re-run) gets every
    opt-out there is, whatever the user's environment says (ARCHON_TELEMETRY=on here), and a home of its own."""
    runs = tmp_path / "runs"
    fake_release(machine, tmp_path, "9.9.4", f'env >> {runs}\necho "--" >> {runs}\necho "archon 9.9.4"\n')
    ok(machine.install(version="9.9.4"))
    ok(machine.install(version="9.9.4"))  # already installed: checks the installed copy
    environments = [block.strip().splitlines() for block in runs.read_text().split("--\n") if block.strip()]
    assert len(environments) == 3  # the download, then the download and the installed copy
    for lines in environments:
        env = dict(line.split("=", 1) for line in lines if "=" in line)
        assert (env["DO_NOT_TRACK"], env["ARCHON_TELEMETRY"], env["ARCHON_TELEMETRY_DISABLED"]) == ("1", "off", "1")
        assert env["ARCHON_TELEMETRY_DEBUG"] == "0"
        assert Path(env["ARCHON_HOME"]).is_relative_to(machine.tmp)  # the installer's work folder, since removed
    ok(machine.install("--uninstall"))

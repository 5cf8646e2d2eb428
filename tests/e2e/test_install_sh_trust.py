"""install.sh trusts nothing it reads back (issue 19): the link it finds, the receipt beside the version the link
points into, the base URL, the archive's owners and modes, and the home it is given.

Each attacker here is a planted file or a setting, never a real remote host: a link into a throwaway folder, a
forged receipt, a URL naming ``archon-evil.example`` (with stand-ins for curl and wget that only log, so not even
a name lookup leaves the machine), an archive with setuid members owned by someone else.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.e2e.install_sh import Machine, fake_release, ok, refused, tree

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="install.sh is for Linux and macOS; install.ps1 is Windows'"),
]

NOT_OURS = "already exists and was not installed by this installer"


def _version_script(version: str) -> str:
    return f'echo "archon {version}"\n'


def _precious(tmp_path: Path) -> Path:
    """A folder of someone's work that no installer may touch."""
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work\n", encoding="utf-8")
    (precious / "archon").write_text("#!/bin/sh\necho 'archon precious'\n", encoding="utf-8")
    (precious / "archon").chmod(0o755)
    return precious


def _plant_link(machine: Machine, target: str) -> None:
    machine.link.parent.mkdir(parents=True)
    machine.link.symlink_to(target)


# -- the previous version: only a folder exactly under versions/, whose receipt this installer wrote -------------


@pytest.mark.parametrize("shell", ["sh", pytest.param("dash", marks=pytest.mark.needs_tool("dash")), "bash"])
def test_a_link_through_dot_dot_never_gets_its_target_deleted(machine: Machine, tmp_path: Path, shell: str) -> None:
    """``~/.local/bin/archon -> ~/.archon/install/versions/../../../../precious/archon`` matched ``$VERSIONS/*/archon``:
    the installer said "upgraded: archon precious -> ..." and ``rm -rf``'d the folder the link climbed out to."""
    if shell == "dash":
        require_tool("dash")  # sh and bash are everywhere install.sh runs, as in test_installers.py
    precious = _precious(tmp_path)
    (precious / "install-receipt").write_text("channel=curl\nversion=9.9.3\n", encoding="utf-8")
    machine.versions.mkdir(parents=True)
    assert machine.versions.parents[3] == tmp_path  # so versions/../../../.. is tmp_path
    _plant_link(machine, f"{machine.versions}/../../../../precious/archon")
    fake_release(machine, tmp_path / "release", "9.9.4", _version_script("9.9.4"))
    before, home = tree(precious), tree(machine.home)

    refused(machine.install(version="9.9.4", shell=shell), f"{machine.link} {NOT_OURS}")
    assert tree(precious) == before
    assert tree(machine.home) == home
    assert machine.server.take_requests() == []  # refused before downloading anything


def test_a_version_folder_that_is_a_symlink_out_of_versions_is_not_ours(machine: Machine, tmp_path: Path) -> None:
    precious = _precious(tmp_path)
    (precious / "install-receipt").write_text("channel=curl\nversion=9.9.3\n", encoding="utf-8")
    machine.versions.mkdir(parents=True)
    (machine.versions / "9.9.3").symlink_to(precious, target_is_directory=True)
    _plant_link(machine, f"{machine.versions}/9.9.3/archon")
    before, home = tree(precious), tree(machine.home)

    refused(machine.install(version="9.9.4"), f"{machine.link} {NOT_OURS}")
    assert tree(precious) == before
    assert tree(machine.home) == home


@pytest.mark.parametrize(
    "receipt",
    [
        pytest.param(None, id="no-receipt"),
        pytest.param("channel=homebrew\nversion=9.9.3\n", id="homebrew"),
        pytest.param("channel=curl\nchannel=homebrew\nversion=9.9.3\n", id="two-channels"),
        pytest.param("channel=curl\nversion=9.9.2\n", id="another-version"),
        pytest.param("channel=curl\n", id="no-version"),
    ],
)
def test_a_version_folder_without_this_installers_receipt_is_not_ours(
    machine: Machine, tmp_path: Path, receipt: str | None
) -> None:
    """A folder in versions/ that the installer did not write (Homebrew's, a copy, a hand-made one) is never
    reported as the previous version nor removed."""
    folder = machine.versions / "9.9.3"
    folder.mkdir(parents=True)
    (folder / "archon").write_text("#!/bin/sh\necho 'archon 9.9.3'\n", encoding="utf-8")
    (folder / "archon").chmod(0o755)
    if receipt is not None:
        (folder / "install-receipt").write_text(receipt, encoding="utf-8")
    _plant_link(machine, f"{folder}/archon")
    before = tree(machine.home)

    refused(machine.install(version="9.9.4"), f"{machine.link} {NOT_OURS}")
    assert tree(machine.home) == before


# -- the receipt: every value read back is checked, and nothing unchecked is copied into the next one -----------


def _install_fake(machine: Machine, tmp_path: Path, version: str) -> None:
    fake_release(machine, tmp_path / f"release-{version}", version, _version_script(version))
    ok(machine.install(version=version))


def test_an_upgrade_carries_over_exactly_the_receipt_lines_it_checked(machine: Machine, tmp_path: Path) -> None:
    _install_fake(machine, tmp_path, "9.9.3")
    first = (machine.versions / "9.9.3" / "install-receipt").read_text(encoding="utf-8").splitlines()
    created = [line for line in first if line.startswith("created=")]
    assert created == [f"created={d}" for d in (machine.home / ".archon", machine.home / ".archon" / "install",
                                                   machine.versions, machine.home / ".local",
                                                   machine.home / ".local" / "bin")]  # fmt: skip
    _install_fake(machine, tmp_path, "9.9.4")
    receipt = (machine.versions / "9.9.4" / "install-receipt").read_text(encoding="utf-8").splitlines()
    assert receipt[1:] == [
        "channel=curl",
        "version=9.9.4",
        f"target={machine.target}",
        f"link={machine.link}",
        *created,
    ]
    assert not (machine.versions / "9.9.3").exists()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("channel=curl\n", "channel=curl\nchannel=homebrew\n", id="second-channel"),
        pytest.param("version=9.9.3\n", "version=9.9.3/../../..\n", id="version-climbs-out"),
        pytest.param("version=9.9.3\n", "version=9.9.3\nversion=9.9.2\n", id="two-versions"),
        pytest.param("version=9.9.3\n", "version=09.9.3\n", id="version-not-normal-form"),
        pytest.param("channel=curl\n", "channel=curl\ncreated=/etc\n", id="created-elsewhere"),
        pytest.param("channel=curl\n", "channel=curl\ncreated={versions}/../../../../precious\n", id="created-dot-dot"),
        pytest.param("channel=curl\n", "channel=curl\ncreated=relative/dir\n", id="created-relative"),
        pytest.param("channel=curl\n", "channel=curl\nlink=/usr/local/bin/archon\n", id="another-link"),
    ],
)
def test_a_receipt_this_installer_did_not_write_is_refused(
    machine: Machine, tmp_path: Path, old: str, new: str
) -> None:
    """A receipt beside the linked version that says anything this installer would not have written: the folder is
    not treated as a previous install (not removed), and not one of its lines reaches a new receipt."""
    _install_fake(machine, tmp_path, "9.9.3")
    receipt = machine.versions / "9.9.3" / "install-receipt"
    text = receipt.read_text(encoding="utf-8")
    assert old in text
    receipt.write_text(text.replace(old, new.format(versions=machine.versions), 1), encoding="utf-8")
    fake_release(machine, tmp_path / "release-9.9.4", "9.9.4", _version_script("9.9.4"))
    before = tree(machine.home)

    log = refused(machine.install(version="9.9.4"), f"{machine.link} {NOT_OURS}")
    assert "install-receipt" in log  # it says which file it did not accept
    assert tree(machine.home) == before


def test_a_receipt_that_is_a_symlink_is_not_read(machine: Machine, tmp_path: Path) -> None:
    _install_fake(machine, tmp_path, "9.9.3")
    receipt = machine.versions / "9.9.3" / "install-receipt"
    elsewhere = tmp_path / "elsewhere-receipt"
    elsewhere.write_text(receipt.read_text(encoding="utf-8"), encoding="utf-8")
    receipt.unlink()
    receipt.symlink_to(elsewhere)
    before = tree(machine.home)
    refused(machine.install(version="9.9.4"), f"{machine.link} {NOT_OURS}")
    assert tree(machine.home) == before


def test_uninstall_acts_only_on_what_a_checked_receipt_names(machine: Machine, tmp_path: Path) -> None:
    """--uninstall reads the same receipt: a forged ``created=`` or ``link=`` line names nothing it will touch."""
    _install_fake(machine, tmp_path, "9.9.3")
    empty = tmp_path / "someone-elses-empty-folder"
    empty.mkdir()
    other_link = tmp_path / "other-bin" / "archon"
    other_link.parent.mkdir()
    other_link.symlink_to(f"{machine.versions}/../../../../precious/archon")
    receipt = machine.versions / "9.9.3" / "install-receipt"
    receipt.write_text(receipt.read_text(encoding="utf-8") + f"created={empty}\nlink={other_link}\n", encoding="utf-8")
    ok(machine.install("--uninstall"))
    assert empty.is_dir()
    assert other_link.is_symlink()


# -- root with someone else's home (sudo -E) ---------------------------------------------------------------------


@pytest.mark.needs_tool("root")
def test_root_with_someone_elses_home_is_refused(machine: Machine) -> None:
    """``sudo -E sh install.sh`` keeps the user's HOME: everything would be made as root in their home, and every
    check above would run with root's rights against files the user controls."""
    require_tool("root")
    os.chown(machine.home, 4242, 4242)
    before = tree(machine.home)
    log = refused(machine.install(), f"you are root, but HOME ({machine.home}) belongs to user 4242")
    assert "sudo" in log
    assert machine.server.take_requests() == []
    assert tree(machine.home) == before
    assert (machine.home.stat().st_uid, machine.home.stat().st_gid) == (4242, 4242)


# -- the base URL: https, or http on loopback, and never a user name, password, query or fragment ---------------

_LOGGING_FETCHER = 'echo "$0 $*" >> "$FAKE_FETCH_LOG"\nexit 7\n'


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:x@archon-evil.example",
        "http://127.0.0.1@archon-evil.example/releases",
        "http://localhost:80@archon-evil.example",
        "http://[::1]:1@archon-evil.example",
        "http://127.0.0.1.archon-evil.example",
        "http://localhost.archon-evil.example:8080",
        "http://127.0.0.1:8080:9090",
        "https://github.com@archon-evil.example/archon-cli/archon/releases",
        "https://user:password@github.com/archon-cli/archon/releases",
        "https://archon-evil.example?github.com/",
        "https://archon-evil.example#@github.com/",
        "https://archon-evil.example\\@github.com/",
        "https://",
        "https:///path",
        "https://exa mple.org/",
        "https://archon-evil.example:port/",
        "ftp://127.0.0.1/",
    ],
)
def test_a_base_url_with_a_user_or_an_unclear_host_is_refused(machine: Machine, tmp_path: Path, url: str) -> None:
    """Stand-ins for curl and wget log any call: nothing is fetched, and no name is even looked up."""
    log = tmp_path / "fetched.log"
    machine.fake("curl", _LOGGING_FETCHER)
    machine.fake("wget", _LOGGING_FETCHER)
    refused(
        machine.install(version="9.9.4", env={"ARCHON_INSTALL_BASE_URL": url, "FAKE_FETCH_LOG": str(log)}),
        "ARCHON_INSTALL_BASE_URL must not hold a user name or password"
        if "@" in url
        else "ARCHON_INSTALL_BASE_URL must be an https:// URL",
    )
    assert not log.exists(), log.read_text()
    assert tree(machine.home) == {}


@pytest.mark.parametrize("url", ["http://localhost:{port}", "http://127.0.0.1:{port}/", "http://localhost:{port}/"])
def test_loopback_base_urls_still_work(machine: Machine, tmp_path: Path, url: str) -> None:
    fake_release(machine, tmp_path / "release", "9.9.4", _version_script("9.9.4"))
    port = machine.server.url.rsplit(":", 1)[1]
    ok(machine.install(version="9.9.4", env={"ARCHON_INSTALL_BASE_URL": url.format(port=port)}))
    assert machine.server.take_requests()[-1][1] == f"/v9.9.4/archon-{machine.target}.tar.gz"


# -- the archive: files are the user's, with no setuid, setgid or sticky bit ------------------------------------


@pytest.mark.needs_tool("root")
@pytest.mark.parametrize("tar", ["tar", pytest.param("bsdtar", marks=pytest.mark.needs_tool("bsdtar"))])
def test_unpacked_files_belong_to_the_user_and_carry_no_special_bits(
    machine: Machine, tmp_path: Path, tar: str
) -> None:
    """Run as root, tar keeps the archive's owners and modes by default (GNU tar and bsdtar alike). ``bsdtar``
    (macOS's tar) is put first on PATH as ``tar`` for the second run: the flags must work with both."""
    require_tool("root")
    if tar == "bsdtar":
        (machine.fakes / "tar").symlink_to(require_tool("bsdtar"))
    fake_release(
        machine,
        tmp_path / "release",
        "9.9.4",
        _version_script("9.9.4"),
        mode=0o4755,
        owner=(4242, 4242),
        extra={"helper": (b"#!/bin/sh\n", 0o6777), "data": (b"shared\n", 0o1666)},
    )
    umask = os.umask(0o022)
    os.umask(umask)
    assert umask & 0o022 == 0o022, oct(umask)  # the installer inherits it: group and others cannot write
    ok(machine.install(version="9.9.4"))
    folder = machine.versions / "9.9.4"
    for name in ("archon", "helper", "data"):
        info = (folder / name).stat()
        assert (info.st_uid, info.st_gid) == (os.getuid(), os.getgid()), name
        assert stat.S_IMODE(info.st_mode) & 0o7000 == 0, (name, oct(info.st_mode))
        assert stat.S_IMODE(info.st_mode) & umask == 0, (name, oct(info.st_mode))  # the umask applied
    assert stat.S_IMODE((folder / "archon").stat().st_mode) & 0o100  # still executable

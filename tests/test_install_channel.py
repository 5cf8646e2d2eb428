"""archon/install_channel.py: the channel from what the installer left behind. The layouts below are what pip,
pipx (both backends), uv and the installers really leave; tests/e2e/test_installers.py installs the built wheel
and binary with the real tools and reads ``archon version``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from archon.buildinfo import current_build
from archon.install_channel import (
    INSTALL_CHANNELS,
    RECEIPT_NAME,
    Installation,
    current_installation,
    detect_installation,
)


def venv(root: Path, *, installer: str | None, dist: str = "archon_cli-1.2.3", owns: bool = True) -> Path:
    """A venv at ``root`` with archon installed into site-packages by ``installer``; returns the package dir."""
    site = root / "lib" / "python3.12" / "site-packages"
    package = site / "archon"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    dist_info = site / f"{dist}.dist-info"
    dist_info.mkdir()
    listed = "archon/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0" if owns else "other/x.py,,"
    (dist_info / "RECORD").write_text(f"{listed}\n{dist}.dist-info/RECORD,,\n")
    if installer is not None:
        (dist_info / "INSTALLER").write_text(installer)
    (root / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return package


def wheel(package: Path, root: Path, default: str = "pip") -> Installation:
    return detect_installation(
        default=default, is_binary=False, executable=root / "bin" / "python", package_dir=package, prefix=root
    )


@pytest.mark.parametrize(
    ("installer", "marker", "expected"),
    [
        ("pip\n", None, Installation(channel="pip")),
        ("uv", None, Installation(channel="uv")),  # `uv pip install` into a venv
        ("uv", "uv-receipt.toml", Installation(channel="uv", tool_environment=True)),  # `uv tool install`
        ("pip\n", "pipx_metadata.json", Installation(channel="pipx", tool_environment=True)),  # pipx, pip backend
        ("uv", "pipx_metadata.json", Installation(channel="pipx", tool_environment=True)),  # pipx, uv backend
        ("poetry\n", None, Installation(channel="pip")),  # an installer we do not know: the build's default
        (None, None, Installation(channel="pip")),  # no INSTALLER at all
        ("", None, Installation(channel="pip")),
    ],
)
def test_a_wheel_install_is_told_by_its_installer_record(
    tmp_path: Path, installer: str | None, marker: str | None, expected: Installation
) -> None:
    package = venv(tmp_path, installer=installer)
    if marker:
        (tmp_path / marker).write_text("{}")
    assert wheel(package, tmp_path) == expected


def test_the_record_is_found_whatever_the_distribution_is_called(tmp_path: Path) -> None:
    package = venv(tmp_path, installer="uv", dist="archon-0.1.0")  # the name before archon-cli
    assert wheel(package, tmp_path).channel == "uv"


def test_only_the_distribution_that_owns_archon_counts(tmp_path: Path) -> None:
    package = venv(tmp_path, installer="pip", dist="archon_cli-1.2.3", owns=False)
    other = package.parent / "archon_tools-2.0.dist-info"
    other.mkdir()
    (other / "RECORD").write_text("archon_tools/__init__.py,,\n")
    (other / "INSTALLER").write_text("uv")
    assert wheel(package, tmp_path, default="pip") == Installation(channel="pip")  # the default, not uv


def test_a_source_checkout_keeps_the_build_default(tmp_path: Path) -> None:
    (tmp_path / "archon").mkdir()
    (tmp_path / "pipx_metadata.json").write_text("{}")  # even inside a pipx venv: the package is not installed
    assert wheel(tmp_path / "archon", tmp_path, default="source") == Installation(channel="source")


@pytest.mark.skipif(sys.platform == "win32", reason="mkfifo")
def test_an_installer_record_that_is_not_a_regular_file_is_not_read(tmp_path: Path) -> None:
    package = venv(tmp_path, installer=None)
    os.mkfifo(package.parent / "archon_cli-1.2.3.dist-info" / "INSTALLER")  # open() would block forever
    assert wheel(package, tmp_path) == Installation(channel="pip")


def test_an_oversized_installer_record_is_ignored(tmp_path: Path) -> None:
    package = venv(tmp_path, installer="uv" + " " * 10_000)
    assert wheel(package, tmp_path) == Installation(channel="pip")


def binary(folder: Path, receipt: str | bytes | None, default: str = "binary") -> Installation:
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(receipt, str):
        (folder / RECEIPT_NAME).write_text(receipt, encoding="utf-8")
    elif isinstance(receipt, bytes):
        (folder / RECEIPT_NAME).write_bytes(receipt)
    return detect_installation(
        default=default, is_binary=True, executable=folder / "archon", package_dir=folder / "_internal", prefix=folder
    )


@pytest.mark.parametrize(
    ("receipt", "expected"),
    [
        ("# written by install.sh\nchannel=curl\nversion=1.2.3\n", "curl"),
        ("channel=homebrew\n", "homebrew"),
        ("version=1.2.3\nchannel = homebrew\r\n", "homebrew"),
        (None, "binary"),  # an archive unpacked by hand
        ("channel=pipx\n", "binary"),  # only the channels an installer of the binary may name
        ("channel=../../etc\n", "binary"),
        ("version=1.2.3\n", "binary"),
        (b"channel=curl\xff\n", "binary"),  # not UTF-8
    ],
)
def test_a_binary_is_told_by_the_receipt_beside_it(tmp_path: Path, receipt: str | bytes | None, expected: str) -> None:
    assert binary(tmp_path / "bundle", receipt) == Installation(channel=expected)  # type: ignore[arg-type]


def test_a_folder_named_like_the_receipt_is_not_a_receipt(tmp_path: Path) -> None:
    (tmp_path / "bundle" / RECEIPT_NAME).mkdir(parents=True)
    assert binary(tmp_path / "bundle", None) == Installation(channel="binary")


@pytest.mark.parametrize("default", ["something", "homebrew", "curl", "pipx", "uv"])
def test_the_build_constant_only_says_which_kind_of_artefact_this_is(tmp_path: Path, default: str) -> None:
    """`ARCHON_INSTALL_METHOD=homebrew ./scripts/build-binaries.sh` used to make every copy of that archive say
    homebrew (and fail the script's own smoke test): the channel is the installer's to say, by its receipt."""
    assert binary(tmp_path / "bundle", None, default=default) == Installation(channel="binary")
    assert binary(tmp_path / "bundle", "channel=homebrew\n", default=default) == Installation(channel="homebrew")
    assert wheel(tmp_path, tmp_path, default=default) == Installation(channel="source")
    package = venv(tmp_path / "venv", installer="poetry")  # a wheel, installed by a tool archon does not know
    assert wheel(package, tmp_path / "venv", default=default) == Installation(channel="pip")


def test_the_vocabulary_is_the_one_the_design_names() -> None:
    assert INSTALL_CHANNELS == ("source", "pip", "pipx", "uv", "binary", "curl", "homebrew")


def test_the_event_schema_uses_the_same_vocabulary() -> None:
    import typing

    from archon.telemetry import schema

    assert typing.get_args(schema.InstallMethod) == INSTALL_CHANNELS


def test_this_checkout_is_a_source_install() -> None:
    assert current_installation(current_build()) == Installation(channel="source")

"""build_tools/release_version.py: the release gate releases a tag only if it is the package version."""

from __future__ import annotations

from pathlib import Path

import pytest

from build_tools.release_version import Release, ReleaseVersionError, main, release_for


@pytest.mark.parametrize(
    ("tag", "package", "release"),
    [
        ("v1.4.0", "1.4.0", Release("1.4.0", prerelease=False)),
        ("v1.4.0rc1", "1.4.0rc1", Release("1.4.0rc1", prerelease=True)),
        ("v1.4.0rc1", "1.4.0-rc.1", Release("1.4.0rc1", prerelease=True)),  # the package version may be spelled freely
        ("v2.0.0a2", "2.0.0-alpha.2", Release("2.0.0a2", prerelease=True)),
        ("v2.0.0.dev3", "2.0.0.dev3", Release("2.0.0.dev3", prerelease=True)),
        ("v1.4.0.post1", "1.4.0.post1", Release("1.4.0.post1", prerelease=False)),  # a post release is a release
    ],
)
def test_a_tag_equal_to_the_package_version_is_released(tag: str, package: str, release: Release) -> None:
    assert release_for(tag, package) == release


def test_a_dash_is_not_what_makes_a_prerelease() -> None:
    """The old check (`*-*` in the tag) got both of these wrong."""
    assert release_for("v1.4.0rc1", "1.4.0rc1").prerelease is True
    assert release_for("v1.4.0.post1", "1.4.0-post1").prerelease is False


@pytest.mark.parametrize(("tag", "normal"), [("v1.4.0-rc.1", "v1.4.0rc1"), ("1.4.0", "v1.4.0"), ("v1.4", "v1.4.0")])
def test_an_equal_tag_in_another_spelling_is_refused_with_the_normal_form(tag: str, normal: str) -> None:
    """The installers download ``releases/download/v<version>/`` for the version archon reports."""
    with pytest.raises(ReleaseVersionError, match=f"a release tag is its normal form, {normal}"):
        release_for(tag, normal.removeprefix("v"))


@pytest.mark.parametrize(
    ("tag", "message"), [("v1.4.1", "tag v1.4.1 is version 1.4.1, but"), ("vnext", "not a version")]
)
def test_any_other_tag_is_refused_and_says_why(tag: str, message: str) -> None:
    with pytest.raises(ReleaseVersionError, match=message):
        release_for(tag, "1.4.0")


def test_a_dry_run_without_a_tag_is_the_package_version() -> None:
    assert release_for(None, "1.4.0rc1") == Release("1.4.0rc1", prerelease=True)


def test_the_command_prints_github_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.archon]\nversion = "1.4.0-rc.1"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["--tag", "v1.4.0rc1"]) == 0
    assert capsys.readouterr().out == "version=1.4.0rc1\nprerelease=true\n"
    assert main([]) == 0
    assert capsys.readouterr().out == "version=1.4.0rc1\nprerelease=true\n"
    assert main(["--tag", "v1.4.0"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "release gate: tag v1.4.0 is version 1.4.0, but pyproject.toml's [tool.archon] version is 1.4.0rc1" in (
        captured.err
    )

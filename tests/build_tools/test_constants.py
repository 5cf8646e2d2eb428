"""build_tools/constants.py: what may be embedded in a wheel or binary, and how it is written down."""

from __future__ import annotations

import ast
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archon import bundled_build
from archon.install_channel import BUILD_DEFAULTS
from build_tools.constants import (
    DEFAULT_POSTHOG_HOST,
    GENERATED_HEADER,
    INSTALL_METHODS,
    SDIST_COMMIT_FILE,
    BuildConstants,
    BuildConstantsError,
    constants_from_env,
    git_commit,
    normalise_version,
    project_version,
    render,
    resolve_version,
    source_commit,
    validate,
    validate_host,
    validate_key,
)
from tests.support.worktree import GIT_IDENTITY

KEY = "phc_0123456789abcdefABCDEF_-xyz"
NAMES = (
    "BUNDLED_IS_BINARY",
    "BUNDLED_VERSION",
    "BUNDLED_GIT_COMMIT",
    "BUNDLED_POSTHOG_KEY",
    "BUNDLED_POSTHOG_HOST",
    "BUNDLED_INSTALL_METHOD",
)


def make(**overrides: Any) -> BuildConstants:
    values: dict[str, Any] = {
        "is_binary": False,
        "version": "1.2.3",
        "git_commit": "0123abcd",
        "posthog_key": KEY,
        "posthog_host": "https://telemetry.example.org",
    }
    values.update(overrides)
    return BuildConstants(**values)


def literal_assignments(source: str) -> dict[str, object]:
    """The module's constants, proving on the way that it holds nothing but a docstring, the __future__ import
    and annotated assignments of literals: no calls, no names, no expressions that could run code."""
    tree = ast.parse(source)
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0]:
            continue  # the docstring
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        assert isinstance(node, ast.AnnAssign), ast.dump(node)
        assert isinstance(node.target, ast.Name)
        assert isinstance(node.annotation, ast.Name)
        assert node.annotation.id in ("bool", "str")
        assert isinstance(node.value, ast.Constant), ast.dump(node)
        values[node.target.id] = node.value.value
    return values


def from_env(env: Mapping[str, str], **kwargs: Any) -> tuple[BuildConstants, list[str]]:
    options: dict[str, Any] = {
        "is_binary": False,
        "version": "0.1.0",
        "commit_of": lambda: "feedbeef",
    }
    options.update(kwargs)
    return constants_from_env(env, **options)


# --- keys -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", KEY, "phc_" + "a" * 8, "phc_" + "Z9_-" * 32])
def test_project_keys_and_no_key_are_accepted(key: str) -> None:
    validate_key(key)
    validate(make(posthog_key=key))


def test_a_personal_key_is_refused_and_the_message_says_why() -> None:
    with pytest.raises(BuildConstantsError) as excinfo:
        validate(make(posthog_key="phx_0123456789abcdefghijklmnop"))
    message = str(excinfo.value)
    assert "POSTHOG_PUBLIC_KEY" in message
    assert "personal" in message
    assert "must never ship" in message
    assert "phc_" in message  # says what to use instead


@pytest.mark.parametrize(
    "key",
    ["sk_live_0123456789abcdef", "phs_0123456789abcdef", "PHC_0123456789abcdef", "0123456789abcdef", " phc_x"],
)
def test_keys_that_are_not_project_keys_are_refused(key: str) -> None:
    with pytest.raises(BuildConstantsError, match=r"POSTHOG_PUBLIC_KEY must be a PostHog project API key"):
        validate_key(key)


@pytest.mark.parametrize(
    "key",
    ["phc_short", "phc_0123456789'abcdef", 'phc_0123456789"; import os', "phc_0123456789\nabc", "phc_" + "a" * 129],
)
def test_project_keys_with_foreign_characters_or_lengths_are_refused(key: str) -> None:
    with pytest.raises(BuildConstantsError, match="POSTHOG_PUBLIC_KEY"):
        validate_key(key)


# --- hosts ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "https://eu.i.posthog.com",
        "https://telemetry.archon-cli.dev",
        "https://telemetry.example.org:8443/ingest",
        "http://localhost:8080",
        "http://127.0.0.1:9",
        "http://127.45.6.7",
        "http://[::1]:8123",
        "http://[::1]",
    ],
)
def test_https_hosts_and_plain_http_loopback_hosts_are_accepted(host: str) -> None:
    validate_host(host)


@pytest.mark.parametrize(
    "host",
    [
        "http://eu.i.posthog.com",
        "http://example.com:80",
        "http://10.0.0.1",
        "http://192.168.1.10:8080",
        "http://0.0.0.0:8000",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
        "http://[::2]",
    ],
)
def test_plain_http_is_refused_for_anything_but_loopback(host: str) -> None:
    with pytest.raises(BuildConstantsError, match=r"POSTHOG_HOST must use https://; plain http:// is allowed only"):
        validate_host(host)


@pytest.mark.parametrize("host", ["ftp://example.com", "example.com", "//example.com", "https://", "file:///etc", ""])
def test_hosts_without_an_https_scheme_and_host_name_are_refused(host: str) -> None:
    with pytest.raises(BuildConstantsError, match="POSTHOG_HOST must be an https:// URL"):
        validate_host(host)


@pytest.mark.parametrize(
    "host", ["https://user:secret@example.com", "https://user@example.com", "http://me:pw@127.0.0.1:9"]
)
def test_hosts_with_credentials_are_refused(host: str) -> None:
    with pytest.raises(BuildConstantsError, match="credentials"):
        validate_host(host)


@pytest.mark.parametrize(
    "host",
    ["https://example.com?token=1", "https://example.com/?", "https://example.com#frag", "https://example.com/#"],
)
def test_hosts_with_a_query_or_fragment_are_refused(host: str) -> None:
    with pytest.raises(BuildConstantsError, match="query"):
        validate_host(host)


@pytest.mark.parametrize(
    "host", ["https://exa mple.com", "https://example.com\n", "https://example.com\tx", "https://ex\x00.com"]
)
def test_hosts_with_whitespace_or_control_characters_are_refused(host: str) -> None:
    with pytest.raises(BuildConstantsError, match="whitespace or control"):
        validate_host(host)


def test_a_malformed_port_is_refused() -> None:
    with pytest.raises(BuildConstantsError, match="not a valid URL"):
        validate_host("https://example.com:99999")


# --- other values ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.2.3", "0.1.0rc1", "2.0.0.dev4", "1.0+local.7", "dev", "10", "1!2.0.post3"])
def test_versions_in_their_pep_440_normal_form_are_accepted(version: str) -> None:
    validate(make(version=version))


@pytest.mark.parametrize("version", ["2.0.0-rc.1", "v1.2.3", "1.0.0RC1", "1.2.3 "])
def test_versions_not_in_normal_form_are_refused_by_validate(version: str) -> None:
    """constants_from_env normalises; a BuildConstants carrying another spelling was built around it."""
    with pytest.raises(BuildConstantsError, match="normal form"):
        validate(make(version=version))


@pytest.mark.parametrize("version", ["", "latest", "main", "1.2'3", "vv1.0.0", "1" * 65 + "x"])
def test_versions_that_are_not_versions_are_refused(version: str) -> None:
    with pytest.raises(BuildConstantsError, match="VERSION"):
        validate(make(version=version))


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("v1.4.0", "1.4.0"),
        ("1.4.0", "1.4.0"),
        ("v1.4.0-rc.1", "1.4.0rc1"),
        ("1.4.0-RC1", "1.4.0rc1"),
        ("v2.0.0-alpha.3", "2.0.0a3"),
        ("1.4.0-beta", "1.4.0b0"),
        ("1.4-dev.2", "1.4.dev2"),
        ("1.4.0.post1", "1.4.0.post1"),
        ("1.0+Local.7", "1.0+local.7"),
    ],
)
def test_tags_are_normalised_as_pep_440_and_the_index_write_them(raw: str, normal: str) -> None:
    assert normalise_version(raw) == normal


def test_a_branch_name_is_not_a_version() -> None:
    with pytest.raises(BuildConstantsError, match="VERSION 'main' is not a version"):
        normalise_version("main")


@pytest.mark.parametrize("commit", ["0123ABCD", "0123abc", "0123abcde", "g123abcd", ""])
def test_commits_must_be_8_lowercase_hex_or_unknown(commit: str) -> None:
    validate(make(git_commit="unknown"))
    with pytest.raises(BuildConstantsError, match="GIT_COMMIT"):
        validate(make(git_commit=commit))


def test_the_install_method_is_the_kind_of_artefact_and_nothing_else() -> None:
    """The channel (curl, homebrew, pipx, uv) is decided at run time from what the installer left behind
    (archon/install_channel.py); the build only says wheel or binary."""
    assert make(is_binary=True).install_method == "binary"
    assert make(is_binary=False).install_method == "pip"


def test_the_build_vocabulary_is_the_one_archon_accepts_from_a_build() -> None:
    assert INSTALL_METHODS == BUILD_DEFAULTS
    assert bundled_build.BUNDLED_INSTALL_METHOD in INSTALL_METHODS  # the committed development module: source


@pytest.mark.parametrize("value", ["homebrew", "curl", "pipx", "snap", "binary", "pip", ""])
@pytest.mark.parametrize("is_binary", [True, False])
def test_archon_install_method_no_longer_changes_anything(value: str, is_binary: bool) -> None:
    """`ARCHON_INSTALL_METHOD=homebrew ./scripts/build-binaries.sh` used to stamp every copy of the archive
    homebrew (and fail the script's own smoke test); the variable is gone: ignored, whatever its value."""
    plain, plain_warnings = from_env({}, is_binary=is_binary)
    stamped, stamped_warnings = from_env({"ARCHON_INSTALL_METHOD": value}, is_binary=is_binary)
    assert (stamped, stamped_warnings) == (plain, plain_warnings)
    assert render(stamped) == render(plain)


# --- rendering ------------------------------------------------------------------------------------------------


def test_render_writes_the_six_constants_as_literals_under_a_generated_header() -> None:
    constants = make(is_binary=True)
    source = render(constants)
    assert source.splitlines()[0] == GENERATED_HEADER
    assert literal_assignments(source) == {
        "BUNDLED_IS_BINARY": True,
        "BUNDLED_VERSION": "1.2.3",
        "BUNDLED_GIT_COMMIT": "0123abcd",
        "BUNDLED_POSTHOG_KEY": KEY,
        "BUNDLED_POSTHOG_HOST": "https://telemetry.example.org",
        "BUNDLED_INSTALL_METHOD": "binary",
    }
    assert list(literal_assignments(source)) == list(NAMES)


def test_render_matches_the_committed_module_shape() -> None:
    """The generated module declares the same names, in the same order, as the committed development module."""
    committed = (Path(__file__).resolve().parents[2] / "archon" / "bundled_build.py").read_text(encoding="utf-8")
    assert list(literal_assignments(committed)) == list(literal_assignments(render(make())))


def test_render_validates_first() -> None:
    with pytest.raises(BuildConstantsError, match="personal"):
        render(make(posthog_key="phx_0123456789abcdefghij"))


# Hosts whose path is arbitrary text: everything validation lets through reaches repr(). Quotes, backslashes,
# brackets, non-ASCII letters and lookalike characters all belong here.
_PATH_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), blacklist_characters="?#"),
    max_size=80,
)
_HOSTS = st.one_of(
    st.builds(lambda path: f"https://example.org/{path}", _PATH_TEXT),
    st.builds(lambda path: f"http://127.0.0.1:8080/{path}", _PATH_TEXT),
    st.text(max_size=80),  # anything at all: refused or rendered safely, never anything else
)
_VERSIONS = st.one_of(
    st.from_regex(r"[0-9][0-9A-Za-z.+-]{0,20}", fullmatch=True),
    st.text(max_size=40),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(host=_HOSTS, version=_VERSIONS)
def test_any_input_is_refused_or_rendered_as_inert_literals_that_round_trip(host: str, version: str) -> None:
    constants = make(posthog_host=host, version=version)
    try:
        source = render(constants)
    except BuildConstantsError:
        return
    values = literal_assignments(source)
    assert values["BUNDLED_POSTHOG_HOST"] == host
    assert values["BUNDLED_VERSION"] == version
    namespace: dict[str, object] = {}
    exec(compile(source, "bundled_build.py", "exec"), namespace)  # noqa: S102 - proven literal-only just above
    assert {name: namespace[name] for name in NAMES} == values


@settings(max_examples=200)
@given(path=_PATH_TEXT)
def test_hosts_with_arbitrary_paths_pass_validation_and_survive_rendering(path: str) -> None:
    """The property above must not pass by refusing everything: these hosts are valid, so they are rendered."""
    host = f"https://example.org/{path}"
    values = literal_assignments(render(make(posthog_host=host)))
    assert values["BUNDLED_POSTHOG_HOST"] == host


# --- the build environment ------------------------------------------------------------------------------------


def test_release_builds_fail_without_a_key() -> None:
    for flag in ("1", "true", "yes", "on", "TRUE"):
        with pytest.raises(BuildConstantsError, match="ARCHON_REQUIRE_POSTHOG_KEY=1") as excinfo:
            from_env({"ARCHON_REQUIRE_POSTHOG_KEY": flag})
        assert "POSTHOG_PUBLIC_KEY is empty" in str(excinfo.value)
    with pytest.raises(BuildConstantsError, match="ARCHON_REQUIRE_POSTHOG_KEY"):
        from_env({"ARCHON_REQUIRE_POSTHOG_KEY": "1", "POSTHOG_PUBLIC_KEY": "   "})


def test_release_builds_with_a_key_pass() -> None:
    constants, warnings = from_env({"ARCHON_REQUIRE_POSTHOG_KEY": "1", "POSTHOG_PUBLIC_KEY": KEY})
    assert constants.posthog_key == KEY
    assert warnings == []


@pytest.mark.parametrize("flag", ["", "0", "false", "no"])
def test_a_missing_key_warns_and_builds_a_telemetry_free_artefact(flag: str) -> None:
    constants, warnings = from_env({"ARCHON_REQUIRE_POSTHOG_KEY": flag})
    assert constants.posthog_key == ""
    assert len(warnings) == 1
    assert "POSTHOG_PUBLIC_KEY is not set" in warnings[0]
    assert "can never send telemetry" in warnings[0]


def test_defaults_apply_when_the_environment_is_empty() -> None:
    constants, _ = from_env({}, is_binary=True)
    assert constants == BuildConstants(
        is_binary=True,
        version="0.1.0",
        git_commit="feedbeef",
        posthog_key="",
        posthog_host=DEFAULT_POSTHOG_HOST,
    )
    assert constants.install_method == "binary"


def test_environment_values_are_normalised() -> None:
    constants, warnings = from_env(
        {
            "POSTHOG_PUBLIC_KEY": f"  {KEY}\n",
            "POSTHOG_HOST": "https://telemetry.example.org/",
            "VERSION": "v2.3.4-rc.1",
            "GIT_COMMIT": "0123456789ABCDEF0123456789abcdef01234567",
        },
        commit_of=lambda: pytest.fail("GIT_COMMIT was given; git must not be asked"),
    )
    assert warnings == []
    assert constants.posthog_key == KEY
    assert constants.posthog_host == "https://telemetry.example.org"
    assert constants.version == "0.1.0"  # the caller resolves the version (resolve_version); VERSION is not read
    assert constants.git_commit == "01234567"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"POSTHOG_PUBLIC_KEY": "phx_0123456789abcdefghijkl"}, "personal"),
        ({"POSTHOG_HOST": "http://telemetry.example.org"}, "https://"),
        ({"GIT_COMMIT": "nothex!!"}, "GIT_COMMIT"),
    ],
)
def test_bad_environment_values_are_refused(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(BuildConstantsError, match=fragment):
        from_env(env)


# --- git ------------------------------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(root.parent), **GIT_IDENTITY}
    return subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def outside_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory git does not search above, so no enclosing repository can answer."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    return root


def test_git_commit_is_unknown_outside_git(outside_git: Path) -> None:
    assert git_commit(outside_git) == "unknown"


def test_git_commit_is_unknown_in_a_repository_without_commits(outside_git: Path) -> None:
    _git(outside_git, "init", "--quiet")
    assert git_commit(outside_git) == "unknown"


def test_git_commit_is_the_first_8_characters_of_head(outside_git: Path) -> None:
    _git(outside_git, "init", "--quiet")
    (outside_git / "file.txt").write_text("x\n", encoding="utf-8")
    _git(outside_git, "add", "file.txt")
    _git(outside_git, "commit", "--quiet", "-m", "one")
    head = _git(outside_git, "rev-parse", "HEAD").strip()
    assert git_commit(outside_git) == head[:8]
    assert len(git_commit(outside_git)) == 8


def test_git_commit_is_unknown_when_git_cannot_run(outside_git: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(outside_git))  # no git on PATH
    assert git_commit(outside_git) == "unknown"


# --- the version and the commit of a source tree ----------------------------------------------------------------


def _project(root: Path, version: str = "0.1.0") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "archon-cli"\ndynamic = ["version"]\n\n[tool.archon]\nversion = "{version}"\n',
        encoding="utf-8",
    )
    return root


def _as_sdist(root: Path, version: str) -> Path:
    (root / "PKG-INFO").write_text(f"Metadata-Version: 2.4\nName: archon-cli\nVersion: {version}\n", encoding="utf-8")
    return root


def test_the_project_version_is_tool_archon_version_normalised(tmp_path: Path) -> None:
    assert project_version(_project(tmp_path / "p", "1.5.0-rc.2")) == "1.5.0rc2"


def test_the_repository_declares_its_version_once_in_tool_archon() -> None:
    root = Path(__file__).resolve().parents[2]
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in text
    assert project_version(root) == normalise_version(project_version(root))


def test_resolve_version_takes_version_from_the_environment_over_the_project(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    assert resolve_version({}, root) == "0.1.0"
    assert resolve_version({"VERSION": "v1.4.0-rc.1"}, root) == "1.4.0rc1"
    assert resolve_version({"VERSION": "  "}, root) == "0.1.0"


def test_an_unpacked_sdist_keeps_its_own_version(tmp_path: Path) -> None:
    root = _as_sdist(_project(tmp_path / "p"), "1.4.0rc1")  # its pyproject still says 0.1.0, as hatchling ships it
    assert resolve_version({}, root) == "1.4.0rc1"
    assert resolve_version({"VERSION": "v1.4.0-rc.1"}, root) == "1.4.0rc1"  # the same version, spelled as a tag


def test_a_version_that_disagrees_with_the_sdist_is_refused(tmp_path: Path) -> None:
    root = _as_sdist(_project(tmp_path / "p"), "1.4.0rc1")
    with pytest.raises(
        BuildConstantsError, match=r"VERSION '2\.0' disagrees with this sdist, which is version 1\.4\.0rc1"
    ):
        resolve_version({"VERSION": "2.0"}, root)


def test_an_unpacked_sdist_reports_the_commit_it_recorded(outside_git: Path) -> None:
    assert source_commit(outside_git) == "unknown"
    (outside_git / SDIST_COMMIT_FILE).write_text("0123abcd\n", encoding="utf-8")
    assert source_commit(outside_git) == "0123abcd"


def test_the_recorded_commit_wins_over_an_enclosing_repository(outside_git: Path) -> None:
    """A packager who unpacks the sdist into a git repository of their own still gets archon's commit."""
    _git(outside_git, "init", "--quiet")
    (outside_git / "file.txt").write_text("x\n", encoding="utf-8")
    _git(outside_git, "add", "file.txt")
    _git(outside_git, "commit", "--quiet", "-m", "packaging")
    (outside_git / SDIST_COMMIT_FILE).write_text("0123abcd\n", encoding="utf-8")
    assert source_commit(outside_git) == "0123abcd"

"""build_tools/archon.spec, for real: the standalone binary built once per session by scripts/build-binaries.sh
(the ``frozen_archon`` fixture) with TEST_KEY and the session's loopback ingest server embedded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY
from tests.support.binary import FROZEN_COMMIT, FROZEN_VERSION, FrozenArchon, bundled_modules
from tests.support.ingest import IngestServer

pytestmark = pytest.mark.slow

POSTHOG_CORE = ("posthog", "posthog.client", "posthog.consumer", "posthog.request", "posthog.version")


def test_the_binary_reports_a_binary_build_and_the_embedded_values(frozen_archon: FrozenArchon, tmp_path: Path) -> None:
    result = frozen_archon.run("version", home=tmp_path / "home", env={"DO_NOT_TRACK": "1"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"archon {FROZEN_VERSION}"
    assert "Build: binary" in lines
    assert "Install method: binary" in lines
    assert f"Git commit: {FROZEN_COMMIT}" in lines
    assert "Telemetry key: embedded" in lines
    assert TEST_KEY not in result.stdout + result.stderr
    (platform_line,) = [line for line in lines if line.startswith("Platform: ")]
    assert platform_line.endswith("-" + frozen_archon.target.split("-", 1)[1])  # the same arch as the file name
    flag = frozen_archon.run("--version", home=tmp_path / "home", env={"DO_NOT_TRACK": "1"})
    assert flag.stdout == result.stdout


def test_the_generated_module_replaced_the_committed_one_in_the_bundle(
    frozen_archon: FrozenArchon, session_ingest: IngestServer
) -> None:
    code = bundled_modules(frozen_archon.executable).extract("archon.bundled_build")
    namespace: dict[str, object] = {}
    exec(code, namespace)  # noqa: S102 - the module this very build generated from literals
    assert {key: value for key, value in namespace.items() if key.startswith("BUNDLED_")} == {
        "BUNDLED_IS_BINARY": True,
        "BUNDLED_VERSION": FROZEN_VERSION,
        "BUNDLED_GIT_COMMIT": FROZEN_COMMIT,
        "BUNDLED_POSTHOG_KEY": TEST_KEY,
        "BUNDLED_POSTHOG_HOST": session_ingest.url,
        "BUNDLED_INSTALL_METHOD": "binary",
    }
    # the work tree's development module is untouched
    assert 'BUNDLED_POSTHOG_KEY: str = ""' in (frozen_archon.source / "archon" / "bundled_build.py").read_text()


def test_posthog_and_every_archon_module_are_bundled(frozen_archon: FrozenArchon) -> None:
    """posthog is imported lazily (only by the flusher), so analysis alone could miss it; the spec lists it."""
    names = set(bundled_modules(frozen_archon.executable).toc)
    package = frozen_archon.source / "archon"
    expected = {
        ".".join(path.relative_to(package.parent).with_suffix("").parts).removesuffix(".__init__")
        for path in package.rglob("*.py")
    }
    assert sorted(expected - names) == []
    assert set(POSTHOG_CORE) <= names
    unwanted = ("build_tools", "pytest", "hypothesis", "mypy", "posthog.ai", "posthog.test", "tests")
    assert sorted(name for name in names if name.split(".")[0] in unwanted or name.startswith(unwanted)) == []


def test_the_bundled_workflows_ship_as_data_files(frozen_archon: FrozenArchon, tmp_path: Path) -> None:
    defaults = frozen_archon.source / "archon" / "workflows" / "defaults"
    data = [path for path in defaults.rglob("*") if path.is_file() and path.suffix in (".yaml", ".yml", ".md")]
    assert data, "the package has bundled workflows"
    internal = frozen_archon.folder / "_internal"
    for path in data:
        shipped = internal / path.relative_to(frozen_archon.source)
        assert shipped.read_bytes() == path.read_bytes(), shipped
    listing = frozen_archon.run("workflow", "list", home=tmp_path / "home", env={"DO_NOT_TRACK": "1"})
    assert listing.returncode == 0, listing.stderr
    for path in data:
        if path.suffix in (".yaml", ".yml"):
            assert path.stem in listing.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="bash workflow nodes; Windows binaries are smoke-tested in CI")
def test_programs_the_binary_starts_get_the_users_environment(frozen_archon: FrozenArchon, tmp_path: Path) -> None:
    """A bash node sees the user's LD_LIBRARY_PATH (not the bundle's libraries) and no PyInstaller state, and can
    start the binary again as a fresh instance, as the detached telemetry flusher does."""
    repo = tmp_path / "repo"
    (repo / ".archon" / "workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "--quiet", str(repo)], check=True, timeout=30)
    (repo / ".archon" / "workflows" / "env-probe.yaml").write_text(
        "name: env-probe\n"
        "description: Print the environment a node gets.\n"
        "nodes:\n"
        "  - id: probe\n"
        '    bash: env > "$PROBE_ENV"; "$PROBE_SELF" version > "$PROBE_SELF_OUT"\n',
        encoding="utf-8",
    )
    env = {
        "DO_NOT_TRACK": "1",
        "LD_LIBRARY_PATH": "/opt/archon-user-libs",
        "PROBE_ENV": str(tmp_path / "env.txt"),
        "PROBE_SELF": str(frozen_archon.executable),
        "PROBE_SELF_OUT": str(tmp_path / "self.txt"),
    }
    result = subprocess.run(
        [str(frozen_archon.executable), "workflow", "run", "env-probe"],
        cwd=repo,
        env={**os.environ, "ARCHON_HOME": str(tmp_path / "home"), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    seen = dict(line.split("=", 1) for line in (tmp_path / "env.txt").read_text().splitlines() if "=" in line[:200])
    assert [name for name in seen if name.startswith("_PYI_") or name.endswith("_ORIG")] == []
    if sys.platform.startswith("linux"):
        assert seen["LD_LIBRARY_PATH"] == "/opt/archon-user-libs"
    assert (tmp_path / "self.txt").read_text().splitlines()[0] == f"archon {FROZEN_VERSION}"


def test_the_hidden_flusher_entry_runs_in_the_binary(frozen_archon: FrozenArchon, tmp_path: Path) -> None:
    """``sys.executable <hidden argument>`` is how the binary re-executes itself; with consent off it just ends."""
    from archon.telemetry.upload.process import FLUSH_ARGUMENT

    result = frozen_archon.run(FLUSH_ARGUMENT, home=tmp_path / "home", env={"DO_NOT_TRACK": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""

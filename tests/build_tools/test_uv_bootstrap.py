"""build_tools/uv_bootstrap.py: scripts/_venv.sh installs uv at exactly the version and hashes uv.lock records."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from build_tools.uv_bootstrap import UvBootstrapError, main, requirement
from tests.support.artefacts import REPO_ROOT

LOCK = tomllib.loads((REPO_ROOT / "uv.lock").read_text(encoding="utf-8"))


def test_the_requirement_pins_uv_with_every_hash_the_lock_has() -> None:
    (uv,) = [package for package in LOCK["package"] if package["name"] == "uv"]
    text = requirement(LOCK)
    name, *hashes = text.split(" ")
    assert name == f"uv=={uv['version']}"
    files = [uv["sdist"], *uv["wheels"]]
    assert sorted(h.removeprefix("--hash=") for h in hashes) == sorted(file["hash"] for file in files)
    assert len(hashes) > 5  # one wheel per platform, and the sdist


@pytest.mark.parametrize(
    ("lock", "message"),
    [
        ({"package": []}, "exactly one uv"),
        ({"package": [{"name": "uv", "version": "1.0"}]}, "no sha256 hashes"),
        ({"package": [{"name": "uv", "version": "1.0", "wheels": [{"hash": "md5:00"}]}]}, "no sha256 hashes"),
    ],
)
def test_a_lock_without_a_hashed_uv_is_refused(lock: dict[str, Any], message: str) -> None:
    with pytest.raises(UvBootstrapError, match=message):
        requirement(lock)


def test_the_command_fails_clearly_on_a_missing_lock(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "uv.lock")]) == 1
    assert "uv_bootstrap:" in capsys.readouterr().err
    assert main([str(REPO_ROOT / "uv.lock")]) == 0
    assert capsys.readouterr().out.startswith("uv==")

"""Run the real ``archon`` entry point in-process and capture what it prints."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from archon.buildinfo import BuildInfo, current_build
from archon.cli.app import run
from archon.runtime import Runtime
from tests.conftest import TEST_KEY


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str


Invoke = Callable[..., Result]

KEYED_BUILD = dataclasses.replace(
    current_build(), posthog_key=TEST_KEY, posthog_host="http://127.0.0.1:9", version="9.8.7"
)


@pytest.fixture
def invoke(isolation: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Invoke:
    """``invoke(*args, env={...}, build=...)``: archon's ``run()`` with a runtime that never starts a flusher."""

    def _invoke(*args: str, env: Mapping[str, str] | None = None, build: BuildInfo | None = None) -> Result:
        capsys.readouterr()
        runtime = Runtime(env=dict(env or {}), home=isolation, cwd=tmp_path)  # no executable: no flusher
        code = run(list(args), runtime=runtime, build=build)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _invoke

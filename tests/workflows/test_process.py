"""Running one node's process: its output arrives line by line while it runs, its stdin is the prompt, and a
process that cannot start is a result, not an exception."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from archon.workflows.process import run_streaming
from archon.workflows.supervision import Supervisor

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def test_each_line_is_handed_over_while_the_process_still_runs(tmp_path: Path) -> None:
    """The process prints a line, then waits until the line has been handed over (the sink creates the file it
    waits for). Were output read only at the end, it would wait for ever: its timeout would end it."""
    seen: list[str] = []

    def sink(line: str) -> None:
        seen.append(line)
        (tmp_path / f"got-{line}").touch()

    script = "for n in 1 2 3; do echo $n; until [ -e got-$n ]; do sleep 0.01; done; done"
    outcome = run_streaming(
        ["bash", "-c", script], env=ENV, cwd=tmp_path, stdin=None, timeout=30, supervisor=Supervisor(),
        on_stdout=sink, on_stderr=seen.append,
    )  # fmt: skip
    assert (outcome.returncode, outcome.timed_out) == (0, False)
    assert seen == ["1", "2", "3"]


def test_stdin_is_the_given_text_and_partial_last_lines_and_invalid_utf8_survive(tmp_path: Path) -> None:
    out: list[str] = []
    code = "import sys; data = sys.stdin.buffer.read(); sys.stdout.buffer.write(data + b'\\nlast \\xff')"
    outcome = run_streaming(
        [sys.executable, "-c", code], env=ENV, cwd=tmp_path, stdin="hello\r\nworld", timeout=30,
        supervisor=Supervisor(), on_stdout=out.append, on_stderr=out.append,
    )  # fmt: skip
    assert outcome.returncode == 0
    assert out == ["hello", "world", "last \ufffd"]


def test_a_program_that_cannot_start_is_reported(tmp_path: Path) -> None:
    outcome = run_streaming(
        [str(tmp_path / "missing")], env=ENV, cwd=tmp_path, stdin="x", timeout=30, supervisor=Supervisor(),
        on_stdout=print, on_stderr=print,
    )  # fmt: skip
    assert (outcome.started, outcome.returncode) == (False, None)
    assert outcome.start_error == "No such file or directory"

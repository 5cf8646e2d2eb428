"""The transcripts issue 17 asks to see, made by running archon with the real, pinned claude and codex in the lab:

(a) ``archon workflow run archon-refactor-safely "rename greet's hello to goodbye"`` in a small git repository with
    a test suite, with each CLI: the live stderr, the final output, tokens and cost, and ``git diff`` after;
(b) the same with ``--dry-run``: each node's capability, model and command line;
(c) the failure table (scenario | CLI | class | message shown), every row run again;
(d) Ctrl-C (SIGINT) during a claude Bash tool call, with the processes before and after.

    .venv/bin/python -m tests.support.archon_transcripts OUTDIR      # as root: the lab makes a network namespace

Every CLI runs in the lab's loopback-only network namespace against the fake model APIs (tests/support/model_api):
nothing reaches a real host. The model is scripted (its answers are the script's, not a model's); what archon and
the CLIs do with them is real. Each thing shown is also pinned by a test: tests/e2e/assistants/test_archon_*.py.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.archon_in_lab import SLEEPER, archon_env, commit_files, run_archon, start_archon, tool_pid
from tests.support.assistant_clis import CliName
from tests.support.assistant_lab import AssistantLab, assistant_lab
from tests.support.cli_process import CliRun
from tests.support.model_api import EditFile, Exchange, Fail, Failure, ModelScript, ReadFile, RunCommand, Say
from tests.support.proc import read_process

__all__ = ["main"]

CLIS: tuple[CliName, ...] = ("claude", "codex")
REQUEST = "rename greet's hello to goodbye"
PROMPT = "why is billing rate limited?"
"""Every failure row's prompt: its words (billing, rate limit) must not decide the class."""
GREET = 'def greet() -> str:\n    return "hello"\n'
TEST = (
    "import unittest\n\nfrom greet import greet\n\n\nclass GreetTest(unittest.TestCase):\n"
    '    def test_greet(self) -> None:\n        self.assertEqual(greet(), "hello")\n\n\n'
    'if __name__ == "__main__":\n    unittest.main()\n'
)
CHECKS = "#!/bin/sh\nexec python3 -m unittest -v 2>&1\n"
PLAN = (
    "Goal: greet() returns goodbye instead of hello.\nCallers found: test_greet.py.\n"
    "Steps:\n1. In greet.py and test_greet.py, change hello to goodbye together.\n"
    "Interfaces kept: greet() keeps its name and signature.\nOut of scope: everything else."
)
DONE = "Changed hello to goodbye in greet.py and test_greet.py; python3 -m unittest passes."
SUMMARY = (
    "Say goodbye instead of hello in greet()\n\ngreet() now returns goodbye, and its test expects it.\n\n"
    "Reviewer's checklist:\n- greet.py: the returned word\n- test_greet.py: the expected word"
)


def _refactor_script(lab: AssistantLab) -> ModelScript:
    greet, test = str(lab.work / "greet.py"), str(lab.work / "test_greet.py")
    return ModelScript(
        [
            Exchange(DONE, (Say(SUMMARY),)),
            Exchange(
                "change hello to goodbye together",
                (
                    ReadFile(greet),
                    EditFile(greet, '    return "hello"', '    return "goodbye"'),  # whole lines: codex patches
                    ReadFile(test),
                    EditFile(
                        test,
                        '        self.assertEqual(greet(), "hello")',
                        '        self.assertEqual(greet(), "goodbye")',
                    ),
                    RunCommand("python3 -m unittest -q"),
                    Say(DONE),
                ),
            ),
            Exchange(REQUEST, (Say(PLAN),)),
        ]
    )


def _repository(lab: AssistantLab) -> None:
    commit_files(lab, {"greet.py": GREET, "test_greet.py": TEST, "scripts/test.sh": CHECKS})


def _git(lab: AssistantLab, *args: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(lab.home), "GIT_PAGER": "cat"}
    done = subprocess.run(["git", *args], cwd=lab.work, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def _block(title: str, text: str) -> str:
    return f"--- {title}\n{text.rstrip()}\n" if text.strip() else f"--- {title}\n(nothing)\n"


def _transcript(argv: Sequence[str], run: CliRun, *extra: tuple[str, str]) -> str:
    head = f"$ archon {' '.join(_quote(a) for a in argv)}\n(exit status {run.exit_code}, {run.seconds:.1f}s)\n"
    return head + _block("stderr", run.stderr) + _block("stdout", run.stdout) + "".join(_block(*e) for e in extra)


def _quote(arg: str) -> str:
    return f'"{arg}"' if any(c in arg for c in " '") else arg


def refactor(lab: AssistantLab, cli: CliName) -> str:
    _repository(lab)
    lab.script = _refactor_script(lab)
    argv = ("workflow", "run", "archon-refactor-safely", REQUEST)
    run = run_archon(lab, archon_env(lab, cli), *argv)
    return _transcript(argv, run, ("git diff (after the run)", _git(lab, "diff")))


def dry_run(lab: AssistantLab, cli: CliName) -> str:
    _repository(lab)
    argv = ("workflow", "run", "--dry-run", "archon-refactor-safely", REQUEST)
    return _transcript(argv, run_archon(lab, archon_env(lab, cli), *argv))


@dataclass(frozen=True)
class Row:
    scenario: str
    cli: CliName
    script: Callable[[AssistantLab], ModelScript]
    capability: str = "read"
    timeout: int = 600


def _fail(failure: Failure) -> Callable[[AssistantLab], ModelScript]:
    return lambda lab: ModelScript([Exchange("FAIL-MARK", (Fail(failure),))])


def _sleep(lab: AssistantLab) -> ModelScript:
    return ModelScript([Exchange("FAIL-MARK", (RunCommand(SLEEPER), Say("finished")))])


def _change(cli: CliName) -> Callable[[AssistantLab], ModelScript]:
    def script(lab: AssistantLab) -> ModelScript:
        greet = str(lab.work / "greet.py")
        edit = EditFile(greet, '    return "hello"', '    return "bye"')  # whole lines: codex patches lines
        change = RunCommand("sed -i s/hello/goodbye/ greet.py") if cli == "claude" else edit
        return ModelScript([Exchange("FAIL-MARK", (ReadFile(greet), change, Say("Changed.")))])

    return script


ROWS: tuple[Row, ...] = tuple(
    row
    for cli in CLIS
    for row in (
        Row("bad key (401)", cli, _fail(Failure.AUTHENTICATION)),
        Row("no permission (403)", cli, _fail(Failure.PERMISSION)),
        Row("bad request (400)", cli, _fail(Failure.INVALID_REQUEST)),
        Row(
            "credit too low (400)" if cli == "claude" else "quota (429 insufficient_quota)",
            cli,
            _fail(Failure.CREDIT_BALANCE if cli == "claude" else Failure.QUOTA),
        ),
        Row("rate limited (429)", cli, _fail(Failure.RATE_LIMIT)),
        Row("server error (500)", cli, _fail(Failure.SERVER_ERROR)),
        Row("overloaded (529)" if cli == "claude" else "overloaded (503)", cli, _fail(Failure.OVERLOADED)),
        Row("node timeout (5 s, a tool still running)", cli, _sleep, capability="run", timeout=5),
        Row("a read-only node changes a file", cli, _change(cli)),
    )
)


def failure_row(lab: AssistantLab, row: Row) -> tuple[str, CliRun]:
    """The row as a Markdown table line, and the run it was read from."""
    _repository(lab)
    lab.script = row.script(lab)
    node = f"{{id: ask, capability: {row.capability}, timeout: {row.timeout}, prompt: 'FAIL-MARK: {PROMPT}'}}"
    flow = f"name: flow\ndescription: d\nnodes:\n  - {node}\n"
    run = run_archon(lab, archon_env(lab, row.cli, workflow=flow), "workflow", "run", "flow")
    lines = run.stderr.splitlines()
    verdict = next((line for line in lines if line.startswith("node 'ask' failed")), f"exit {run.exit_code}")
    at = lines.index(verdict) if verdict in lines else len(lines)
    shown = next((line.strip() for line in lines[at + 1 :] if line.startswith("  ")), "")
    retried = next((line for line in lines if "retrying in" in line), None)
    cls = verdict.removeprefix("node 'ask' failed (").removesuffix(")").replace(": ", " (", 1) + ")"
    cls += ", retried" if retried else ""
    shown = shown.replace("|", "/") or "(the class only)"
    return f"| {row.scenario} | {row.cli} | `{cls}` | {run.seconds:.1f} | {shown} |", run


def failures(root: Path) -> str:
    out = ["| scenario | CLI | class (reason) | seconds | message shown |", "|---|---|---|---|---|"]
    details = []
    for index, row in enumerate(ROWS):
        with assistant_lab(root / f"failure-{index}") as lab:
            line, run = failure_row(lab, row)
        out.append(line)
        details.append(f"### {row.scenario}, {row.cli}\n\n```\n{run.stderr.rstrip()}\n```\n")
        print(line, flush=True)
    return "\n".join(out) + "\n\n## The runs\n\n" + "\n".join(details)


def _processes(lab: AssistantLab) -> list[str]:
    found = []
    for pid in lab.namespace.processes():
        info = read_process(pid)
        if info is not None and info.alive:
            found.append(f"{pid:>7} {' '.join(info.argv)[:150]}")
    return found


def ctrl_c(lab: AssistantLab) -> str:
    lab.script = ModelScript([Exchange("SLEEP-MARK", (RunCommand(SLEEPER), Say("finished")))])
    flow = "name: flow\ndescription: d\nnodes:\n  - {id: wait, capability: run, prompt: 'SLEEP-MARK: run it'}\n"
    env = {**archon_env(lab, "claude", workflow=flow), "ARCHON_TELEMETRY_DEBUG": "1"}
    env.pop("DO_NOT_TRACK")
    argv = ("workflow", "run", "flow")
    running = start_archon(lab, env, *argv)
    deadline = time.monotonic() + 120
    while tool_pid(lab) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    before = _processes(lab)
    sent = time.monotonic()
    os.kill(running.pid, signal.SIGINT)
    run = running.wait(timeout=60)
    after = _processes(lab)
    header = (
        f"{len(before)} processes in the lab's namespace while claude's Bash tool ran {SLEEPER!r}; SIGINT to archon "
        f"(pid {running.pid}); archon exited after {run.ended_at - sent:.2f}s; {len(after)} processes after.\n"
    )
    return header + _transcript(
        argv,
        run,
        ("processes before SIGINT", "\n".join(before)),
        ("processes after archon exited", "\n".join(after)),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--only", choices=["refactor", "dry-run", "failures", "ctrl-c"], action="append")
    args = parser.parse_args(argv)
    out: Path = args.outdir
    out.mkdir(parents=True, exist_ok=True)
    only = set(args.only or ["refactor", "dry-run", "failures", "ctrl-c"])
    with tempfile.TemporaryDirectory(prefix="archon-transcripts-") as tmp:
        root = Path(tmp)
        for cli in CLIS:
            if "refactor" in only:
                with assistant_lab(root / f"refactor-{cli}") as lab:
                    (out / f"a-refactor-{cli}.txt").write_text(refactor(lab, cli), encoding="utf-8")
            if "dry-run" in only:
                with assistant_lab(root / f"dry-{cli}") as lab:
                    (out / f"b-dry-run-{cli}.txt").write_text(dry_run(lab, cli), encoding="utf-8")
        if "failures" in only:
            (out / "c-failures.md").write_text(failures(root), encoding="utf-8")
        if "ctrl-c" in only:
            with assistant_lab(root / "ctrl-c") as lab:
                (out / "d-ctrl-c-claude.txt").write_text(ctrl_c(lab), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

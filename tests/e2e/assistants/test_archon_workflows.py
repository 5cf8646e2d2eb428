"""archon's workflows through the real, pinned claude and codex, against the fake model APIs, in the lab's network
namespace: the bundled refactor really changes a file, a node whose work is denied fails (and telemetry says so),
failures are classified and shown in the CLI's own words, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any

import pytest

from tests.support.archon_in_lab import (
    SLEEPER,
    archon_env,
    commit_files,
    debug_events,
    run_archon,
    start_archon,
    tool_pid,
)
from tests.support.assistant_clis import CliName
from tests.support.assistant_lab import AssistantLab
from tests.support.model_api import EditFile, Exchange, Fail, Failure, ModelScript, ReadFile, RunCommand, Say
from tests.support.proc import read_process

pytestmark = pytest.mark.slow

CLIS: tuple[CliName, ...] = ("claude", "codex")


@pytest.mark.parametrize("cli", CLIS)
def test_refactor_safely_changes_a_file(lab: AssistantLab, cli: CliName) -> None:
    greet = lab.work / "greet.py"
    commit_files(lab, {"greet.py": 'print("hello")\n', "scripts/test.sh": "#!/bin/sh\npython3 greet.py\n"})
    lab.script = ModelScript(
        [
            Exchange("SUMMARY-MARK", (Say("Rename the greeting\n\nhello becomes goodbye in greet.py."),)),
            Exchange(
                "APPLY-MARK",
                (
                    ReadFile(str(greet)),
                    EditFile(str(greet), 'print("hello")', 'print("goodbye")'),
                    Say("Done. SUMMARY-MARK"),
                ),
            ),
            Exchange("PLAN-MARK", (Say("1. In greet.py replace hello with goodbye. APPLY-MARK"),)),
        ]
    )
    env = archon_env(lab, cli)
    run = run_archon(lab, env, "workflow", "run", "archon-refactor-safely", "PLAN-MARK: say goodbye")
    assert run.exit_code == 0, run.describe()
    assert greet.read_text(encoding="utf-8") == 'print("goodbye")\n', run.describe()
    assert run.stdout == "Rename the greeting\n\nhello becomes goodbye in greet.py.\n"
    assert "archon-refactor-safely: 5/5 nodes succeeded" in run.stderr
    assert "[refactor] > " in run.stderr  # the edit was shown live
    (usage,) = [line for line in run.stderr.splitlines() if line.startswith("usage: ")]
    assert usage.endswith(" (no cost reported)") if cli == "codex" else ", $0." in usage  # claude prices its tokens
    for node in ("plan", "refactor", "summary"):
        assert f"\n  {node}: " in run.stderr  # each node's tokens too
        assert f"[{node}] ok (" in run.stderr


@pytest.mark.parametrize("cli", CLIS)
def test_a_node_whose_work_is_denied_fails_and_the_run_is_recorded_as_failed(lab: AssistantLab, cli: CliName) -> None:
    """A read-only node that tries to change a file: claude is not even offered its editing tools at ``read``, so
    the model tries the shell, which claude denies; codex's sandbox rejects the patch."""
    greet = lab.work / "greet.py"
    commit_files(lab, {"greet.py": 'print("hello")\n'})
    change = (
        RunCommand("sed -i s/hello/goodbye/ greet.py")
        if cli == "claude"
        else EditFile(str(greet), 'print("hello")', 'print("goodbye")')
    )
    lab.script = ModelScript([Exchange("EDIT-MARK", (ReadFile(str(greet)), change, Say("Changed.")))])
    flow = "name: flow\ndescription: d\nnodes:\n  - {id: look, prompt: 'EDIT-MARK: change it'}\n"
    env = {**archon_env(lab, cli, workflow=flow), "ARCHON_TELEMETRY_DEBUG": "1"}
    env.pop("DO_NOT_TRACK")
    run = run_archon(lab, env, "workflow", "run", "flow")
    assert run.exit_code == 1, run.describe()
    assert greet.read_text(encoding="utf-8") == 'print("hello")\n'
    assert "node 'look' failed (fatal: denied)" in run.stderr
    assert "[look] DENIED " in run.stderr
    assert '"event": "workflow.run_failed"' in run.stderr
    assert '"failure_kind": "denied"' in run.stderr
    assert '"error_class": "NodeDeniedError"' in run.stderr


FAILURES = [
    ("claude", Failure.AUTHENTICATION, "fatal", "Invalid API key"),
    ("claude", Failure.PERMISSION, "fatal", "API Error: 403"),
    ("claude", Failure.CREDIT_BALANCE, "credit_exhausted", "Credit balance is too low"),
    ("claude", Failure.INVALID_REQUEST, "fatal", "API Error: 400"),
    ("claude", Failure.OVERLOADED, "transient", "529 Overloaded"),
    ("codex", Failure.AUTHENTICATION, "fatal", "unexpected status 401 Unauthorized"),
    ("codex", Failure.PERMISSION, "fatal", "unexpected status 403 Forbidden"),
    ("codex", Failure.INVALID_REQUEST, "fatal", "invalid_request_error"),
    ("codex", Failure.QUOTA, "credit_exhausted", "Quota exceeded"),
    ("codex", Failure.RATE_LIMIT, "transient", "last status: 429"),
]


@pytest.mark.parametrize(("cli", "failure", "classification", "said"), FAILURES, ids=lambda v: getattr(v, "value", v))
def test_failures_are_classified_and_shown_in_the_clis_own_words(
    lab: AssistantLab, cli: CliName, failure: Failure, classification: str, said: str
) -> None:
    # The prompt's own words must not decide: they say "billing" and "rate limit" whatever the failure.
    lab.script = ModelScript([Exchange("FAIL-MARK", (Fail(failure),))])
    flow = "name: flow\ndescription: d\nnodes:\n  - {id: ask, prompt: 'FAIL-MARK: why is billing rate limited?'}\n"
    env = archon_env(lab, cli, workflow=flow)
    run = run_archon(lab, env, "workflow", "run", "flow", "--json")
    assert run.exit_code == 1, run.describe()
    ask = json.loads(run.stdout)["nodes"][0]
    assert (ask["classification"], ask["failure_kind"]) == (classification, "assistant_error"), run.describe()
    assert said in ask["message"]
    assert ask["attempts"] == (3 if classification == "transient" else 1)  # archon's own retries, transient only


@pytest.mark.parametrize("cli", CLIS)
def test_a_node_past_its_timeout_is_stopped_and_transient(lab: AssistantLab, cli: CliName) -> None:
    lab.script = ModelScript([Exchange("SLEEP-MARK", (RunCommand(SLEEPER), Say("finished")))])
    flow = "name: flow\ndescription: d\nnodes:\n  - {id: ask, capability: run, timeout: 5, prompt: 'SLEEP-MARK: go'}\n"
    run = run_archon(lab, archon_env(lab, cli, workflow=flow), "workflow", "run", "flow")
    assert run.exit_code == 1, run.describe()
    assert "node 'ask' failed (transient: timed out)" in run.stderr
    assert tool_pid(lab) is None  # the tool command was stopped with its CLI
    assert run.seconds < 60


@pytest.mark.parametrize(
    ("cli", "signum", "code", "error_class"),
    [
        ("claude", signal.SIGINT, 130, "KeyboardInterrupt"),
        ("claude", signal.SIGTERM, 143, "Terminated"),
        ("codex", signal.SIGINT, 130, "KeyboardInterrupt"),
    ],
)
def test_an_interrupt_during_a_tool_command_leaves_no_process_and_the_run_says_so(
    lab: AssistantLab, cli: CliName, signum: signal.Signals, code: int, error_class: str
) -> None:
    lab.script = ModelScript([Exchange("SLEEP-MARK", (RunCommand(SLEEPER), Say("finished")))])
    flow = "name: flow\ndescription: d\nnodes:\n  - {id: wait, capability: run, prompt: 'SLEEP-MARK: run it'}\n"
    env = {**archon_env(lab, cli, workflow=flow), "ARCHON_TELEMETRY_DEBUG": "1"}
    env.pop("DO_NOT_TRACK")
    running = start_archon(lab, env, "workflow", "run", "flow")
    deadline = time.monotonic() + 120
    while tool_pid(lab) is None:
        assert time.monotonic() < deadline, "the tool command never started"
        time.sleep(0.05)
    assert len(lab.namespace.processes()) > 2  # archon, the CLI, its tool command (and their helpers)
    os.kill(running.pid, signum)
    run = running.wait(timeout=60)
    assert run.exit_code == code, run.describe()
    left: list[Any] = [info for pid in lab.namespace.processes() if (info := read_process(pid)) and info.alive]
    assert left == [], left
    said = [line for line in run.stderr.splitlines() if line.startswith("archon: interrupted")]
    signal_name = "SIGTERM" if signum == signal.SIGTERM else "SIGINT"
    assert said == [
        f"archon: interrupted ({signal_name}): stopped node 'wait' and everything it started; nothing of this run is "
        "left running"
    ], run.describe()
    assert "[wait] STOPPED (the run was interrupted;" in run.stderr
    events = debug_events(run.stderr)
    (failed,) = [e["properties"] for e in events if e["event"] == "workflow.run_failed"]
    assert (failed["error_class"], failed["failed_node_type"]) == (error_class, "prompt")
    assert not [e for e in events if e["event"] == "workflow.node_failed"]
    (completed,) = [e["properties"] for e in events if e["event"] == "cli.command_completed"]
    assert completed["exit_code"] == code

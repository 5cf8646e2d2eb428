"""``archon workflow list | validate | run`` with real processes, fake provider CLIs and a recording sink."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from archon.cli.app import app
from archon.cli.context import Application
from archon.errors import UsageError
from archon.runtime import Runtime
from archon.telemetry.schema import (
    ErrorClassification,
    FailureKind,
    SafeName,
    WorkflowNodeFailed,
    WorkflowRunCompleted,
    WorkflowRunFailed,
    WorkflowRunStarted,
)
from archon.workflows.bundled import bundled_workflow_names
from archon.workflows.errors import (
    ProviderNotFoundError,
    WorkflowDefinitionError,
    WorkflowFailedError,
    WorkflowNotFoundError,
)
from tests.cli.conftest import KEYED_BUILD, Invoke
from tests.support.workflow_fakes import RecordingSink, fake_provider, path_with, recorded_argv, recorded_stdin


class Cli:
    """``archon`` in-process, with an Application whose environment, home, cwd and sink the test chooses."""

    def __init__(self, home: Path, cwd: Path, bin_dir: Path) -> None:
        self.home = home
        self.cwd = cwd
        self.bin = bin_dir
        self.sink = RecordingSink()
        self.env: dict[str, str] = {"PATH": path_with(bin_dir), "HOME": str(cwd)}

    def __call__(self, *args: str, stderr_is_tty: bool = False) -> Result:
        runtime = Runtime(
            env=dict(self.env),
            home=self.home,
            cwd=self.cwd,
            stderr_is_tty=stderr_is_tty,
            user_home=self.cwd.parent,  # the walk for a repository stops there, never at a planted /tmp/.git
        )
        return CliRunner().invoke(app, list(args), obj=Application(runtime=runtime, telemetry=self.sink))

    def add_workflow(self, text: str, name: str = "mine.yaml") -> Path:
        directory = self.cwd / ".archon" / "workflows"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text, encoding="utf-8")
        return directory / name


@pytest.fixture
def cli(isolation: Path, tmp_path: Path) -> Cli:
    cwd = tmp_path / "project"
    cwd.mkdir()
    return Cli(isolation, cwd, tmp_path / "bin")


def test_list_in_a_fresh_home_shows_the_bundled_workflows(cli: Cli) -> None:
    result = cli("workflow", "list")
    assert result.exit_code == 0, result.output
    listed = {line.split()[0] for line in result.stdout.splitlines()}
    assert listed == bundled_workflow_names()
    assert all("[bundled]" in line for line in result.stdout.splitlines())


def test_list_json_shape(cli: Cli) -> None:
    cli.add_workflow("name: mine\ndescription: mine\nnodes: [{id: a, bash: 'true'}]\n")
    data = json.loads(cli("workflow", "list", "--json").stdout)
    assert set(data) == {"workflows", "errors", "skipped"}
    mine = next(w for w in data["workflows"] if w["name"] == "mine")
    assert set(mine) == {"name", "description", "origin", "source", "provider", "model", "nodes", "overrides"}
    assert mine["origin"] == "repo"
    assert mine["nodes"] == [
        {"id": "a", "kind": "bash", "depends_on": [], "command": None, "capability": None, "model": None,
         "resume": None}
    ]  # fmt: skip
    assist = next(w for w in data["workflows"] if w["name"] == "archon-assist")
    assert [n["capability"] for n in assist["nodes"]] == [None, "run"]
    assert data["errors"] == []
    assert data["skipped"] == []


def test_list_json_names_a_broken_file_by_its_path_and_what_it_hides(cli: Cli) -> None:
    path = cli.add_workflow("name: archon-assist\ndescription: d\nnodes: oops\n", "assist-override.yaml")
    data = json.loads(cli("workflow", "list", "--json").stdout)
    (error,) = data["errors"]
    assert set(error) == {"file", "stem", "hides", "message"}
    assert (error["file"], error["stem"], error["hides"]) == (str(path), "assist-override", "archon-assist")
    assert error["message"].startswith(f"{path}: ")
    assert "archon-assist" not in {w["name"] for w in data["workflows"]}


def test_run_of_a_name_a_broken_override_hides_fails_naming_the_file(cli: Cli) -> None:
    """Issue 19, item 7, as reported: a valid ~/.archon/workflows/dup.yaml and a broken repo dup-override.yaml,
    both named dup. Before, `run dup` ran the user's version and exited 0."""
    (cli.home / "workflows").mkdir(parents=True)
    (cli.home / "workflows" / "dup.yaml").write_text(
        "name: dup\ndescription: d\nnodes: [{id: a, bash: 'touch ran-user-version'}]\n", encoding="utf-8"
    )
    broken = cli.add_workflow("name: dup\ndescription: d\nnodes: [{id: a, bash: x, prompt: y}]\n", "dup-override.yaml")
    result = cli("workflow", "run", "dup")
    assert isinstance(result.exception, WorkflowDefinitionError)
    assert result.exception.exit_code == 2
    assert result.exception.message.startswith(f"{broken}: node 'a'")
    assert "replaces workflow 'dup'" in result.exception.message
    assert not (cli.cwd / "ran-user-version").exists()


def test_list_and_run_say_why_a_repository_was_skipped_and_run_the_bundled_workflow(cli: Cli) -> None:
    """The issue's attack in one process: a repository anyone may write (sticky, like /tmp) with a workflow named
    like a bundled one. Its bash never runs; list and run say why the repository was not read."""
    shared = cli.cwd
    planted = cli.add_workflow(
        "name: archon-assist\ndescription: planted\nnodes: [{id: a, bash: 'touch pwned'}]\n", "x.yaml"
    )
    shared.chmod(0o1777)
    fake_provider(cli.bin, "claude", "echo")
    listed = cli("workflow", "list", "--json")
    assert listed.exit_code == 0
    assert json.loads(listed.stdout)["skipped"] == [
        {"origin": "repo", "source": str(shared), "path": str(shared), "reason": "writable-by-others"}
    ]
    warning = f"not using the workflows and commands of the repository {shared}: {shared} is writable by other users"
    assert warning in listed.stderr
    result = cli("workflow", "run", "archon-assist", "why?")
    assert result.exit_code == 0, result.output
    assert warning in result.stderr
    assert not (shared / "pwned").exists()
    assert planted.exists()
    assert "answer to:" in result.stdout  # the bundled archon-assist ran


def test_list_reports_a_broken_file_and_exits_2(cli: Cli) -> None:
    cli.add_workflow("name: broken\ndescription: d\nnodes: [{id: a, bash: x, prompt: y}]\n", "broken.yaml")
    result = cli("workflow", "list")
    assert result.exit_code == 2
    assert "archon-assist" in result.stdout
    assert "broken.yaml: node 'a': field 'prompt': has both 'bash' and 'prompt'" in result.stderr


def test_validate_accepts_a_good_file_and_names_the_problem_in_a_bad_one(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("name: good\ndescription: d\nnodes: [{id: a, bash: x}, {id: b, bash: y, depends_on: [a]}]\n")
    result = cli("workflow", "validate", str(good))
    assert result.exit_code == 0
    assert "ok: workflow 'good', 2 nodes in 2 levels" in result.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ndescription: d\nnodes: [{id: a, bash: x, depends_on: [zzz]}]\n")
    error = cli("workflow", "validate", str(bad)).exception
    assert isinstance(error, WorkflowDefinitionError)
    assert error.exit_code == 2
    assert error.message == f"{bad}: node 'a': field 'depends_on': unknown node 'zzz'"


def test_the_real_entry_point_exits_2_on_an_invalid_workflow_and_runs_nothing(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    workflows = tmp_path / ".archon" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "cyc.yaml").write_text(
        "name: cyc\ndescription: d\nnodes:\n"
        "  - {id: a, bash: 'touch ran', depends_on: [b]}\n  - {id: b, bash: 'touch ran', depends_on: [a]}\n"
    )
    env = {**os.environ, "ARCHON_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-m", "archon", "workflow", "run", "cyc"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "cyc.yaml: node 'a': field 'depends_on': dependency cycle: a -> b -> a" in done.stderr
    assert not (tmp_path / "ran").exists()


def test_an_unknown_workflow_is_a_usage_error(cli: Cli) -> None:
    error = cli("workflow", "run", "does-not-exist").exception
    assert isinstance(error, WorkflowNotFoundError)
    assert error.exit_code == 2


USER_FLOW = """\
name: my-secret-flow
description: d
nodes:
  - {id: gather, bash: 'echo "gathered $ARGUMENTS for $who"'}
  - {id: ask, depends_on: [gather], prompt: 'Think about: $gather.output', timeout: 3}
"""


def test_a_successful_run_prints_the_final_output_and_records_sanitised_events(cli: Cli) -> None:
    fake = fake_provider(cli.bin, "claude", "echo")
    cli.add_workflow(USER_FLOW)
    result = cli("workflow", "run", "my-secret-flow", "the", "bug", "--input", "who=alice")
    assert result.exit_code == 0, result.output
    assert result.stdout == "answer to: Think about: gathered the bug for alice\n"
    assert "2/2 nodes succeeded" in result.stderr
    assert "usage: 10 tokens in, 2 out, $0.0010" in result.stderr
    assert recorded_stdin(fake) == "Think about: gathered the bug for alice"
    started, completed = cli.sink.events
    assert started == WorkflowRunStarted(
        workflow_name=SafeName("user-defined"), node_count=2, provider="claude", is_cli_invoked=True
    )
    assert isinstance(completed, WorkflowRunCompleted)
    assert (completed.workflow_name, completed.node_count, completed.nodes_completed) == ("user-defined", 2, 2)
    assert completed.duration_ms >= 0


@pytest.mark.parametrize(
    ("behaviour", "classification", "kind", "error_class"),
    [
        ("hang", "transient", "timed_out", "NodeTimeoutError"),
        ("claude/error_authentication", "fatal", "assistant_error", "AssistantFailedError"),
        ("claude/error_credit_balance", "credit_exhausted", "assistant_error", "AssistantFailedError"),
        ("claude/bash_default", "fatal", "denied", "NodeDeniedError"),
        ("crash", "fatal", "assistant_error", "AssistantFailedError"),
    ],
)
def test_a_failing_provider_is_classified_in_output_exit_code_and_events(
    cli: Cli, behaviour: str, classification: ErrorClassification, kind: FailureKind, error_class: str
) -> None:
    fake_provider(cli.bin, "claude", behaviour)
    cli.add_workflow(USER_FLOW.replace("timeout: 3", "timeout: 1" if behaviour == "hang" else "timeout: 30"))
    result = cli("workflow", "run", "my-secret-flow", "--json")
    assert result.exit_code == 1
    assert isinstance(result.exception, WorkflowFailedError)
    assert f"node 'ask' failed ({classification}: " in result.exception.message
    data = json.loads(result.stdout)
    assert data["ok"] is False
    gather, ask = data["nodes"]
    assert (gather["status"], ask["status"], ask["classification"]) == ("succeeded", "failed", classification)
    assert cli.sink.names() == ["workflow.run_started", "workflow.node_failed", "workflow.run_failed"]
    _, node_failed, run_failed = cli.sink.events
    assert node_failed == WorkflowNodeFailed(
        workflow_name=SafeName("user-defined"),
        node_type="prompt",
        error_classification=classification,
        failure_kind=kind,
        provider="claude",
    )
    assert ask["failure_kind"] == kind
    assert isinstance(run_failed, WorkflowRunFailed)
    assert (run_failed.error_class, run_failed.failed_node_type) == (error_class, "prompt")


def test_run_json_shape(cli: Cli) -> None:
    fake_provider(cli.bin, "claude", "echo")
    cli.add_workflow(USER_FLOW)
    data: dict[str, Any] = json.loads(cli("workflow", "run", "my-secret-flow", "--json").stdout)
    assert set(data) == {
        "workflow", "source", "provider", "max_capability", "ok", "error", "interrupted", "left_running",
        "duration_ms", "usage", "nodes",
    }  # fmt: skip
    node_keys = {
        "id", "kind", "status", "capability", "model", "classification", "reason", "failure_kind", "error",
        "message", "denials", "exit_code", "duration_ms", "attempts", "session_id", "usage", "skipped_because",
        "output", "stderr",
    }  # fmt: skip
    assert all(set(node) == node_keys for node in data["nodes"])
    assert (data["ok"], data["provider"], data["error"]) == (True, "claude", None)
    assert (data["interrupted"], data["left_running"]) == (None, None)
    usage_keys = {"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd"}
    gather, ask = data["nodes"]
    assert (gather["usage"], set(ask["usage"]), set(data["usage"])) == (None, usage_keys, usage_keys)
    assert (ask["capability"], ask["session_id"], ask["attempts"], ask["denials"]) == ("read", "session-0", 1, [])


def test_quiet_still_gives_tokens_and_cost_per_node_and_per_run(cli: Cli) -> None:
    fake_provider(cli.bin, "claude", "echo")
    cli.add_workflow(USER_FLOW + "  - {id: again, depends_on: [ask], prompt: 'Again: $ask.output'}\n")
    result = cli("workflow", "run", "my-secret-flow", "--quiet")
    assert result.exit_code == 0, result.output
    assert "[ask]" not in result.stderr
    assert "usage: 20 tokens in, 4 out, $0.0020\n  ask: 10 tokens in, 2 out, $0.0010\n" in result.stderr
    assert "  again: 10 tokens in, 2 out, $0.0010" in result.stderr


def test_json_stays_pure_on_stdout_while_progress_goes_to_stderr(cli: Cli) -> None:
    fake_provider(cli.bin, "claude", "claude/edit_accept_edits")
    cli.add_workflow(USER_FLOW.replace("timeout: 3", "capability: edit"))
    result = cli("workflow", "run", "my-secret-flow", "--json")
    data = json.loads(result.stdout)  # nothing but the one object
    assert data["nodes"][1]["status"] == "succeeded"
    assert "[ask] > " in result.stderr  # the live tool activity went to stderr
    assert "[gather] | gathered" in result.stderr


def test_run_json_names_what_was_denied(cli: Cli) -> None:
    fake_provider(cli.bin, "claude", "claude/edit_dont_ask")
    cli.add_workflow(USER_FLOW.replace("timeout: 3", "capability: edit"))
    result = cli("workflow", "run", "my-secret-flow", "--json")
    ask = json.loads(result.stdout)["nodes"][1]
    assert ask["denials"] == [{"tool": "Edit", "detail": "<LAB>/work/greet.py"}]
    assert (ask["status"], ask["failure_kind"], ask["capability"]) == ("failed", "denied", "edit")


def test_the_clis_own_error_message_is_shown(cli: Cli) -> None:
    fake_provider(cli.bin, "claude", "claude/error_credit_balance")
    cli.add_workflow(USER_FLOW)
    result = cli("workflow", "run", "my-secret-flow")
    assert result.exit_code == 1
    assert "node 'ask' failed (credit_exhausted: billing error)" in result.stderr
    assert "claude said: Credit balance is too low" in result.stderr


@pytest.mark.parametrize(
    ("config", "warning"),
    [
        ("defaultAssistant: gpt\n", "{path}: defaultAssistant must be one of claude, codex; using claude"),
        ("defaultAssistant: [\n", "{path} is not valid YAML"),
    ],
)
def test_a_config_that_cannot_name_the_assistant_falls_back_to_claude_with_a_warning(
    cli: Cli, config: str, warning: str
) -> None:
    fake_provider(cli.bin, "claude", "echo")
    cli.add_workflow(USER_FLOW)
    cli.home.mkdir(exist_ok=True)
    (cli.home / "config.yaml").write_text(config, encoding="utf-8")
    result = cli("workflow", "run", "my-secret-flow")
    assert result.exit_code == 0, result.output
    assert f"archon: warning: {warning.format(path=cli.home / 'config.yaml')}" in result.stderr


def test_a_cli_that_said_nothing_is_not_quoted_as_saying_something(cli: Cli) -> None:
    fake_provider(cli.bin, "claude", "crash")
    cli.add_workflow(USER_FLOW)
    result = cli("workflow", "run", "my-secret-flow")
    assert result.exit_code == 1
    assert "node 'ask' failed (fatal: no result (exit status -11))" in result.stderr
    assert "said:" not in result.stderr


def test_an_argument_that_looks_like_a_flag_reaches_the_assistant_as_the_prompt(cli: Cli) -> None:
    """The reported case: `archon workflow run ask -- --dangerously-skip-permissions` ran `claude -p
    --dangerously-skip-permissions`, turning the user's argument into a permission flag."""
    fake = fake_provider(cli.bin, "claude", "echo")
    cli.add_workflow('name: ask\ndescription: d\nnodes: [{id: ask, prompt: "$ARGUMENTS"}]\n')
    result = cli("workflow", "run", "ask", "--", "--dangerously-skip-permissions")
    assert result.exit_code == 0, result.output
    assert result.stdout == "answer to: --dangerously-skip-permissions\n"
    assert recorded_stdin(fake) == "--dangerously-skip-permissions"
    assert not any(arg.startswith("--dangerously") for arg in recorded_argv(fake))


def test_a_missing_provider_cli_is_a_clear_error_with_a_run_failed_event(cli: Cli) -> None:
    cli.env["ARCHON_CLAUDE_BIN"] = str(cli.bin / "not-installed")
    cli.add_workflow(USER_FLOW)
    result = cli("workflow", "run", "my-secret-flow")
    assert isinstance(result.exception, ProviderNotFoundError)
    assert result.exception.exit_code == 1
    assert cli.sink.names() == ["workflow.run_started", "workflow.run_failed"]
    run_failed = cli.sink.events[1]
    assert isinstance(run_failed, WorkflowRunFailed)
    assert (run_failed.error_class, run_failed.failed_node_type) == ("ProviderNotFoundError", "prompt")


def test_the_default_assistant_from_config_is_used(cli: Cli) -> None:
    codex = fake_provider(cli.bin, "codex", "echo")
    cli.home.mkdir(parents=True, exist_ok=True)
    (cli.home / "config.yaml").write_text("# mine\ndefaultAssistant: codex\n")
    cli.add_workflow(USER_FLOW)
    assert cli("workflow", "run", "my-secret-flow").exit_code == 0
    assert recorded_argv(codex)[0] == "exec"
    assert isinstance(cli.sink.events[0], WorkflowRunStarted)
    assert cli.sink.events[0].provider == "codex"


def test_a_bundled_workflow_runs_and_keeps_its_name_in_events(cli: Cli) -> None:
    fake = fake_provider(cli.bin, "claude", "echo")
    result = cli("workflow", "run", "archon-assist", "what does this repo do?")
    assert result.exit_code == 0, result.output
    prompt = recorded_stdin(fake)
    assert "what does this repo do?" in prompt
    assert "Not a git repository" in prompt  # the context node's output reached the prompt
    assert [getattr(e, "workflow_name", None) for e in cli.sink.events] == ["archon-assist", "archon-assist"]


@pytest.mark.parametrize("origin", ["repo", "user"])
def test_a_workflow_of_ones_own_that_replaces_a_bundled_one_is_user_defined_in_events(cli: Cli, origin: str) -> None:
    """Replacing a bundled workflow by name is documented; what runs is then the user's own, which is never named."""
    fake_provider(cli.bin, "claude", "echo")
    text = "name: archon-assist\ndescription: mine\nnodes: [{id: a, bash: 'echo my own'}]\n"
    if origin == "repo":
        cli.add_workflow(text, "assist.yaml")
    else:
        (cli.home / "workflows").mkdir(parents=True)
        (cli.home / "workflows" / "assist.yaml").write_text(text, encoding="utf-8")
    listed = json.loads(cli("workflow", "list", "--json").stdout)["workflows"]
    assert next(w for w in listed if w["name"] == "archon-assist")["origin"] == origin
    result = cli("workflow", "run", "archon-assist")
    assert result.exit_code == 0, result.output
    assert result.stdout == "my own\n"
    assert "archon: notice: 'archon-assist' is " in result.stderr
    assert "assist.yaml, which replaces <bundled>/archon-assist.yaml" in result.stderr
    assert cli.sink.names() == ["workflow.run_started", "workflow.run_completed"]
    assert [getattr(e, "workflow_name", None) for e in cli.sink.events] == ["user-defined", "user-defined"]


def test_dry_run_runs_nothing_and_records_nothing(cli: Cli) -> None:
    cli.add_workflow(
        "name: dry\ndescription: d\nnodes:\n"
        "  - {id: a, bash: 'touch ran; echo $ARGUMENTS'}\n  - {id: b, prompt: 'use $a.output', depends_on: [a]}\n"
    )
    result = cli("workflow", "run", "dry", "x y", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "provider: claude (NOT FOUND" in result.stdout
    assert "echo ${ARCHON_ARGUMENTS}" in result.stdout
    assert "use <output of a>" in result.stdout
    assert "may: read (read-only); model: the CLI default" in result.stdout
    assert "< STDIN, where STDIN is:" in result.stdout
    plan = json.loads(cli("workflow", "run", "dry", "x y", "--dry-run", "--json").stdout)
    assert set(plan) == {"workflow", "source", "provider", "provider_binary", "max_capability", "nodes"}
    assert set(plan["nodes"][0]) == {
        "id", "kind", "level", "depends_on", "timeout", "capability", "declared_capability", "model", "resume",
        "argv", "env", "stdin", "problem",
    }  # fmt: skip
    assert plan["nodes"][0]["env"] == {"ARCHON_ARGUMENTS": "x y"}
    assert [n["level"] for n in plan["nodes"]] == [0, 1]
    assert (plan["nodes"][1]["capability"], plan["nodes"][1]["stdin"]) == ("read", "use <output of a>")
    assert not (cli.cwd / "ran").exists()
    assert cli.sink.events == []


@pytest.mark.parametrize(
    ("provider", "run_flags"),
    [
        ("claude", "--permission-mode acceptEdits --allowedTools=Bash --permission-prompts none"),
        ("codex", "--sandbox workspace-write -c sandbox_workspace_write.exclude_slash_tmp=true "
         "-c sandbox_workspace_write.network_access=true -c approval_policy=\"never\""),
    ],
)  # fmt: skip
def test_the_dry_run_of_the_bundled_refactor_shows_each_nodes_capability_model_and_temp_dir(
    cli: Cli, provider: str, run_flags: str
) -> None:
    fake_provider(cli.bin, provider, "echo")
    cli.home.mkdir(exist_ok=True)
    (cli.home / "config.yaml").write_text(f"defaultAssistant: {provider}\n", encoding="utf-8")
    result = cli("workflow", "run", "--dry-run", "archon-refactor-safely", "rename greet's hello to goodbye")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert [line.strip() for line in out.splitlines() if line.startswith("    may: ")] == [
        "may: read (read-only); model: the CLI default",
        "may: run (may edit files and run commands); model: the CLI default",
        "may: read (read-only); model: the CLI default",
    ]
    assert out.count("bash: runs your script") == 2
    assert f"{run_flags} " in out
    assert "env TMPDIR='<temp dir of refactor>'" in out


def test_progress_is_shown_live_per_node_unless_quiet(cli: Cli) -> None:
    cli.add_workflow("name: p\ndescription: d\nnodes: [{id: a, bash: 'echo hi'}, {id: b, bash: 'exit 1'}]\n")
    for tty in (True, False):
        result = cli("workflow", "run", "p", stderr_is_tty=tty)
        assert "a] | hi" in result.stderr
        assert "a] ok (" in result.stderr
        assert "b] FAILED (fatal: exit status 1" in result.stderr
    quiet = cli("workflow", "run", "p", "--quiet")
    assert "a] ok" not in quiet.stderr
    assert "node 'b' failed (fatal: exit status 1)" in quiet.stderr


def test_the_run_can_be_capped_and_the_dry_run_shows_it(cli: Cli) -> None:
    fake = fake_provider(cli.bin, "claude", "echo")
    result = cli("workflow", "run", "archon-assist", "why?", "--max-capability", "read", "--dry-run")
    assert "capped at: read (--max-capability)" in result.stdout
    assert "may: read (read-only), capped from run" in result.stdout
    assert cli("workflow", "run", "archon-assist", "why?", "--max-capability", "read", "-q").exit_code == 0
    assert "--disallowedTools=Edit,Write,NotebookEdit" in recorded_argv(fake)
    bad = cli("workflow", "run", "archon-assist", "--max-capability", "all")
    assert isinstance(bad.exception, UsageError)
    assert "choose one of: read, edit, run" in bad.exception.message


def test_an_input_used_where_bash_evaluates_it_is_refused_before_anything_runs(cli: Cli) -> None:
    cli.add_workflow("name: count\ndescription: d\nnodes: [{id: a, bash: 'touch ran; n=1; (( $n > 0 ))'}]\n")
    assert cli("workflow", "run", "count").exit_code == 0  # $n is the script's own variable: no --input n
    (cli.cwd / "ran").unlink()
    error = cli("workflow", "run", "count", "--input", "n=x[$(touch pwned)]").exception
    assert isinstance(error, WorkflowDefinitionError)
    assert "node 'a': field 'bash': line 1: $n is used where bash evaluates a value as code" in error.message
    assert not (cli.cwd / "ran").exists()
    assert not (cli.cwd / "pwned").exists()


def test_bad_inputs_are_usage_errors(cli: Cli) -> None:
    cli.add_workflow("name: p\ndescription: d\nnodes: [{id: a, bash: 'true'}]\n")
    error = cli("workflow", "run", "p", "--input", "not-a-name=1").exception
    assert error is not None
    assert getattr(error, "exit_code", None) == 2


def test_with_telemetry_on_the_run_is_recorded_for_real_and_sanitised(invoke: Invoke, tmp_path: Path) -> None:
    """Through archon's real entry point and telemetry session: the events land in the outbox (never sent here:
    the keyed build points at a closed loopback port and the runtime starts no flusher)."""
    fake_provider(tmp_path / "bin", "claude", "claude/error_authentication")
    workflows = tmp_path / ".archon" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "mine.yaml").write_text(USER_FLOW)
    env = {"PATH": path_with(tmp_path / "bin"), "ARCHON_TELEMETRY": "on"}
    ran = invoke("workflow", "run", "my-secret-flow", "private-argument", env=env, build=KEYED_BUILD)
    assert ran.exit_code == 1
    assert "node 'ask' failed (fatal: HTTP 401)" in ran.stderr
    shown = invoke("telemetry", "inspect", env=env, build=KEYED_BUILD)
    events = {e["event"]: e["properties"] for e in json.loads(shown.stdout)["events"]}
    assert events["workflow.run_started"]["workflow_name"] == "user-defined"
    assert events["workflow.node_failed"]["error_classification"] == "fatal"
    assert events["workflow.node_failed"]["failure_kind"] == "assistant_error"
    assert events["workflow.run_failed"]["error_class"] == "AssistantFailedError"
    for private in ("my-secret-flow", "private-argument", "gather", "Think about"):
        assert private not in shown.stdout


@pytest.mark.skipif(sys.platform == "win32" or not Path("/proc").is_dir(), reason="POSIX signals and /proc")
def test_ctrl_c_stops_the_run_and_everything_its_nodes_started(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    workflows = tmp_path / ".archon" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "hang.yaml").write_text(
        "name: hang\ndescription: d\nnodes:\n  - {id: a, bash: 'sleep 60 & echo $! > child.pid; wait'}\n"
    )
    env = {**os.environ, "ARCHON_HOME": str(tmp_path / "home")}
    archon = subprocess.Popen(
        [sys.executable, "-m", "archon", "workflow", "run", "hang"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pid_file = tmp_path / "child.pid"
        for _ in range(600):  # bounded: at most ~30 s for a slow start
            if pid_file.exists() and pid_file.read_text().strip():
                break
            if archon.poll() is not None:
                break
            time.sleep(0.05)
        archon.send_signal(signal.SIGINT)
        _, stderr = archon.communicate(timeout=30)
    finally:
        if archon.poll() is None:
            archon.kill()
            archon.wait()
    assert archon.returncode == 130, stderr
    child = int(pid_file.read_text())
    status = Path(f"/proc/{child}/status")
    assert not status.exists() or "\nState:\tZ" in status.read_text()


FAILING_FLOW = """
name: failing-flow
description: fails on purpose
nodes:
  - id: boom
    bash: "echo oops >&2; exit 3"
  - id: after
    bash: "echo after"
    depends_on: [boom]
"""


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_a_failed_workflow_says_so_once_with_the_declared_exit_code(
    isolation: Path, tmp_path: Path, extra: list[str]
) -> None:
    repo = tmp_path / "repo"
    (repo / ".archon" / "workflows").mkdir(parents=True)
    (repo / ".archon" / "workflows" / "failing.yaml").write_text(FAILING_FLOW, encoding="utf-8")
    env = {**os.environ, "ARCHON_HOME": str(isolation), "DO_NOT_TRACK": "1"}
    subprocess.run(
        [sys.executable, "-P", "-m", "archon", "version"], env=env, cwd=repo, check=True, capture_output=True
    )
    done = subprocess.run(
        [sys.executable, "-P", "-m", "archon", "workflow", "run", "failing-flow", *extra],
        env=env,
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == WorkflowFailedError.exit_code
    assert done.stderr.count("node 'boom' failed (fatal: exit status 3)") == 1, done.stderr

"""The executor against real processes: bash nodes, and fake provider CLIs that behave like the real ones."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from archon.workflows.commands import CommandLibrary
from archon.workflows.errors import NodeCommandError, NodeSpawnError, NodeTimeoutError, ProviderNotFoundError
from archon.workflows.executor import run_workflow
from archon.workflows.loader import parse_workflow
from archon.workflows.model import Node, Workflow
from archon.workflows.providers import ProviderName
from archon.workflows.results import NodeResult, RunResult
from tests.support.workflow_fakes import fake_provider, path_with, recorded_argv, write_executable

COMMANDS = CommandLibrary({"summarize": "Summarize for $who: $ARGUMENTS"})


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def run_started(self, workflow: Workflow, provider: ProviderName | None) -> None:
        self.calls.append(("run_started", str(provider)))

    def node_started(self, node: Node) -> None:
        self.calls.append(("node_started", node.id))

    def node_finished(self, result: NodeResult) -> None:
        self.calls.append((f"node_{result.status}", result.node.id))

    def run_finished(self, result: RunResult) -> None:
        self.calls.append(("run_finished", "ok" if result.ok else "failed"))


def _node(result: RunResult, node_id: str) -> NodeResult:
    (found,) = [node for node in result.nodes if node.node.id == node_id]
    return found


def workflow(text: str) -> Workflow:
    return parse_workflow(textwrap.dedent(text), source="test.yaml", origin="file", commands=COMMANDS)


def run(
    wf: Workflow,
    cwd: Path,
    *,
    env: dict[str, str] | None = None,
    provider: ProviderName = "claude",
    arguments: tuple[str, ...] = (),
    inputs: dict[str, str] | None = None,
    observer: Recorder | None = None,
    max_parallel: int = 4,
) -> RunResult:
    return run_workflow(
        wf,
        arguments=arguments,
        inputs=inputs or {},
        provider=provider,
        env=env if env is not None else {"PATH": os.environ["PATH"]},
        cwd=cwd,
        observer=observer or Recorder(),
        max_parallel=max_parallel,
    )


def test_nodes_run_in_dependency_order_and_see_earlier_outputs(tmp_path: Path) -> None:
    wf = workflow(
        """\
        name: chain
        description: d
        nodes:
          - {id: greet, depends_on: [name], bash: 'echo "hello $name.output, $ARGUMENTS, $tone"'}
          - {id: name, bash: 'printf "world\\n\\n"'}
        """
    )
    recorder = Recorder()
    result = run(wf, tmp_path, arguments=("a", "b"), inputs={"tone": "kindly"}, observer=recorder)
    assert result.ok
    assert _node(result, "greet").output == "hello world, a b, kindly\n"
    assert result.provider is None  # bash only: no assistant involved
    assert recorder.calls == [
        ("run_started", "None"),
        ("node_started", "name"),
        ("node_succeeded", "name"),
        ("node_started", "greet"),
        ("node_succeeded", "greet"),
        ("run_finished", "ok"),
    ]
    assert result.nodes_completed == 2


WAIT_FOR_EACH_OTHER = """\
name: pair
description: each node waits for the other's marker, so they only both succeed when they run at the same time
nodes:
  - id: left
    timeout: 5
    bash: 'touch left; for _ in $(seq 200); do [ -e right ] && exit 0; sleep 0.02; done; exit 1'
  - id: right
    timeout: 5
    bash: 'touch right; for _ in $(seq 200); do [ -e left ] && exit 0; sleep 0.02; done; exit 1'
"""


def test_independent_nodes_run_concurrently(tmp_path: Path) -> None:
    assert run(workflow(WAIT_FOR_EACH_OTHER), tmp_path).ok


def test_max_parallel_one_runs_them_one_after_the_other(tmp_path: Path) -> None:
    impatient = WAIT_FOR_EACH_OTHER.replace("seq 200", "seq 10")  # the first one cannot succeed: fail it fast
    result = run(workflow(impatient), tmp_path, max_parallel=1)
    assert [r.status for r in result.nodes] == ["failed", "succeeded"]


def test_dependents_of_a_failed_node_are_skipped_and_other_branches_go_on(tmp_path: Path) -> None:
    wf = workflow(
        """\
        name: branches
        description: d
        nodes:
          - {id: broken, bash: 'echo oops >&2; exit 3'}
          - {id: child, depends_on: [broken], bash: 'touch child-ran'}
          - {id: grandchild, depends_on: [child], bash: 'touch grandchild-ran'}
          - {id: other, bash: 'echo fine'}
        """
    )
    recorder = Recorder()
    result = run(wf, tmp_path, observer=recorder)
    assert not result.ok
    assert [r.status for r in result.nodes] == ["failed", "skipped", "skipped", "succeeded"]
    broken = _node(result, "broken")
    assert (broken.returncode, broken.stderr) == (3, "oops\n")
    assert broken.failure is not None
    assert broken.failure.classification == "fatal"
    assert isinstance(broken.error, NodeCommandError)
    assert result.failed_node is not None
    assert result.failed_node.id == "broken"
    assert _node(result, "child").skipped_because == "broken"
    assert _node(result, "grandchild").skipped_because == "child"
    assert not (tmp_path / "child-ran").exists()
    assert not (tmp_path / "grandchild-ran").exists()
    assert ("node_skipped", "grandchild") in recorder.calls


def _is_gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # a zombie waiting for a parent that is not us: dead all the same


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see the killed process")
def test_a_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    wf = workflow(
        """\
        name: slow
        description: d
        nodes:
          - id: hang
            timeout: 0.3
            bash: 'sleep 60 & echo $! > child.pid; wait'
        """
    )
    result = run(wf, tmp_path)
    hang = _node(result, "hang")
    assert hang.status == "failed"
    assert hang.failure is not None
    assert (hang.failure.classification, hang.failure.reason) == ("transient", "timed out")
    assert isinstance(hang.error, NodeTimeoutError)
    assert isinstance(result.error, TimeoutError)  # a built-in name for telemetry's error_class
    assert _is_gone(int((tmp_path / "child.pid").read_text()))


@pytest.mark.parametrize(("provider", "flags"), [("claude", ["-p"]), ("codex", ["exec"])])
def test_prompt_and_command_nodes_go_through_the_provider_cli(
    provider: ProviderName, flags: list[str], tmp_path: Path
) -> None:
    fake = fake_provider(tmp_path / "bin", provider, "success")
    wf = workflow(
        """\
        name: ask
        description: d
        nodes:
          - {id: facts, bash: 'echo "it is $(echo 42)"'}
          - {id: ask, depends_on: [facts], prompt: 'Given "$facts.output", answer $ARGUMENTS'}
          - {id: sum, depends_on: [ask], command: summarize}
        """
    )
    result = run(
        wf,
        tmp_path,
        env={"PATH": path_with(tmp_path / "bin")},
        provider=provider,
        arguments=("why?",),
        inputs={"who": "ops"},
    )
    assert result.ok, result.error
    assert result.provider == provider
    assert _node(result, "ask").output == 'answer to: Given "it is 42", answer why?\n'
    assert _node(result, "ask").provider == provider
    assert _node(result, "facts").provider is None
    assert recorded_argv(fake) == [*flags, "--", "Summarize for ops: why?"]


@pytest.mark.parametrize(("provider", "flags"), [("claude", ["-p"]), ("codex", ["exec"])])
@pytest.mark.parametrize("prompt", ["--dangerously-skip-permissions", "-p --yolo", "--", "- a list item"])
def test_a_prompt_starting_with_a_dash_reaches_the_cli_as_the_prompt(
    provider: ProviderName, flags: list[str], prompt: str, tmp_path: Path
) -> None:
    """`archon workflow run ask -- --dangerously-skip-permissions` must not hand the CLI a flag: the fake reads its
    command line as claude (commander) and codex (clap) do, so only an operand comes back as the answer."""
    fake = fake_provider(tmp_path / "bin", provider, "success")
    wf = workflow('name: ask\ndescription: d\nnodes: [{id: ask, prompt: "$ARGUMENTS"}]\n')
    result = run(wf, tmp_path, env={"PATH": path_with(tmp_path / "bin")}, provider=provider, arguments=(prompt,))
    assert result.ok, result.error
    assert _node(result, "ask").output == f"answer to: {prompt}\n"
    assert recorded_argv(fake) == [*flags, "--", prompt]


def test_the_provider_binary_can_be_overridden(tmp_path: Path) -> None:
    custom = fake_provider(tmp_path / "elsewhere", "my-claude", "success")
    wf = workflow("name: w\ndescription: d\nnodes: [{id: a, prompt: hi}]\n")
    env = {"PATH": "/usr/bin:/bin", "ARCHON_CLAUDE_BIN": str(custom)}
    result = run(wf, tmp_path, env=env)
    assert result.ok
    assert recorded_argv(custom) == ["-p", "--", "hi"]


def test_a_missing_provider_cli_stops_the_run_before_any_node(tmp_path: Path) -> None:
    wf = workflow(
        """\
        name: w
        description: d
        nodes:
          - {id: prep, bash: 'touch prep-ran'}
          - {id: ask, prompt: hi, depends_on: [prep]}
        """
    )
    recorder = Recorder()
    env = {"PATH": "/usr/bin:/bin", "ARCHON_CODEX_BIN": str(tmp_path / "no-such-codex")}
    result = run(wf, tmp_path, env=env, provider="codex", observer=recorder)
    assert isinstance(result.error, ProviderNotFoundError)
    assert "ARCHON_CODEX_BIN" in result.error.message
    assert result.failed_node is not None
    assert result.failed_node.id == "ask"
    assert [r.status for r in result.nodes] == ["skipped", "skipped"]
    assert not (tmp_path / "prep-ran").exists()
    assert recorder.calls == [("run_started", "codex"), ("run_finished", "failed")]


@pytest.mark.parametrize(
    ("behaviour", "classification", "error_type"),
    [
        ("rate_limit", "transient", NodeCommandError),
        ("quota", "credit_exhausted", NodeCommandError),
        ("crash", "fatal", NodeCommandError),
        ("timeout", "transient", NodeTimeoutError),
    ],
)
def test_provider_failures_are_classified(
    behaviour: str, classification: str, error_type: type[Exception], tmp_path: Path
) -> None:
    fake_provider(tmp_path / "bin", "claude", behaviour)
    wf = workflow(
        """\
        name: w
        description: d
        nodes:
          - {id: ask, prompt: hi, timeout: 0.5}
          - {id: after, bash: 'touch after-ran', depends_on: [ask]}
        """
    )
    result = run(wf, tmp_path, env={"PATH": path_with(tmp_path / "bin")})
    ask = _node(result, "ask")
    assert ask.status == "failed"
    assert ask.failure is not None
    assert ask.failure.classification == classification
    assert isinstance(ask.error, error_type)
    assert _node(result, "after").status == "skipped"
    assert not (tmp_path / "after-ran").exists()
    if behaviour == "crash":
        assert ask.returncode == -11


def test_bash_missing_from_path_is_a_fatal_node_failure(tmp_path: Path) -> None:
    wf = workflow("name: w\ndescription: d\nnodes: [{id: a, bash: 'echo hi'}]\n")
    result = run(wf, tmp_path, env={"PATH": str(tmp_path / "empty")})
    a = _node(result, "a")
    assert a.failure is not None
    assert (a.status, a.failure.classification) == ("failed", "fatal")
    assert isinstance(a.error, NodeSpawnError)


def test_a_prompt_too_long_for_the_os_is_a_clear_fatal_failure(tmp_path: Path) -> None:
    write_executable(tmp_path / "bin", "claude", "echo unreachable")
    wf = workflow("name: w\ndescription: d\nnodes: [{id: a, prompt: '$ARGUMENTS'}]\n")
    result = run(wf, tmp_path, env={"PATH": path_with(tmp_path / "bin")}, arguments=("x" * 3_000_000,))
    a = _node(result, "a")
    assert a.failure is not None
    assert a.failure.classification == "fatal"
    assert isinstance(a.error, NodeSpawnError)
    assert "too large to pass" in a.error.message

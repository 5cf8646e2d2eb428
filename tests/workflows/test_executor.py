"""The executor against real processes: bash nodes, and fake provider CLIs that replay what the real ones printed."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from archon.paths import ArchonPaths
from archon.workflows.capability import Capability
from archon.workflows.clis import assistant_cli
from archon.workflows.clis.contract import AssistantRequest
from archon.workflows.commands import CommandLibrary
from archon.workflows.errors import (
    AssistantFailedError,
    NodeCommandError,
    NodeDeniedError,
    NodeSpawnError,
    NodeTimeoutError,
    ProviderNotFoundError,
    RunInterruptedError,
)
from archon.workflows.executor import run_workflow
from archon.workflows.loader import parse_workflow
from archon.workflows.model import Node, Workflow
from archon.workflows.node_events import AssistantText, NodeEvent, OutputLine, Retrying, ToolCall
from archon.workflows.providers import ProviderName
from archon.workflows.results import NodeResult, RunResult
from tests.support.workflow_fakes import fake_provider, path_with, recorded_argv, recorded_stdin, recorded_tmpdir

COMMANDS = CommandLibrary({"summarize": "Summarize for $who: $ARGUMENTS"})


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.events: list[tuple[str, NodeEvent]] = []

    def run_started(self, workflow: Workflow, provider: ProviderName | None) -> None:
        self.calls.append(("run_started", str(provider)))

    def node_started(self, node: Node) -> None:
        self.calls.append(("node_started", node.id))

    def node_event(self, node: Node, event: NodeEvent) -> None:
        self.events.append((node.id, event))

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
    max_capability: Capability | None = None,
    paths: ArchonPaths | None = None,
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
        max_capability=max_capability,
        retry_delays=(0.01, 0.01),
        paths=paths,
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
    assert broken.failure_kind == "exit_status"
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
def test_a_timeout_stops_the_node_and_what_it_started(tmp_path: Path) -> None:
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


def test_bash_output_is_reported_line_by_line_and_pipelines_fail_on_any_command(tmp_path: Path) -> None:
    wf = workflow(
        """\
        name: w
        description: d
        nodes:
          - {id: talk, bash: 'echo one; echo two >&2; echo three'}
          - {id: pipe, bash: 'false | cat'}
        """
    )
    recorder = Recorder()
    result = run(wf, tmp_path, observer=recorder)
    talk = [event for node, event in recorder.events if node == "talk"]
    assert OutputLine("one") in talk
    assert OutputLine("two", "stderr") in talk
    assert talk.index(OutputLine("one")) < talk.index(OutputLine("three"))
    assert _node(result, "talk").output == "one\nthree\n"
    assert _node(result, "pipe").status == "failed"  # pipefail: `false | cat` fails


def _ask(tmp_path: Path, text: str, *, provider: ProviderName = "claude", **kwargs: object) -> RunResult:
    return run(workflow(text), tmp_path, env={"PATH": path_with(tmp_path / "bin")}, provider=provider, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("provider", ["claude", "codex"])
def test_prompt_and_command_nodes_go_through_the_provider_cli(provider: ProviderName, tmp_path: Path) -> None:
    fake = fake_provider(tmp_path / "bin", provider, "echo")
    wf = """\
        name: ask
        description: d
        nodes:
          - {id: facts, bash: 'echo "it is $(echo 42)"'}
          - {id: ask, depends_on: [facts], prompt: 'Given "$facts.output", answer $ARGUMENTS'}
          - {id: sum, depends_on: [ask], command: summarize}
        """
    result = _ask(tmp_path, wf, provider=provider, arguments=("why?",), inputs={"who": "ops"})
    assert result.ok, result.error
    assert result.provider == provider
    assert _node(result, "ask").output == 'answer to: Given "it is 42", answer why?'
    assert (_node(result, "ask").provider, _node(result, "ask").capability) == (provider, "read")
    assert _node(result, "facts").provider is None
    assert recorded_stdin(fake) == "Summarize for ops: why?"
    argv = recorded_argv(fake)
    assert ("--output-format" in argv) if provider == "claude" else (argv[:2] == ["exec", "--json"])
    assert "Summarize for ops: why?" not in argv


@pytest.mark.parametrize("provider", ["claude", "codex"])
@pytest.mark.parametrize("prompt", ["--dangerously-skip-permissions", "-p --yolo", "--", "-", "x" * 300_000])
def test_any_prompt_reaches_the_cli_intact_on_stdin(provider: ProviderName, prompt: str, tmp_path: Path) -> None:
    """A prompt starting with `-` never becomes a flag, `-` alone is not codex's "read stdin" marker any more (it
    is read from stdin either way), and a prompt far over the 128 KiB argument limit still passes."""
    fake = fake_provider(tmp_path / "bin", provider, "echo")
    result = _ask(
        tmp_path,
        'name: ask\ndescription: d\nnodes: [{id: ask, prompt: "$ARGUMENTS"}]\n',
        provider=provider,
        arguments=(prompt,),
    )
    assert result.ok, result.error
    assert recorded_stdin(fake) == prompt
    request = AssistantRequest(binary=str(fake), prompt=prompt, capability="read", temp_dir="private")
    assert recorded_argv(fake) == assistant_cli(provider).command(request, env={}).argv[1:]  # no prompt in it


@pytest.mark.parametrize("provider", ["claude", "codex"])
@pytest.mark.parametrize("ends", ["echo", "error_authentication", "hang"])
def test_each_assistant_node_has_a_private_temp_dir_removed_when_it_ends(
    provider: ProviderName, ends: str, tmp_path: Path, paths: ArchonPaths
) -> None:
    """Its CLI's TMPDIR: made 0700 under the archon home, gone after the node, whether it succeeded, failed or
    timed out (codex would otherwise write into /tmp, and leave /tmp/.git when killed)."""
    fake = fake_provider(tmp_path / "bin", provider, f"{provider}/{ends}" if ends.startswith("error") else ends)
    text = THEN.replace("timeout: 5", "timeout: 1")
    work = tmp_path / "work"  # beside the archon home, not around it
    work.mkdir()
    result = run(workflow(text), work, env={"PATH": path_with(tmp_path / "bin")}, provider=provider, paths=paths)
    assert _node(result, "ask").status == ("succeeded" if ends == "echo" else "failed")
    used, mode = recorded_tmpdir(fake)
    assert Path(used).parent.parent == paths.tmp
    assert Path(used).name.startswith("ask-")
    assert mode == "0o700"
    assert list(paths.tmp.iterdir()) == []


def test_the_provider_binary_can_be_overridden(tmp_path: Path) -> None:
    custom = fake_provider(tmp_path / "elsewhere", "my-claude", "echo")
    wf = workflow("name: w\ndescription: d\nnodes: [{id: a, prompt: hi}]\n")
    env = {"PATH": "/usr/bin:/bin", "ARCHON_CLAUDE_BIN": str(custom)}
    result = run(wf, tmp_path, env=env)
    assert result.ok
    assert recorded_stdin(custom) == "hi"


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


THEN = """\
name: w
description: d
nodes:
  - {id: ask, prompt: hi, timeout: 5}
  - {id: after, bash: 'touch after-ran', depends_on: [ask]}
"""


@pytest.mark.parametrize(
    ("provider", "behaviour", "classification", "kind", "error_type"),
    [
        ("claude", "claude/error_authentication", "fatal", "assistant_error", AssistantFailedError),
        ("claude", "claude/error_credit_balance", "credit_exhausted", "assistant_error", AssistantFailedError),
        ("claude", "claude/error_overloaded", "transient", "assistant_error", AssistantFailedError),
        ("codex", "codex/error_quota", "credit_exhausted", "assistant_error", AssistantFailedError),
        ("codex", "codex/error_server_error", "transient", "assistant_error", AssistantFailedError),
        ("claude", "crash", "fatal", "assistant_error", AssistantFailedError),
    ],
)
def test_provider_failures_are_classified_and_skip_what_depends_on_them(  # noqa: PLR0917 - the parameters
    provider: ProviderName,
    behaviour: str,
    classification: str,
    kind: str,
    error_type: type[Exception],
    tmp_path: Path,
) -> None:
    fake = fake_provider(tmp_path / "bin", provider, behaviour)
    result = _ask(tmp_path, THEN, provider=provider)
    ask = _node(result, "ask")
    assert (ask.status, ask.failure_kind) == ("failed", kind)
    assert ask.failure is not None
    assert ask.failure.classification == classification
    assert isinstance(ask.error, error_type)
    assert _node(result, "after").status == "skipped"
    assert not (tmp_path / "after-ran").exists()
    calls = int(fake.with_name(f"{fake.name}.calls").read_text())
    assert calls == (3 if classification == "transient" else 1)  # archon retries transient failures, twice
    assert ask.attempts == calls
    if behaviour == "crash":
        assert ask.returncode == -11


def test_a_transient_failure_before_any_tool_is_retried_and_can_succeed(tmp_path: Path) -> None:
    fake_provider(tmp_path / "bin", "claude", "claude/error_overloaded,echo")
    recorder = Recorder()
    result = _ask(tmp_path, THEN, observer=recorder)
    assert result.ok, result.error
    assert _node(result, "ask").attempts == 2
    assert ("ask", Retrying(2, 0.01, "HTTP 529")) in recorder.events


def test_a_timeout_is_transient_and_not_retried(tmp_path: Path) -> None:
    fake = fake_provider(tmp_path / "bin", "claude", "hang")
    result = _ask(tmp_path, THEN.replace("timeout: 5", "timeout: 0.5"))
    ask = _node(result, "ask")
    assert (ask.failure_kind, ask.attempts) == ("timed_out", 1)
    assert ask.failure is not None
    assert ask.failure.classification == "transient"
    assert isinstance(ask.error, NodeTimeoutError)
    assert fake.with_name(f"{fake.name}.calls").read_text() == "1"


@pytest.mark.parametrize(
    ("provider", "behaviour", "capability"),
    [
        ("claude", "claude/bash_default", "read"),
        ("claude", "claude/edit_dont_ask", "edit"),
        ("codex", "codex/edit_read_only", "read"),
    ],
)
def test_a_node_whose_work_was_denied_fails_and_says_what(
    provider: ProviderName, behaviour: str, capability: Capability, tmp_path: Path
) -> None:
    fake_provider(tmp_path / "bin", provider, behaviour)
    recorder = Recorder()
    result = _ask(
        tmp_path,
        THEN.replace("prompt: hi", f"prompt: hi, capability: {capability}"),
        provider=provider,
        observer=recorder,
    )
    ask = _node(result, "ask")
    assert (ask.status, ask.failure_kind, ask.capability) == ("failed", "denied", capability)
    assert ask.failure is not None
    assert (ask.failure.classification, ask.failure.reason) == ("fatal", "denied")
    assert isinstance(ask.error, NodeDeniedError)
    (denial,) = ask.denials
    assert denial.tool in ask.error.message
    assert ("ask", denial) in recorder.events
    assert not result.ok
    assert _node(result, "after").status == "skipped"


def test_events_arrive_in_order_before_the_node_finishes(tmp_path: Path) -> None:
    fake_provider(tmp_path / "bin", "claude", "claude/edit_accept_edits")
    recorder = Recorder()
    result = _ask(tmp_path, THEN.replace("prompt: hi", "prompt: hi, capability: edit"), observer=recorder)
    assert result.ok, result.error
    kinds = [type(e) for n, e in recorder.events if n == "ask"]
    assert kinds.index(ToolCall) < kinds.index(AssistantText)
    assert _node(result, "ask").usage is not None
    assert result.usage == _node(result, "ask").usage


def test_the_run_cap_lowers_what_a_node_may_do(tmp_path: Path) -> None:
    fake = fake_provider(tmp_path / "bin", "claude", "echo")
    result = _ask(tmp_path, THEN.replace("prompt: hi", "prompt: hi, capability: run"), max_capability="read")
    assert _node(result, "ask").capability == "read"
    assert "--disallowedTools=Edit,Write,NotebookEdit" in recorded_argv(fake)
    assert "--allowedTools=Bash" not in recorded_argv(fake)


@pytest.mark.parametrize(
    ("provider", "resumed"), [("claude", ["--resume=session-0", "--fork-session"]), ("codex", ["fork", "thread-0"])]
)
def test_a_node_can_continue_an_earlier_nodes_session(
    provider: ProviderName, resumed: list[str], tmp_path: Path
) -> None:
    fake = fake_provider(tmp_path / "bin", provider, "echo")
    text = """\
        name: w
        description: d
        model: big
        nodes:
          - {id: plan, prompt: plan it}
          - {id: other, prompt: fresh, depends_on: [plan], model: small}
          - {id: do, prompt: do it, depends_on: [other], resume: plan}
        """
    result = _ask(tmp_path, text, provider=provider, max_parallel=1)
    assert result.ok, result.error
    assert _node(result, "plan").session_id in ("session-0", "thread-0")
    argv = recorded_argv(fake)
    assert argv[-len(resumed) - (provider == "codex") :][: len(resumed)] == resumed
    assert "--model=big" in argv
    assert (_node(result, "other").model, _node(result, "do").model) == ("small", "big")


def test_bash_missing_from_path_is_a_fatal_node_failure(tmp_path: Path) -> None:
    wf = workflow("name: w\ndescription: d\nnodes: [{id: a, bash: 'echo hi'}]\n")
    result = run(wf, tmp_path, env={"PATH": str(tmp_path / "empty")})
    a = _node(result, "a")
    assert a.failure is not None
    assert (a.status, a.failure.classification, a.failure_kind) == ("failed", "fatal", "not_started")
    assert isinstance(a.error, NodeSpawnError)


def test_a_value_too_large_for_a_bash_nodes_environment_is_a_clear_fatal_failure(tmp_path: Path) -> None:
    wf = workflow("name: w\ndescription: d\nnodes: [{id: a, bash: 'echo \"$ARGUMENTS\"'}]\n")
    result = run(wf, tmp_path, arguments=("x" * 3_000_000,))
    a = _node(result, "a")
    assert a.failure is not None
    assert a.failure.classification == "fatal"
    assert isinstance(a.error, NodeSpawnError)
    assert "too large to pass" in a.error.message


class Stop(BaseException):
    """What a caller raises for SIGTERM (archon's CLI raises its ``Terminated``)."""


class InterruptOn(Recorder):
    """Raises ``interrupt`` in the thread running the workflow when a node prints ``line``, as Ctrl-C would."""

    def __init__(self, line: str, interrupt: BaseException) -> None:
        super().__init__()
        self.line, self.interrupt = line, interrupt

    def node_event(self, node: Node, event: NodeEvent) -> None:
        super().node_event(node, event)
        if isinstance(event, OutputLine) and event.text == self.line:
            raise self.interrupt


INTERRUPTED = """\
name: w
description: d
nodes:
  - {id: slow, bash: 'echo ready; sleep 30'}
  - {id: also, bash: 'sleep 30'}
  - {id: done, bash: 'echo quick'}
  - {id: after, bash: 'touch after-ran', depends_on: [slow]}
"""


@pytest.mark.needs_tool("bash")
@pytest.mark.parametrize("interrupt", [KeyboardInterrupt(), Stop()])
def test_an_interrupt_stops_the_running_nodes_and_ends_the_run_as_failed(
    interrupt: BaseException, tmp_path: Path
) -> None:
    observer = InterruptOn("ready", interrupt)
    result = run_workflow(
        workflow(INTERRUPTED),
        provider="claude",
        env={"PATH": os.environ["PATH"]},
        cwd=tmp_path,
        observer=observer,
        max_parallel=2,
        interrupts=(KeyboardInterrupt, Stop),
    )
    assert result.interrupted_by is interrupt
    assert not result.ok
    assert isinstance(result.error, RunInterruptedError)
    slow, also = _node(result, "slow"), _node(result, "also")
    for stopped in (slow, also):
        assert (stopped.status, stopped.failure_kind) == ("failed", "interrupted")
        assert isinstance(stopped.error, RunInterruptedError)
    assert [_node(result, n).status for n in ("done", "after")] == ["skipped", "skipped"]  # never started
    assert result.failed_node is not None
    assert result.failed_node.id == "slow"
    assert result.left_running == 0
    assert not (tmp_path / "after-ran").exists()
    assert observer.calls[-1] == ("run_finished", "failed")
    finished = [node for call, node in observer.calls if call.startswith("node_")]
    assert sorted(finished) == ["after", "also", "also", "done", "slow", "slow"]  # started, then finished, once each


@pytest.mark.needs_tool("bash")
def test_an_interrupt_between_nodes_still_ends_the_run(tmp_path: Path) -> None:
    class InterruptWhenFirstFinishes(Recorder):
        def node_finished(self, result: NodeResult) -> None:
            super().node_finished(result)
            if result.node.id == "first":
                raise KeyboardInterrupt

    observer = InterruptWhenFirstFinishes()
    wf = workflow(
        "name: w\ndescription: d\nnodes:\n  - {id: first, bash: 'true'}\n"
        "  - {id: second, bash: 'touch second-ran', depends_on: [first]}\n"
    )
    result = run(wf, tmp_path, observer=observer)
    assert isinstance(result.interrupted_by, KeyboardInterrupt)
    assert [r.status for r in result.nodes] == ["succeeded", "skipped"]
    assert isinstance(result.error, RunInterruptedError)
    assert result.failed_node is None
    assert not (tmp_path / "second-ran").exists()


@pytest.mark.needs_tool("bash")
def test_a_bug_while_running_still_stops_the_nodes_and_propagates(tmp_path: Path) -> None:
    with pytest.raises(ZeroDivisionError):
        run_workflow(
            workflow(INTERRUPTED),
            provider="claude",
            env={"PATH": os.environ["PATH"]},
            cwd=tmp_path,
            observer=InterruptOn("ready", ZeroDivisionError()),
        )

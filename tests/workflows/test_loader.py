from __future__ import annotations

import textwrap

import pytest

from archon.workflows.commands import CommandLibrary
from archon.workflows.errors import WorkflowDefinitionError
from archon.workflows.loader import parse_workflow
from archon.workflows.model import DEFAULT_TIMEOUTS, Workflow

COMMANDS = CommandLibrary({"review": "Review this: $ARGUMENTS"}, {"review": "test/commands/review.md"})


def parse(text: str) -> Workflow:
    return parse_workflow(textwrap.dedent(text), source="wf.yaml", origin="file", commands=COMMANDS)


def test_a_valid_workflow_becomes_a_model() -> None:
    workflow = parse_workflow(
        textwrap.dedent(
            """\
            name: demo
            description: A demo.
            provider: codex
            nodes:
              - id: fetch
                bash: echo hi
                timeout: 2.5
              - id: ask
                prompt: "Say $fetch.output"
                depends_on: [fetch]
              - id: review
                command: review
                depends_on: [ask]
            """
        ),
        source="wf.yaml",
        origin="file",
        commands=COMMANDS,
    )
    assert workflow.name == "demo"
    assert workflow.provider == "codex"
    assert [n.id for n in workflow.nodes] == ["fetch", "ask", "review"]
    fetch, ask, review = workflow.nodes
    assert (fetch.kind, fetch.timeout, fetch.effective_timeout) == ("bash", 2.5, 2.5)
    assert ask.effective_timeout == DEFAULT_TIMEOUTS["prompt"]
    assert ask.depends_on == ("fetch",)
    assert (review.kind, review.command, review.text) == ("command", "review", "Review this: $ARGUMENTS")
    assert [[n.id for n in level] for level in workflow.levels()] == [["fetch"], ["ask"], ["review"]]
    assert workflow.uses_provider


def test_independent_nodes_share_a_level_and_anchors_work() -> None:
    workflow = parse_workflow(
        textwrap.dedent(
            """\
            name: fan
            description: fan out and in
            nodes:
              - {id: a, bash: &script "echo x"}
              - {id: b, bash: *script}
              - {id: c, bash: echo c, depends_on: [a, b]}
            """
        ),
        source="wf.yaml",
        origin="file",
        commands=COMMANDS,
    )
    assert [[n.id for n in level] for level in workflow.levels()] == [["a", "b"], ["c"]]
    assert workflow.nodes[1].text == "echo x"
    assert workflow.provider is None
    assert not workflow.uses_provider


_HEAD = "name: w\ndescription: d\n"

INVALID = [
    pytest.param("name: [unclosed\n", None, None, "invalid YAML at line 2, column 1", id="bad-yaml"),
    pytest.param(_HEAD + "name: again\nnodes: []\n", None, None, "invalid YAML", id="duplicate-key"),
    pytest.param("- just\n- a list\n", None, None, "must be a YAML mapping", id="not-a-mapping"),
    pytest.param("description: d\nnodes: [{id: a, bash: x}]\n", None, "name", "is required", id="no-name"),
    pytest.param("name: w\nnodes: [{id: a, bash: x}]\n", None, "description", "is required", id="no-description"),
    pytest.param(_HEAD, None, "nodes", "is required", id="no-nodes"),
    pytest.param(_HEAD + "nodes: []\n", None, "nodes", "non-empty list", id="empty-nodes"),
    pytest.param(_HEAD + "nodes: [{id: a, bash: x}]\nsteps: 3\n", None, "steps", "unknown field", id="unknown-top"),
    pytest.param(
        "name: 'has space'\ndescription: d\nnodes: [{id: a, bash: x}]\n", None, "name", "must match", id="bad-name"
    ),
    pytest.param(
        _HEAD + "provider: gpt\nnodes: [{id: a, bash: x}]\n", None, "provider", "claude, codex", id="bad-provider"
    ),
    pytest.param(_HEAD + "nodes: [{bash: x}]\n", None, "id", "has no 'id'", id="no-id"),
    pytest.param(_HEAD + "nodes: [{id: 'a b', bash: x}]\n", "#1", "id", "must match", id="bad-id"),
    pytest.param(_HEAD + "nodes: [{id: a}]\n", "a", "bash|prompt|command", "exactly one of", id="no-kind"),
    pytest.param(
        _HEAD + "nodes: [{id: a, bash: x, prompt: y}]\n", "a", "prompt", "has both 'bash' and 'prompt'", id="two-kinds"
    ),
    pytest.param(_HEAD + "nodes: [{id: a, bash: ''}]\n", "a", "bash", "non-empty string", id="empty-bash"),
    pytest.param(
        _HEAD + "nodes: [{id: a, bash: x, depend_on: [b]}]\n", "a", "depend_on", "unknown field", id="typo-field"
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, bash: x, depends_on: b}]\n",
        "a",
        "depends_on",
        "list of node ids",
        id="depends-not-list",
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, bash: x, depends_on: [ghost]}]\n",
        "a",
        "depends_on",
        "unknown node 'ghost'",
        id="unknown-dependency",
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, bash: x, depends_on: [b]}, {id: b, bash: y, depends_on: [a]}]\n",
        "a",
        "depends_on",
        "dependency cycle: a -> b -> a",
        id="cycle",
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, bash: x, depends_on: [a]}]\n",
        "a",
        "depends_on",
        "dependency cycle: a -> a",
        id="self-cycle",
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, bash: x}, {id: a, bash: y}]\n", "a", "id", "must be unique", id="duplicate-id"
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, bash: x, timeout: 0}]\n", "a", "timeout", "positive number", id="zero-timeout"
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, bash: x, timeout: soon}]\n", "a", "timeout", "positive number", id="text-timeout"
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, bash: x, timeout: true}]\n", "a", "timeout", "positive number", id="bool-timeout"
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, command: nope}]\n", "a", "command", "unknown command 'nope'", id="unknown-command"
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, prompt: 'use $ghost.output'}]\n",
        "a",
        "prompt",
        "$ghost.output refers to an unknown node",
        id="unknown-output-reference",
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, bash: x}, {id: b, bash: 'echo $a.output'}]\n",
        "b",
        "bash",
        "'a' is not in depends_on",
        id="output-reference-without-dependency",
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, prompt: x, capability: write}]\n",
        "a",
        "capability",
        "must be one of: read, edit, run",
        id="unknown-capability",
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, bash: x, capability: read}]\n",
        "a",
        "capability",
        "for prompt and command nodes",
        id="capability-on-bash",
    ),
    pytest.param(_HEAD + "nodes: [{id: a, bash: x, model: opus}]\n", "a", "model", "for prompt", id="model-on-bash"),
    pytest.param(_HEAD + "nodes: [{id: a, prompt: x, model: '--evil'}]\n", "a", "model", "must match", id="dash-model"),
    pytest.param(_HEAD + "model: 'two words'\nnodes: [{id: a, prompt: x}]\n", None, "model", "must match", id="model"),
    pytest.param(
        _HEAD + "nodes: [{id: a, prompt: x}, {id: b, prompt: y, resume: a}]\n",
        "b",
        "resume",
        "'a' is not in depends_on",
        id="resume-without-dependency",
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, bash: x}, {id: b, prompt: y, resume: a, depends_on: [a]}]\n",
        "b",
        "resume",
        "'a' is a bash node",
        id="resume-a-bash-node",
    ),
    pytest.param(
        _HEAD + "nodes: [{id: b, prompt: y, resume: ghost}]\n", "b", "resume", "unknown node 'ghost'", id="resume-ghost"
    ),
    pytest.param(
        _HEAD + "nodes: [{id: a, bash: !!python/object:os.system x}]\n",
        None,
        None,
        "invalid YAML",
        id="python-tag-refused",
    ),
]


@pytest.mark.parametrize(("text", "node", "field", "problem"), INVALID)
def test_invalid_workflows_name_file_node_and_field(
    text: str, node: str | None, field: str | None, problem: str
) -> None:
    with pytest.raises(WorkflowDefinitionError) as caught:
        parse(text)
    error = caught.value
    assert error.exit_code == 2
    assert error.message.startswith("wf.yaml: ")
    assert problem in error.message
    assert error.node == node
    assert error.field == field
    if node is not None:
        assert f"node {node!r}" in error.message
    if field is not None:
        assert f"field {field!r}" in error.message


def test_output_reference_through_a_transitive_dependency_is_allowed() -> None:
    workflow = parse(
        _HEAD
        + "nodes: [{id: a, bash: x}, {id: b, bash: y, depends_on: [a]}, "
        + "{id: c, bash: 'echo ${a.output}', depends_on: [b]}]\n"
    )
    assert [n.id for n in workflow.nodes] == ["a", "b", "c"]


def test_a_shell_variable_followed_by_dot_output_can_be_written_with_braces() -> None:
    workflow = parse(_HEAD + "nodes: [{id: a, bash: 'cp ${name}.output /tmp'}]\n")
    assert workflow.nodes[0].text == "cp ${name}.output /tmp"


def test_capability_model_and_resume() -> None:
    workflow = parse(
        _HEAD
        + "model: opus\nnodes:\n"
        + "  - {id: prep, bash: x}\n"
        + "  - {id: plan, prompt: p, depends_on: [prep]}\n"
        + "  - {id: do, prompt: d, capability: edit, model: 'sonnet[1m]', resume: plan, depends_on: [plan]}\n"
        + "  - {id: test, command: review, capability: run, resume: plan, depends_on: [do]}\n"
    )
    prep, plan, do, test = workflow.nodes
    assert (prep.capability, plan.capability, do.capability, test.capability) == (None, "read", "edit", "run")
    assert [workflow.model_of(n) for n in workflow.nodes] == [None, "opus", "sonnet[1m]", "opus"]
    assert (do.resume, test.resume) == ("plan", "plan")  # through a transitive dependency too

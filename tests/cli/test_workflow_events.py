"""Nothing about a user's workflow reaches a telemetry event: not its name, node ids, commands, prompts, output,
arguments or inputs. Each of those is generated as a canary (``zq...``) and searched for in every event."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from archon.cli.app import app
from archon.cli.context import Application
from archon.runtime import Runtime
from archon.telemetry.schema import ALL_EVENTS
from tests.support.workflow_fakes import RecordingSink, fake_provider, path_with

canary = st.from_regex(r"zq[a-z0-9_]{4,10}", fullmatch=True)
free_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)
canary_text = st.builds(lambda c, t: c + t, canary, free_text)


@dataclass(frozen=True)
class Spec:
    name: str
    ids: list[str]
    outputs: list[str]
    exit_codes: list[int]
    command: str
    command_text: str
    prompt: str
    arguments: list[str]
    input_name: str
    input_value: str
    behaviour: str

    def secrets(self) -> list[str]:
        return [
            self.name, *self.ids, *self.outputs, self.command, self.command_text, self.prompt, *self.arguments,
            self.input_name, self.input_value,
        ]  # fmt: skip


@st.composite
def user_workflows(draw: st.DrawFn) -> Spec:
    ids = draw(st.lists(canary, min_size=3, max_size=5, unique=True))
    return Spec(
        name=draw(canary),
        ids=ids,
        outputs=draw(st.lists(canary, min_size=len(ids), max_size=len(ids))),
        exit_codes=draw(st.lists(st.sampled_from([0, 0, 1, 75]), min_size=len(ids), max_size=len(ids))),
        command=draw(canary),
        command_text=draw(canary_text),
        prompt=draw(canary_text),
        arguments=draw(st.lists(canary_text, min_size=1, max_size=3)),
        input_name=draw(canary),
        input_value=draw(canary_text),
        behaviour=draw(
            st.sampled_from(
                ["echo", "claude/error_authentication", "claude/error_credit_balance", "claude/bash_default", "crash"]
            )
        ),
    )


def _yaml_string(text: str) -> str:
    return json.dumps(text)  # JSON strings are YAML strings


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=user_workflows())
def test_user_values_never_appear_in_events(spec: Spec) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home, project, bin_dir = root / "home", root / "project", root / "bin"
        flows = project / ".archon" / "workflows"
        (flows / "commands").mkdir(parents=True)
        (flows / "commands" / f"{spec.command}.md").write_text(f"{spec.command_text} $ARGUMENTS")
        ids = spec.ids
        nodes = [f"  - {{id: {ids[0]}, prompt: {_yaml_string(spec.prompt + ' $' + spec.input_name)}}}"]
        nodes.append(f"  - {{id: {ids[1]}, command: {spec.command}}}")
        for index, node_id in enumerate(ids[2:], start=2):
            output, code = spec.outputs[index], spec.exit_codes[index]
            script = f"echo {output} $ARGUMENTS; echo {output} >&2; exit {code}"
            nodes.append(f"  - {{id: {node_id}, bash: {_yaml_string(script)}, depends_on: [{ids[index - 1]}]}}")
        (flows / f"{spec.name}.yaml").write_text(
            f"name: {spec.name}\ndescription: {spec.name}\nnodes:\n" + "\n".join(nodes) + "\n"
        )
        fake_provider(bin_dir, "claude", spec.behaviour)
        sink = RecordingSink()
        runtime = Runtime(env={"PATH": path_with(bin_dir)}, home=home, cwd=project)
        args = ["workflow", "run", spec.name, *spec.arguments, "--input", f"{spec.input_name}={spec.input_value}"]
        result = CliRunner().invoke(app, args, obj=Application(runtime=runtime, telemetry=sink))
        assert result.exit_code in (0, 1), result.output

    assert sink.names()[0] == "workflow.run_started"
    assert sink.names()[-1] in ("workflow.run_completed", "workflow.run_failed")
    assert all(type(event) in ALL_EVENTS for event in sink.events)
    recorded = json.dumps([event.properties() for event in sink.events])
    for secret in spec.secrets():
        assert secret not in recorded
    assert "zq" not in recorded
